using Hsm.Model;
using Microsoft.Build.Framework;

namespace Hsm.Tasks;

/// <summary>
/// The stack HsmResolve wrote to obj/hsm/resolved.json, handed to HsmStage of the same build in memory (a task object
/// MSBuild keeps for the build), so staging does not read back and parse what was just serialized (10,000 components:
/// a 3.5 MB file, 12 MB allocated; docs/performance.md, "Memory, fourth round"). Staging uses it only while
/// resolved.json is still the file HsmResolve left (its full path, length and last write time, to the tick); otherwise,
/// in a build where HsmResolve did not run, and in a task host process (every task its own process), it reads the file.
/// Taking it unregisters it: nothing holds the stack after staging.
/// </summary>
internal sealed record StackHandoff(long Length, DateTime LastWriteUtc, ResolvedStack Stack)
{
    private static string Key(string resolvedPath) => "Hsm.ResolvedStack|" + Path.GetFullPath(resolvedPath);

    public static void Offer(IBuildEngine engine, string resolvedPath, ResolvedStack stack)
    {
        var info = new FileInfo(resolvedPath);
        if (engine is IBuildEngine4 e4 && info.Exists)
            e4.RegisterTaskObject(Key(resolvedPath), new StackHandoff(info.Length, info.LastWriteTimeUtc, stack),
                RegisteredTaskObjectLifetime.Build, allowEarlyCollection: true);
    }

    /// <summary>The stack offered for this resolved.json if the file is unchanged since, else null.</summary>
    public static ResolvedStack? Take(IBuildEngine engine, string resolvedPath)
    {
        if (engine is not IBuildEngine4 e4 || e4.UnregisterTaskObject(Key(resolvedPath), RegisteredTaskObjectLifetime.Build) is not StackHandoff offered)
            return null;
        var info = new FileInfo(resolvedPath);
        return info.Exists && info.Length == offered.Length && info.LastWriteTimeUtc == offered.LastWriteUtc ? offered.Stack : null;
    }
}
