using System.Diagnostics;
using System.Text;
using Hsm.Diagnostics;

namespace Hsm.Uv;

/// <param name="TimedOut">True when the tool was stopped (its process tree killed) because it ran longer than the timeout.</param>
public sealed record ToolResult(int ExitCode, string Output, bool Started, string? StartError, bool TimedOut = false, TimeSpan Timeout = default);

/// <summary>
/// How long a tool may run (<c>HsmToolTimeout</c>, default 30 minutes) and where its progress lines go: while
/// it runs, <see cref="Progress"/> gets a line every <see cref="ProgressInterval"/> (10 s).
/// </summary>
public sealed record ToolOptions(TimeSpan Timeout, Action<string>? Progress = null)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(10);
    public static ToolOptions Default { get; } = new(DefaultTimeout);

    /// <summary>
    /// Parses HsmToolTimeout: seconds (<c>1800</c>) or a time span (<c>00:30:00</c>); empty means the default.
    /// Anything else, or a value that is not positive, is error HSM5004 and the default is used.
    /// </summary>
    public static TimeSpan ParseTimeout(string? value, DiagnosticBag d, SourceSpan at)
    {
        if (string.IsNullOrWhiteSpace(value)) return DefaultTimeout;
        var v = value.Trim();
        if (double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= int.MaxValue)
            return TimeSpan.FromSeconds(seconds);
        if (v.Contains(':') && TimeSpan.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
            return span;
        d.Error(Codes.InvalidProperty, at, $"HsmToolTimeout is '{value}'; it must be a positive number of seconds (1800) or a time span (00:30:00).");
        return DefaultTimeout;
    }

    public static string Describe(TimeSpan t) => t.TotalSeconds < 120 ? $"{t.TotalSeconds:0.#} s" : $"{t.TotalMinutes:0.#} min";
}

/// <summary>
/// Runs an external tool (uv, git, compose) with an argument list — never through a shell — capturing
/// its output, honouring cancellation (the process tree is killed) and a timeout (the process tree is
/// killed and the result says TimedOut), with a progress line every 10 s while it runs.
/// </summary>
public static class ToolRunner
{
    public static ToolResult Run(string file, IEnumerable<string> args, string workingDirectory, CancellationToken cancel,
        IDictionary<string, string?>? environment = null, ToolOptions? options = null, Action<string>? onLine = null, string? what = null)
    {
        options ??= ToolOptions.Default;
        what ??= Path.GetFileNameWithoutExtension(file);
        cancel.ThrowIfCancellationRequested();
        var output = new StringBuilder();
        using var process = new Process { StartInfo = StartInfo(file, args, workingDirectory, environment) };
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
        if (WaitOrStop(process, output, cancel, options, what) is { } stopped) return stopped;
        process.WaitForExit(); // drains the output
        // Ctrl+C in a terminal, or a CI job's SIGTERM to the process group, reaches the tool too: it may die of the
        // signal a moment before this build sees its own cancellation. Such an exit is the cancellation, not a tool failure.
        if (!OperatingSystem.IsWindows() && process.ExitCode is 130 or 143 && !cancel.IsCancellationRequested)
            cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(5));
        cancel.ThrowIfCancellationRequested();
        lock (output) return new ToolResult(process.ExitCode, output.ToString().TrimEnd(), true, null);
    }

    /// <summary>The tool with its argument list (no shell), output captured, input closed, the environment changes applied (null removes).</summary>
    private static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, string workingDirectory, IDictionary<string, string?>? environment)
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
        return psi;
    }

    /// <summary>
    /// Waits for the tool, with a progress line every interval; on cancellation or timeout kills the process tree
    /// (cancellation throws; a timeout is the result). Null when the tool exited by itself.
    /// </summary>
    private static ToolResult? WaitOrStop(Process process, StringBuilder output, CancellationToken cancel, ToolOptions options, string what)
    {
        var clock = Stopwatch.StartNew();
        var nextProgress = ToolOptions.ProgressInterval;
        while (!process.WaitForExit(100))
        {
            bool cancelled = cancel.IsCancellationRequested, timedOut = clock.Elapsed > options.Timeout;
            if (cancelled || timedOut)
            {
                Kill(process);
                if (cancelled) cancel.ThrowIfCancellationRequested();
                lock (output) return new ToolResult(-2, output.ToString().TrimEnd(), true, null, TimedOut: true, Timeout: options.Timeout);
            }
            if (clock.Elapsed >= nextProgress)
            {
                options.Progress?.Invoke($"hsm: {what} is still running ({clock.Elapsed.TotalSeconds:0} s so far; it is stopped after {ToolOptions.Describe(options.Timeout)}, HsmToolTimeout)...");
                nextProgress += ToolOptions.ProgressInterval;
            }
        }
        return null;
    }

    private static void Kill(Process process)
    {
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } catch (System.ComponentModel.Win32Exception) { }
        process.WaitForExit(5000);
    }

    /// <summary>HSM5006 for a tool stopped by HsmToolTimeout.</summary>
    public static Diagnostic TimeoutDiagnostic(ToolResult r, string what, SourceSpan span)
    {
        var tail = r.Output.Trim();
        if (tail.Length > 2000) tail = "… " + tail[^2000..];
        return new Diagnostic(Codes.ToolTimedOut, Severity.Error,
            $"{what} did not finish within {ToolOptions.Describe(r.Timeout)} (HsmToolTimeout) and was stopped.{(tail.Length > 0 ? " Its output so far: " + tail : "")} " +
            "Raise HsmToolTimeout (seconds) if it really needs longer, or find what it waits for (a package index, a git server, a credential prompt).", span);
    }
}
