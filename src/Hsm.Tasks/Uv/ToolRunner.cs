using System.Diagnostics;
using System.Text;

namespace Hsm.Uv;

public sealed record ToolResult(int ExitCode, string Output, bool Started, string? StartError);

/// <summary>
/// Runs an external tool (uv, git, compose) with an argument list — never through a shell — capturing
/// its output, honouring cancellation (the process tree is killed) and a timeout.
/// </summary>
public static class ToolRunner
{
    public static ToolResult Run(string file, IEnumerable<string> args, string workingDirectory, CancellationToken cancel,
        IDictionary<string, string?>? environment = null, TimeSpan? timeout = null, Action<string>? onLine = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (environment != null)
            foreach (var (k, v) in environment)
            {
                if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
            }
        var output = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        void Add(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
            onLine?.Invoke(line);
        }
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        try
        {
            if (!process.Start()) return new ToolResult(-1, "", false, "the process did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new ToolResult(-1, "", false, e.Message);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(30));
        while (!process.WaitForExit(100))
        {
            if (cancel.IsCancellationRequested || DateTime.UtcNow > deadline)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit(5000);
                if (cancel.IsCancellationRequested) cancel.ThrowIfCancellationRequested();
                lock (output) return new ToolResult(-2, output + $"\n(timed out after {(timeout ?? TimeSpan.FromMinutes(30)).TotalSeconds:0} s)", true, null);
            }
        }
        process.WaitForExit();
        lock (output) return new ToolResult(process.ExitCode, output.ToString().TrimEnd(), true, null);
    }

    /// <summary>Finds an executable on PATH (or returns the path when it has a directory part and exists).</summary>
    public static string? Which(string name)
    {
        if (name.Contains('/') || name.Contains('\\')) return File.Exists(name) ? Path.GetFullPath(name) : null;
        var exts = OperatingSystem.IsWindows() ? new[] { ".exe", ".cmd", ".bat", "" } : new[] { "" };
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var ext in exts)
            {
                var p = Path.Combine(dir, name + ext);
                if (File.Exists(p)) return p;
            }
        return null;
    }
}
