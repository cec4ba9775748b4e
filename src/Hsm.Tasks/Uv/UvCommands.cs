using Hsm.Diagnostics;

namespace Hsm.Uv;

/// <summary>The exact uv command lines of design §6 and the mapping of uv's exit codes to diagnostics.</summary>
public static class UvCommands
{
    public static List<string> Lock(string projectDir, bool locked, bool dryRun)
    {
        var a = new List<string> { "lock", "--project", projectDir };
        if (locked) a.Add("--locked");
        if (dryRun) a.Add("--dry-run");
        a.Add("--no-progress");
        return a;
    }

    public static List<string> Sync(string projectDir, bool locked)
    {
        var a = new List<string> { "sync", "--project", projectDir };
        if (locked) a.Add("--locked");
        a.Add("--no-progress");
        return a;
    }

    /// <summary>uv's environment: no prompts, no colour; VIRTUAL_ENV of the build's shell must not leak in.</summary>
    public static Dictionary<string, string?> Environment() => new()
    {
        ["NO_COLOR"] = "1",
        ["UV_NO_PROGRESS"] = "1",
        ["VIRTUAL_ENV"] = null,
    };

    /// <summary>Diagnostic for a failed uv run (null when it succeeded).</summary>
    public static Diagnostic? Check(ToolResult r, string what, SourceSpan span)
    {
        if (!r.Started)
            return new Diagnostic(Codes.UvFailed, Severity.Error, $"uv could not be started for {what}: {r.StartError}", span);
        if (r.TimedOut) return ToolRunner.TimeoutDiagnostic(r, what, span);
        if (r.ExitCode == 0) return null;
        var output = Trim(r.Output);
        return r.ExitCode == 1
            ? new Diagnostic(Codes.UvNoSolution, Severity.Error, $"uv could not resolve the stack ({what}): {output}", span)
            : new Diagnostic(Codes.UvFailed, Severity.Error, $"uv failed ({what}, exit code {r.ExitCode}): {output}", span);
    }

    private static string Trim(string s)
    {
        s = s.Trim();
        return s.Length > 4000 ? s[..4000] + " …" : s;
    }
}
