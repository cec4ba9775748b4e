using Hsm.Diagnostics;
using Hsm.Transaction;

namespace Hsm.Tasks;

/// <summary>
/// HsmClean's work: takes the build lock (for this task only, waiting while a build of the project holds
/// it) and recovers an interrupted commit (rolled back or forward, HSM4001) — the base class does both,
/// as every lock-taking Hsm task does before anything else. With <see cref="Clean"/> it then empties
/// obj/hsm while it still holds the lock, except the lock file itself, which the target removes next.
/// </summary>
public sealed class HsmRecover : HsmTask
{
    [Microsoft.Build.Framework.Required] public string IntermediateDirectory { get; set; } = "";

    /// <summary>Empty obj/hsm (but the lock file) under the lock.</summary>
    public bool Clean { get; set; }

    protected override string? LockDirectory => IntermediateDirectory;

    protected override void Run(DiagnosticBag d)
    {
        if (!Clean) return;
        var dir = new DirectoryInfo(IntermediateDirectory);
        foreach (var entry in dir.EnumerateFileSystemInfos())
        {
            if (entry.Name == BuildLock.FileName) continue;
            if (entry is DirectoryInfo sub) Git.GitClone.DeleteDirectory(sub.FullName);
            else entry.Delete();
        }
    }
}
