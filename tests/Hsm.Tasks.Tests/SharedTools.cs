using System.Diagnostics;
using Xunit;

namespace Hsm.Tests;

/// <summary>
/// Locates ../shared (the tools and schemas beside the repository) and decides, in one place, what a
/// test does when something it needs is missing: it is reported as skipped locally and fails when
/// CI=true. Tests that can skip are <c>[SkippableFact]</c>/<c>[SkippableTheory]</c> (Xunit.SkippableFact):
/// a plain <c>[Fact]</c> would report the skip as a failure.
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

    public static bool IsCi => Environment.GetEnvironmentVariable("CI") == "true";

    /// <summary>
    /// Stops the running test when <paramref name="available"/> is false: a failure when CI=true, a skip
    /// otherwise (the test must be a SkippableFact or SkippableTheory).
    /// </summary>
    public static void Require(bool available, string what)
    {
        if (available) return;
        if (IsCi) throw new InvalidOperationException($"{what} is required on CI but missing");
        throw new SkipException($"{what} is missing (a failure when CI=true)");
    }

    /// <summary>Path of a tool in ../shared/tools; skips the test when ../shared is missing (fails it when CI=true).</summary>
    public static string RequireTool(string name)
    {
        var shared = SharedDir;
        Require(shared != null, "../shared/tools");
        return Path.Combine(shared!, "tools", name);
    }

    /// <summary>
    /// Path of a tool in ../shared/tools, or null when absent outside CI, for callers that run with or
    /// without it (a build that finds uv on PATH instead). A test that needs the tool calls <see cref="RequireTool"/>.
    /// </summary>
    public static string? Tool(string name)
    {
        var shared = SharedDir;
        if (shared == null)
        {
            if (IsCi) throw new InvalidOperationException("../shared/tools is required on CI but missing");
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

    /// <summary>Runs check-pyproject on files; returns (ok, output). Skips the test when ../shared is missing (fails it when CI=true).</summary>
    public static (bool Ok, string Output) CheckPyProject(params string[] files)
    {
        var tool = RequireTool("check-pyproject");
        var (code, output) = Run(tool, files);
        return (code == 0, output);
    }

    /// <summary>Runs the real Compose parser: compose -f f1 [-f f2] config -q. Skips the test when ../shared is missing (fails it when CI=true).</summary>
    public static (bool Ok, string Output) ComposeConfig(string projectDir, params string[] files)
    {
        var tool = RequireTool("compose");
        var args = new List<string> { "--project-directory", projectDir };
        foreach (var f in files) { args.Add("-f"); args.Add(f); }
        args.Add("config"); args.Add("-q");
        var (code, output) = Run(tool, args, projectDir);
        return (code == 0, output);
    }
}
