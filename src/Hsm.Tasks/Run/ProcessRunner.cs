using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Hsm.Uv;

namespace Hsm.Run;

/// <summary>What a pid file under obj/hsm/run/ says about a process.</summary>
public enum PidStatus { NoPidFile, Running, Stale }

public sealed record PidCheck(PidStatus Status, int Pid, string Detail);

/// <summary>
/// Runs uv-runtime services as processes: `uv run --project &lt;dir&gt; --env-file &lt;user files&gt;
/// --env-file .env.&lt;service&gt; -- &lt;command&gt;` in the service's working directory. Detached (HsmUp):
/// in a session of its own, output to obj/hsm/run/&lt;service&gt;.log, its pid and start time in
/// obj/hsm/run/&lt;service&gt;.pid. A pid file is trusted only when a process with that pid exists and
/// started at the recorded time (a reused pid is a stale file, never a running service).
/// </summary>
public sealed class ProcessRunner
{
    public string RunDirectory { get; }
    public string UvPath { get; }

    public ProcessRunner(string runDirectory, string uvPath)
    {
        RunDirectory = runDirectory; UvPath = uvPath;
    }

    public string PidFile(string name) => Path.Combine(RunDirectory, name + ".pid");
    public string LogFile(string name) => Path.Combine(RunDirectory, name + ".log");

    /// <summary>The exact argument list given to uv.</summary>
    public static List<string> UvRunArgs(ProcessSpec p)
    {
        var a = new List<string> { "run", "--project", p.ServiceDirectory };
        foreach (var f in p.EnvFiles) { a.Add("--env-file"); a.Add(f); }
        a.Add("--");
        a.AddRange(p.Command);
        return a;
    }

    /// <summary>
    /// Set in every process hsm starts, to the service's name: a pid file is trusted only for a process whose
    /// environment carries it (Linux: /proc/&lt;pid&gt;/environ). A pid file is read from obj/ — carried in, or edited —
    /// and HsmDown signals what it names: only hsm's own processes may be signalled.
    /// </summary>
    public const string MarkerVariable = "HSM_RUN_SERVICE";

    /// <summary>The process environment: no prompts or colour from uv, and the build's VIRTUAL_ENV does not leak in.</summary>
    private void Prepare(ProcessStartInfo psi, string name)
    {
        psi.Environment[MarkerVariable] = name;
        psi.Environment.Remove("VIRTUAL_ENV");
        psi.Environment["UV_NO_PROGRESS"] = "1";
        // MSBuild's own variables must not reach a service started from a build.
        foreach (var k in psi.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList()) psi.Environment.Remove(k);
    }

    /// <summary>Starts a process that outlives the build; returns its pid, or an error text.</summary>
    public (int Pid, string? Error) StartDetached(ProcessSpec p)
    {
        Directory.CreateDirectory(RunDirectory);
        var pidFile = PidFile(p.Name);
        var log = LogFile(p.Name);
        File.Delete(pidFile);
        File.AppendAllText(log, $"--- hsm: {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {UvPath} {string.Join(' ', UvRunArgs(p))}\n");
        // The shell writes its own pid, then execs (same pid) into uv with stdio on the log file: nothing ties
        // the service to the build's pipes. setsid gives it a session (and process group) of its own.
        const string script = "echo $$ > \"$0.tmp\" && mv \"$0.tmp\" \"$0\"; exec \"$@\" >> \"$HSM_RUN_LOG\" 2>&1 < /dev/null";
        // setsid (util-linux) where every Linux distribution installs it; no PATH lookup here (the targets own that).
        var setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);
        // Without setsid (macOS): a background job of a shell that exits at once (nohup: no SIGHUP).
        const string background = "nohup /bin/sh -c '" + script + "' \"$0\" \"$@\" > /dev/null 2>&1 &";
        var psi = new ProcessStartInfo(setsid ?? "/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = p.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        if (setsid != null) { psi.ArgumentList.Add("-f"); psi.ArgumentList.Add("/bin/sh"); }
        psi.ArgumentList.Add("-c"); psi.ArgumentList.Add(setsid != null ? script : background); psi.ArgumentList.Add(pidFile);
        psi.ArgumentList.Add(UvPath);
        foreach (var a in UvRunArgs(p)) psi.ArgumentList.Add(a);
        psi.Environment["HSM_RUN_LOG"] = log;
        Prepare(psi, p.Name);
        if (!Directory.Exists(p.WorkingDirectory)) return (0, $"its working directory '{p.WorkingDirectory}' does not exist");
        try
        {
            using var launcher = Process.Start(psi)!;
            launcher.StandardInput.Close();
            var output = launcher.StandardOutput.ReadToEndAsync();
            var error = launcher.StandardError.ReadToEndAsync();
            launcher.WaitForExit(30_000);
            if (launcher.HasExited && launcher.ExitCode != 0) return (0, $"{(setsid != null ? "setsid" : "sh")} failed ({launcher.ExitCode}): {output.Result}{error.Result}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (0, e.Message);
        }
        for (int i = 0; i < 300 && !File.Exists(pidFile); i++) Thread.Sleep(50);
        if (!File.Exists(pidFile)) return (0, "it did not start (no pid file after 15 s)");
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        WritePidFile(p.Name, pid);
        return (pid, null);
    }

    /// <summary>Starts a process attached to this one (dotnet run), its output lines to a callback; records a pid file too.</summary>
    public Process StartAttached(ProcessSpec p, Action<string> onLine)
    {
        Directory.CreateDirectory(RunDirectory);
        var psi = new ProcessStartInfo(UvPath)
        {
            UseShellExecute = false,
            WorkingDirectory = p.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in UvRunArgs(p)) psi.ArgumentList.Add(a);
        Prepare(psi, p.Name);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data != null) onLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) onLine(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        WritePidFile(p.Name, process.Id);
        return process;
    }

    private void WritePidFile(string name, int pid)
    {
        var start = StartTicks(pid);
        File.WriteAllText(PidFile(name), $"{pid}\n{start?.ToString(CultureInfo.InvariantCulture) ?? "0"}\n");
    }

    private static long? StartTicks(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.StartTime.ToUniversalTime().Ticks;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Reads a pid file and checks the process: alive, and started at the recorded time (else the file is stale).</summary>
    public PidCheck Check(string name)
    {
        var file = PidFile(name);
        if (!File.Exists(file)) return new PidCheck(PidStatus.NoPidFile, 0, "no pid file");
        var lines = File.ReadAllLines(file);
        if (lines.Length < 1 || !int.TryParse(lines[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
            return new PidCheck(PidStatus.Stale, 0, $"the pid file {file} is not readable");
        long recorded = lines.Length > 1 && long.TryParse(lines[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : 0;
        if (pid == 1 || recorded == 0)
            return new PidCheck(PidStatus.Stale, pid, $"the pid file {file} names {(pid == 1 ? "process 1" : "no start time")}: not a process hsm started");
        var actual = StartTicks(pid);
        if (actual is null || IsZombie(pid)) return new PidCheck(PidStatus.Stale, pid, $"process {pid} of the pid file is no longer running");
        // .NET derives the start time from the boot time and clock ticks: allow a second of rounding.
        if (recorded != 0 && Math.Abs(actual.Value - recorded) > TimeSpan.TicksPerSecond)
            return new PidCheck(PidStatus.Stale, pid, $"pid {pid} now belongs to another process (started {new DateTime(actual.Value, DateTimeKind.Utc):u}, the service started {new DateTime(recorded, DateTimeKind.Utc):u})");
        if (!CarriesMarker(pid, name))
            return new PidCheck(PidStatus.Stale, pid, $"process {pid} is not the service hsm started (its environment has no {MarkerVariable} for '{name}')");
        return new PidCheck(PidStatus.Running, pid, $"running (pid {pid})");
    }

    /// <summary>Whether the process's environment carries this service's marker (true where /proc cannot tell: not Linux).</summary>
    private static bool CarriesMarker(int pid, string name)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self")) return true;
        byte[] env;
        try { env = File.ReadAllBytes($"/proc/{pid}/environ"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; } // another user's: not ours
        // One variable of the NUL-separated list, at its start (a leading NUL makes the first one like the others).
        var want = System.Text.Encoding.UTF8.GetBytes("\0" + MarkerVariable + "=" + name + "\0");
        return ((byte[])[0, .. env]).AsSpan().IndexOf(want) >= 0;
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = $"/proc/{pid}/stat";
            if (!File.Exists(stat)) return false;
            var text = File.ReadAllText(stat);
            var close = text.LastIndexOf(')');
            return close > 0 && close + 2 < text.Length && text[close + 2] is 'Z' or 'X';
        }
        catch (IOException) { return false; }
    }

    /// <summary>Names of every pid file (what HsmDown stops, whatever the stack says now).</summary>
    public IEnumerable<string> PidFileNames() => Directory.Exists(RunDirectory)
        ? Directory.EnumerateFiles(RunDirectory, "*.pid").Select(f => Path.GetFileNameWithoutExtension(f)!).OrderBy(n => n, StringComparer.Ordinal)
        : Enumerable.Empty<string>();

    /// <summary>Stops a service's process (SIGTERM to its process group, then SIGKILL after the grace period) and removes the pid file.</summary>
    public string Stop(string name, TimeSpan grace)
    {
        var c = Check(name);
        string result;
        if (c.Status == PidStatus.Running)
        {
            Signal(c.Pid, Sigterm);
            var deadline = DateTime.UtcNow + grace;
            while (DateTime.UtcNow < deadline && Check(name).Status == PidStatus.Running) Thread.Sleep(100);
            if (Check(name).Status == PidStatus.Running)
            {
                Signal(c.Pid, Sigkill);
                result = $"killed (pid {c.Pid}; it did not stop within {grace.TotalSeconds:0} s of SIGTERM)";
            }
            else result = $"stopped (pid {c.Pid})";
        }
        else result = c.Status == PidStatus.Stale ? $"not running; removed a stale pid file ({c.Detail})" : "not running";
        File.Delete(PidFile(name));
        return result;
    }

    /// <summary>Stops an attached process (dotnet run) and its children.</summary>
    public static void StopAttached(Process p, TimeSpan grace)
    {
        try
        {
            if (p.HasExited) return;
            Signal(p.Id, Sigterm);
            if (!p.WaitForExit((int)grace.TotalMilliseconds)) p.Kill(entireProcessTree: true);
            p.WaitForExit(5000);
        }
        catch (InvalidOperationException) { }
    }

    private const int Sigterm = 15, Sigkill = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int sig);

    [DllImport("libc", EntryPoint = "getpgid", SetLastError = true)]
    private static extern int SysGetPgid(int pid);

    /// <summary>Signals the process group when the process leads one (setsid), else the process alone.</summary>
    private static void Signal(int pid, int sig)
    {
        if (OperatingSystem.IsWindows())
        {
            try { using var p = Process.GetProcessById(pid); p.Kill(entireProcessTree: true); } catch (ArgumentException) { } catch (InvalidOperationException) { }
            return;
        }
        if (pid <= 1) return; // never init, never kill(-1) (every process)
        try
        {
            if (SysGetPgid(pid) == pid) SysKill(-pid, sig);
            SysKill(pid, sig);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            try { using var p = Process.GetProcessById(pid); p.Kill(entireProcessTree: true); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
    }
}
