using System.Diagnostics;

namespace Hsm.Tests;

/// <summary>
/// Locates ../shared (the tools and schemas beside the repository). Tests that need it fail, not skip,
/// when CI=true and it is missing.
/// </summary>
public static class SharedTools
{
    public static string RepoRoot { get; } = FindRepoRoot();

    static string FindRepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir != null && !File.Exists(Path.Combine(dir, "hsm.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("hsm.sln not found above " + AppContext.BaseDirectory);
    }

    public static string? SharedDir
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("HSM_SHARED_DIR");
            var dir = !string.IsNullOrEmpty(env) ? env : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
            return Directory.Exists(Path.Combine(dir, "tools")) ? dir : null;
        }
    }

    /// <summary>Path of a tool in ../shared/tools, or null (test should return early) when absent outside CI.</summary>
    public static string? Tool(string name)
    {
        var shared = SharedDir;
        if (shared == null)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true")
                throw new InvalidOperationException("../shared/tools is required on CI but missing");
            return null;
        }
        return Path.Combine(shared, "tools", name);
    }

    public static (int ExitCode, string Output) Run(string file, IEnumerable<string> args, string? workDir = null,
        IDictionary<string, string>? env = null, int timeoutMs = 300_000)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (workDir != null) psi.WorkingDirectory = workDir;
        if (env != null) foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs)) { try { p.Kill(true); } catch { } throw new TimeoutException($"{file} timed out"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Runs check-pyproject on files; returns (ok, output). Returns (true,"skipped") when shared is absent outside CI.</summary>
    public static (bool Ok, string Output) CheckPyProject(params string[] files)
    {
        var tool = Tool("check-pyproject");
        if (tool == null) return (true, "skipped: ../shared missing");
        var (code, output) = Run(tool, files);
        return (code == 0, output);
    }

    /// <summary>Runs the real Compose parser: compose -f f1 [-f f2] config -q.</summary>
    public static (bool Ok, string Output) ComposeConfig(string projectDir, params string[] files)
    {
        var tool = Tool("compose");
        if (tool == null) return (true, "skipped: ../shared missing");
        var args = new List<string> { "--project-directory", projectDir };
        foreach (var f in files) { args.Add("-f"); args.Add(f); }
        args.Add("config"); args.Add("-q");
        var (code, output) = Run(tool, args, projectDir);
        return (code == 0, output);
    }
}
