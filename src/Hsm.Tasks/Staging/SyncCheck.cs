using Hsm.Compose;
using Hsm.Diagnostics;
using Hsm.Python;
using Hsm.Uv;

namespace Hsm.Staging;

/// <summary>The tools of the check and commit steps, as the build or the command line found them: uv and Compose.</summary>
public record SyncInputs
{
    /// <summary>auto | sync | lock | none (as given: an invalid value is HSM5004 where uv is needed).</summary>
    public string PythonSync { get; init; } = "auto";
    /// <summary>Resolved uv path, or "none"/empty when not found.</summary>
    public string? UvPath { get; init; }
    /// <summary>What the user asked for (HsmUvPath or "uv"): named when it is missing.</summary>
    public string UvName { get; init; } = "uv";
    public bool Locked { get; init; }
    public string ComposeCommand { get; init; } = "docker compose";
    /// <summary>The first word of ComposeCommand as the targets resolved it on PATH (_HsmFindTools), or "none"/empty.</summary>
    public string? ComposeExecutable { get; init; }
    /// <summary>auto | true | false</summary>
    public string ComposeValidate { get; init; } = "auto";
}

/// <summary>The tools (<see cref="SyncInputs"/>) and where the check and commit steps run.</summary>
public sealed record SyncSettings : SyncInputs
{
    public SyncSettings() { }
    public SyncSettings(SyncInputs tools) : base(tools) { }

    public string ProjectDirectory { get; init; } = "";
    public string IntermediateDirectory { get; init; } = "";
    /// <summary>The folders of the configured artifact paths: with the project, where a commit may write.</summary>
    public IReadOnlyList<string> ArtifactFolders { get; init; } = [];
    /// <summary>HsmToolTimeout and the progress lines of uv runs.</summary>
    public ToolOptions Tools { get; init; } = ToolOptions.Default;

    /// <summary>The uv to run, or null when Python sync is off or uv is missing (with the diagnostic).</summary>
    public string? Uv(DiagnosticBag d)
    {
        var mode = PythonSync.ToLowerInvariant();
        if (mode == "none") return null;
        if (mode is not ("auto" or "sync" or "lock"))
        {
            d.Error(Codes.InvalidProperty, SourceSpan.None, $"HsmPythonSync is '{PythonSync}'; it must be auto, sync, lock or none.");
            return null;
        }
        if (!string.IsNullOrEmpty(UvPath) && UvPath != "none" && File.Exists(UvPath)) return UvPath;
        if (mode == "auto")
            d.Warning(Codes.UvNotFoundWarning, SourceSpan.None, $"uv ('{UvName}') was not found, so the Python environment is not resolved or synced (pyproject.toml is still updated). Install uv (https://docs.astral.sh/uv/), set HsmUvPath, or set HsmPythonSync=none to silence this.");
        else
            d.Error(Codes.UvNotFound, SourceSpan.None, $"HsmPythonSync={PythonSync} needs uv, but '{UvName}' was not found. Install uv (https://docs.astral.sh/uv/) or set HsmUvPath to its path.");
        return null;
    }
}

/// <summary>
/// HsmSync's check, before anything in the project changes: uv resolves the staged pyproject.toml (a
/// dry run on a copy outside the project tree with path sources made absolute, the current uv.lock
/// beside it as preference; output discarded), and the staged Compose file passes hsm's pre-flight and
/// — when a Compose binary is found — the real Compose parser.
/// </summary>
public static class SyncCheck
{
    public static void Run(StagePlan plan, SyncSettings s, CancellationToken cancel, DiagnosticBag d, Action<string> log)
    {
        if (plan.UvProjects.Count > 0)
        {
            var uv = s.Uv(d);
            if (uv != null)
                foreach (var project in plan.UvProjects) CheckPython(project, s, uv, cancel, d, log);
        }
        if (plan.Compose != null) CheckCompose(plan, s, cancel, d, log);
    }

    private static void CheckPython(UvProject project, SyncSettings s, string uv, CancellationToken cancel, DiagnosticBag d, Action<string> log)
    {
        if (!File.Exists(project.CheckSource)) return;
        var pyDir = Path.GetDirectoryName(project.PyProject)!;
        var checkDir = Path.Combine(Path.GetTempPath(), "hsm-check-" + StagePlan.Hash(project.PyProject)[..12] + "-" + Environment.ProcessId);
        try
        {
            if (Directory.Exists(checkDir)) Directory.Delete(checkDir, true);
            Directory.CreateDirectory(checkDir);
            // Path sources are relative to the project's final folder; those pointing into a fresh clone are redirected to it.
            var source = Stager.ReadArtifact(project.CheckSource, ResolveLabel(s, project.PyProject), d);
            if (source is null) return; // replaced by a special file since it was staged: reported
            var text = Stager.Utf8NoBom.GetString(source);
            File.WriteAllText(Path.Combine(checkDir, "pyproject.toml"), PyProjectEditor.AbsolutizePathSources(text, pyDir, project.Redirects), Stager.Utf8NoBom);
            var uvLock = Path.Combine(Path.GetDirectoryName(project.CheckSource)!, "uv.lock");
            if (!File.Exists(uvLock)) uvLock = Path.Combine(pyDir, "uv.lock");
            if (IO.GuardedFile.KindOf(uvLock) is not (IO.FileKind.Missing or IO.FileKind.Regular))
            {
                d.Error(Codes.ArtifactNotRegular, new SourceSpan(ResolveLabel(s, uvLock), 0, 0), IO.GuardedFile.NotRegularMessage(ResolveLabel(s, uvLock), IO.GuardedFile.KindOf(uvLock), "uv's lock file"));
                return;
            }
            if (File.Exists(uvLock)) File.Copy(uvLock, Path.Combine(checkDir, "uv.lock"));
            log($"hsm: uv lock --dry-run on the staged {ResolveLabel(s, project.PyProject)} ({checkDir})");
            var r = ToolRunner.Run(uv, UvCommands.Lock(checkDir, locked: false, dryRun: true) /* --locked cannot hold on a copy whose path sources are absolute; HsmCommit passes it to the real uv run */, checkDir, cancel, UvCommands.Environment(), s.Tools, onLine: l => log("uv: " + l), what: "uv lock --dry-run");
            var diag = UvCommands.Check(r, $"uv lock --dry-run of the staged {ResolveLabel(s, project.PyProject)}", new SourceSpan(ResolveLabel(s, project.PyProject), 0, 0));
            if (diag != null) d.Add(diag);
        }
        finally
        {
            try { Directory.Delete(checkDir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string ResolveLabel(SyncSettings s, string path) => Hsm.Paths.ProjectPaths.Key(s.ProjectDirectory, path);

    private static void CheckCompose(StagePlan plan, SyncSettings s, CancellationToken cancel, DiagnosticBag d, Action<string> log)
    {
        var validate = s.ComposeValidate.ToLowerInvariant();
        if (validate == "false") return;
        var staged = plan.Files.FirstOrDefault(f => f.Target == plan.Compose && f.Staged != null)?.Staged ?? plan.Compose!;
        if (!File.Exists(staged)) return;
        var parts = s.ComposeCommand.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) return;
        var exe = string.IsNullOrEmpty(s.ComposeExecutable) || s.ComposeExecutable == "none" || !File.Exists(s.ComposeExecutable) ? null : s.ComposeExecutable;
        var baseArgs = parts.Skip(1).ToList();
        // "docker" may be installed without the compose plugin: probe once.
        bool available = exe != null && ToolRunner.Run(exe, baseArgs.Append("version"), s.ProjectDirectory, cancel, options: new ToolOptions(TimeSpan.FromSeconds(30))).ExitCode == 0;
        if (!available)
        {
            if (validate == "true")
                d.Error(Codes.ComposeInvalid, SourceSpan.None, $"HsmComposeValidate=true but '{s.ComposeCommand}' is not available. Install Docker Compose, or set HsmComposeCommand.");
            else
                log($"hsm: '{s.ComposeCommand}' not found; the Compose file was checked by hsm's pre-flight only.");
            return;
        }
        var files = new List<string>();
        var user = ComposeRenderer.UserComposeFile(s.ProjectDirectory);
        if (user != null && IO.GuardedFile.KindOf(user) is var userKind && userKind != IO.FileKind.Regular)
        {
            // Compose would block reading a FIFO: the project's own Compose file is refused like any file hsm reads.
            d.Error(Codes.NotRegularFile, new SourceSpan(ResolveLabel(s, user), 0, 0), IO.GuardedFile.NotRegularMessage(ResolveLabel(s, user), userKind, "the project's own Compose file"));
            return;
        }
        var runs = new List<List<string>> { new() { staged } };
        if (user != null) runs.Add(new() { user, staged });
        foreach (var set in runs)
        {
            var args = new List<string>(baseArgs) { "--project-directory", s.ProjectDirectory };
            foreach (var f in set) { args.Add("-f"); args.Add(f); }
            args.AddRange(new[] { "config", "--no-interpolate", "-q" });
            var r = ToolRunner.Run(exe!, args, s.ProjectDirectory, cancel, options: new ToolOptions(TimeSpan.FromMinutes(2), s.Tools.Progress), what: s.ComposeCommand + " config");
            log($"hsm: {s.ComposeCommand} ({exe}) config on {string.Join(" + ", set.Select(Path.GetFileName))}: exit code {r.ExitCode}");
            if (r.ExitCode != 0)
            {
                // Compose reads the env files the generated file references: never echo their values (design §9).
                var output = SecretValues.Redact(r.Output.Trim(), SecretValues.CollectFromResolved(s.IntermediateDirectory, s.ProjectDirectory));
                d.Error(Codes.ComposeInvalid, new SourceSpan(ResolveLabel(s, plan.Compose!), 0, 0),
                    $"Docker Compose rejects the generated file{(set.Count > 1 ? $" merged with {Path.GetFileName(user)}" : "")}: {output}");
                return;
            }
        }
    }
}
