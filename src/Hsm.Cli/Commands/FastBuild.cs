namespace Hsm.Cli.Commands;

/// <summary>
/// The fast path of the build commands (docs/cli.md, "Fast path"): `--no-restore` when the restore is provably
/// up to date, and the MSBuild server when the user has not turned it or node reuse off. Both are decided
/// here from the file system, the environment and the user's own MSBuild arguments; `HSM_CLI_FAST=0` turns
/// the whole fast path off (the command line is then exactly `dotnet build hsm.proj -t:Target -nologo …`).
/// </summary>
public static class FastBuild
{
    /// <summary>Written by the CLI into obj/ after a successful build that ran the restore; its time is the
    /// build's start (so any input written after the restore read it is newer), its text the assets file's
    /// time then. (NuGet's no-op restore rewrites nothing, so the assets file's own time would fall behind
    /// hsm.proj.user after every `hsm mode --local`, and the fast path would never apply.)</summary>
    public const string StampName = "hsm-cli.restored";

    /// <param name="NoTieredPgo">DOTNET_TieredPGO=0 for the child: without the server every command is a cold
    /// MSBuild, and tiered PGO's instrumentation makes that cold start slower (docs/performance.md).</param>
    public sealed record Plan(bool SkipRestore, bool UseServer, string RestoreReason, string ServerReason, bool NoTieredPgo = false);

    public static bool Enabled(Func<string, string?> env) =>
        env("HSM_CLI_FAST")?.Trim().ToLowerInvariant() is not ("0" or "false" or "off" or "no");

    public static Plan Decide(string projectFile, IReadOnlyList<string> userArgs, Func<string, string?> env)
    {
        if (!Enabled(env)) return new Plan(false, false, "HSM_CLI_FAST=0", "HSM_CLI_FAST=0");
        var (skip, why) = UserChoseRestore(userArgs) is { } r ? (false, r) : RestoreUpToDate(projectFile, userArgs);
        var (server, swhy) = ServerChoice(userArgs, env);
        // A cold MSBuild (no server) starts faster without tiered PGO, unless the user set it. (With the server
        // the process lives on, and its steady state keeps PGO.)
        var noPgo = !server && string.IsNullOrEmpty(env("DOTNET_TieredPGO"));
        return new Plan(skip, server, why, swhy, noPgo);
    }

    /// <summary>The name of an MSBuild/dotnet switch without its prefix (-, --, /) and value, lowercased.</summary>
    internal static string SwitchName(string arg)
    {
        if (arg.Length < 2 || arg[0] is not ('-' or '/')) return "";
        var s = arg.TrimStart('-', '/');
        var end = s.IndexOfAny(new[] { ':', '=' });
        return (end < 0 ? s : s[..end]).ToLowerInvariant();
    }

    /// <summary>The user's own restore switch wins: `--no-restore`, `-restore`, `-restore:false`.</summary>
    private static string? UserChoseRestore(IReadOnlyList<string> args) =>
        args.Any(a => SwitchName(a) is "no-restore" or "restore") ? "the arguments choose the restore" : null;

    /// <summary>Properties that feed the restore (a different target framework, sources, output paths): with one
    /// of them on the command line the last restore may not be the one this build needs.</summary>
    private static readonly string[] RestoreProperties =
        { "restore", "nuget", "targetframework", "runtimeidentifier", "baseintermediateoutputpath", "msbuildprojectextensionspath", "packagereference", "managepackageversionscentrally" };

    private static bool TouchesRestore(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            var name = SwitchName(args[i]);
            if (name is "r" or "runtime" or "a" or "arch" or "os" or "f" or "framework" or "source" or "s" or "restoreproperty" or "rp" or "packages" or "ucr" or "use-current-runtime" or "force")
                return true;
            if (name is "p" or "property")
            {
                var value = args[i].Contains(':') || args[i].Contains('=') ? args[i][(args[i].IndexOfAny(new[] { ':', '=' }) + 1)..] : (i + 1 < args.Count ? args[i + 1] : "");
                foreach (var assignment in value.Split(';'))
                {
                    var prop = assignment.Split('=')[0].Trim().ToLowerInvariant();
                    if (RestoreProperties.Any(prop.StartsWith)) return true;
                }
            }
        }
        return false;
    }

    /// <summary>The files a restore of <paramref name="projectFile"/> reads (besides the SDK): the project, its
    /// .user file, and global.json, nuget.config and Directory.Build.* / Directory.Packages.props in its folder
    /// and every folder above it, and the user's NuGet.Config.</summary>
    public static IEnumerable<string> RestoreInputs(string projectFile)
    {
        yield return projectFile;
        yield return projectFile + ".user";
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(projectFile)); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            foreach (var name in new[] { "global.json", "nuget.config", "NuGet.Config", "NuGet.config", "Directory.Packages.props" })
                yield return Path.Combine(dir, name);
            IEnumerable<string> dirBuild;
            try { dirBuild = Directory.EnumerateFiles(dir, "Directory.Build.*"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { dirBuild = Array.Empty<string>(); }
            foreach (var f in dirBuild) yield return f;
        }
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(home))
        {
            yield return Path.Combine(home, ".nuget", "NuGet", "NuGet.Config");
            yield return Path.Combine(home, ".nuget", "NuGet", "nuget.config");
        }
    }

    /// <summary>
    /// True when the last restore is provably up to date: obj/project.assets.json exists and is the file the
    /// CLI's stamp recorded after its last successful restoring build (so no other restore, perhaps with other
    /// properties, has rewritten it since), and that build's start (the stamp's time) is strictly later than
    /// every restore input's time. False, with the reason, otherwise. A project file that imports or
    /// references other files (not a plain &lt;Project Sdk="…"&gt;) always restores: those are not followed.
    /// </summary>
    public static (bool UpToDate, string Reason) RestoreUpToDate(string projectFile, IReadOnlyList<string> userArgs)
    {
        if (TouchesRestore(userArgs)) return (false, "an argument changes the restore");
        var obj = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(projectFile))!, "obj");
        var assets = new FileInfo(Path.Combine(obj, "project.assets.json"));
        if (!assets.Exists) return (false, "obj/project.assets.json does not exist");
        var stamp = new FileInfo(Path.Combine(obj, StampName));
        if (!stamp.Exists) return (false, $"obj/{StampName} does not exist (no restore by hsm yet)");
        string text, recorded;
        try { text = File.ReadAllText(projectFile); recorded = File.ReadAllText(stamp.FullName).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return (false, "the project file or the stamp cannot be read"); }
        if (recorded != StampText(assets.LastWriteTimeUtc)) return (false, "obj/project.assets.json was written by another restore");
        if (text.Contains("<Import", StringComparison.OrdinalIgnoreCase) || text.Contains("<ProjectReference", StringComparison.OrdinalIgnoreCase))
            return (false, "the project imports or references other files");
        var restored = stamp.LastWriteTimeUtc;
        foreach (var input in RestoreInputs(projectFile))
        {
            var fi = new FileInfo(input);
            if (fi.Exists && fi.LastWriteTimeUtc >= restored)
                return (false, $"{input} is not older than the last restore");
        }
        return (true, "the restore is up to date");
    }

    private static string StampText(DateTime assetsUtc) => "project.assets.json " + assetsUtc.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Records a successful restore (by a build without restore-changing arguments) that started at
    /// <paramref name="startUtc"/>: the stamp holds the assets file's time and has the start as its own.</summary>
    public static void Stamp(string projectFile, IReadOnlyList<string> userArgs, DateTime startUtc)
    {
        if (TouchesRestore(userArgs)) return;
        try
        {
            var obj = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(projectFile))!, "obj");
            var assets = new FileInfo(Path.Combine(obj, "project.assets.json"));
            if (!assets.Exists) return;
            var path = Path.Combine(obj, StampName);
            File.WriteAllText(path, StampText(assets.LastWriteTimeUtc) + "\n");
            File.SetLastWriteTimeUtc(path, startUtc);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* no stamp: the next build restores */ }
    }

    /// <summary>The MSBuild server (which needs node reuse) unless the user has chosen: DOTNET_CLI_USE_MSBUILD_SERVER
    /// set to anything, MSBUILDDISABLENODEREUSE=1, or -nodeReuse / --disable-build-servers on the command line.</summary>
    private static (bool, string) ServerChoice(IReadOnlyList<string> args, Func<string, string?> env)
    {
        if (env("DOTNET_CLI_USE_MSBUILD_SERVER") is { Length: > 0 } v) return (false, $"DOTNET_CLI_USE_MSBUILD_SERVER={v} is the user's");
        if (env("MSBUILDDISABLENODEREUSE") is "1" or "true") return (false, "MSBUILDDISABLENODEREUSE=1");
        if (args.Any(a => SwitchName(a) is "nodereuse" or "nr" or "disable-build-servers"))
            return (false, "the arguments choose node reuse");
        return (true, "MSBuild server");
    }
}
