using System.Diagnostics;
using Hsm.Diagnostics;
using Hsm.Uv;

namespace Hsm.Run;

/// <summary>
/// Brings the stack up and down (docs/run.md): HsmUp (detached), HsmDown, and the foreground run of
/// `dotnet run` (<see cref="RunForeground"/>). Containers go through <see cref="ComposeDriver"/>,
/// uv-runtime services through <see cref="ProcessRunner"/>.
/// </summary>
public sealed class StackRunner
{
    private readonly RunPlan _plan;
    private readonly Action<string> _progress;
    public ComposeDriver? Compose { get; }
    public ProcessRunner Processes { get; }
    public string? UvResolved { get; }

    /// <summary>How long a started process must stay alive to count as started (it has no healthcheck).</summary>
    public static TimeSpan ProcessSettle { get; set; } = TimeSpan.FromSeconds(1.5);
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    public StackRunner(RunPlan plan, Action<string> progress)
    {
        _plan = plan;
        _progress = progress;
        Compose = plan.ComposeFiles.Count > 0
            ? new ComposeDriver(ComposeDriver.CommandFor(plan.Settings.ComposeCommand, plan.Engine), plan.ProjectDirectory, plan.ComposeFiles)
            : null;
        // The targets looked uv up (_HsmFindTools, the one PATH lookup): a full path when found, else the configured name.
        UvResolved = Path.IsPathRooted(plan.Settings.UvPath) && File.Exists(plan.Settings.UvPath) ? plan.Settings.UvPath : null;
        Processes = new ProcessRunner(plan.RunDirectory, UvResolved ?? plan.Settings.UvPath);
    }

    /// <summary>Starts the containers and waits until every one is healthy (or running, without a healthcheck).</summary>
    public bool UpContainers(DiagnosticBag d, CancellationToken cancel)
    {
        if (_plan.Containers.Count == 0) return true;
        if (Compose is null)
        {
            d.Error(Codes.NotBuilt, new SourceSpan(_plan.Label(_plan.Settings.ComposePath), 0, 0), $"The stack has container services but {_plan.Settings.ComposePath} is missing: run `dotnet build` first.");
            return false;
        }
        _progress($"hsm: {Compose.Display(ComposeDriver.UpArgs(_plan.Settings.Pull, _plan.Settings.TimeoutSeconds))}");
        var (up, states) = Compose.UpWithProgress(_plan.Settings.Pull, _plan.Settings.TimeoutSeconds, _progress, cancel);
        if (up.Started && up.ExitCode == 0) return true;
        var first = _plan.ComposeSpan(_plan.Containers[0].Name);
        if (Compose.EngineProblem(up, first) is { } engine) { d.Add(engine); return false; }
        // Name the service that failed: not running, or not healthy; else the first that has no container.
        var names = _plan.Containers.Select(c => c.Name).Concat(states.Select(s => s.Service)).Distinct().ToList();
        var failed = names.Select(n => (Name: n, State: states.FirstOrDefault(s => s.Service == n)))
            .FirstOrDefault(x => x.State is { } s && (!s.Ready || s.Health == "unhealthy"));
        if (failed.Name is null) failed = names.Select(n => (Name: n, State: states.FirstOrDefault(s => s.Service == n))).FirstOrDefault(x => x.State is null);
        var composeOut = _plan.Redact(Tail(up.Output, 15));
        if (failed.Name is null)
        {
            d.Error(Codes.ServiceNotHealthy, first, $"The stack did not start: '{Compose.Display(ComposeDriver.UpArgs(_plan.Settings.Pull, _plan.Settings.TimeoutSeconds))}' failed (exit code {up.ExitCode}):\n{composeOut}");
            return false;
        }
        var logs = failed.State is null ? "(no container)" : _plan.Redact(Tail(Compose.Tail(failed.Name, 20), 20));
        // A container that never ran (created, or none) could not be started: say so, and why when Compose's words tell.
        var headline = failed.State is null || failed.State.State == "created"
            ? $"Service '{failed.Name}' could not be started{(failed.State is null ? " (it has no container)" : "")}.{StartHint(up.Output)}"
            : $"Service '{failed.Name}' did not become healthy: it is {failed.State.Describe()}.";
        d.Error(Codes.ServiceNotHealthy, _plan.ComposeSpan(failed.Name),
            $"{headline} Compose said:\n{composeOut}\nLast log lines of '{failed.Name}':\n{(logs.Length == 0 ? "(none)" : logs)}");
        return false;
    }

    /// <summary>What the engine's words mean for a container that could not start (a busy host port, an image that is not there); "" when they say nothing known.</summary>
    internal string StartHint(string output)
    {
        if (output.Contains("address already in use", StringComparison.OrdinalIgnoreCase) || output.Contains("port is already allocated", StringComparison.OrdinalIgnoreCase))
            return " A host port it publishes is already in use on this machine (by another program or container): free it, or change the host side of the service's `ports`.";
        if (output.Contains("No such image", StringComparison.OrdinalIgnoreCase) && string.Equals(_plan.Settings.Pull, "never", StringComparison.OrdinalIgnoreCase))
            return " Its image is not on this machine and -p:HsmPull=never forbids pulling it: pull or build the image first, or drop HsmPull.";
        if (output.Contains("pull access denied", StringComparison.OrdinalIgnoreCase) || output.Contains("manifest unknown", StringComparison.OrdinalIgnoreCase)
            || output.Contains(" Error Get ", StringComparison.Ordinal) || output.Contains("error pulling", StringComparison.OrdinalIgnoreCase))
            return " Its image could not be pulled: check the image reference in the registry file, the network and `docker login`.";
        return "";
    }

    /// <summary>HsmUp: containers healthy, then each uv-runtime process started detached (pid and log under obj/hsm/run/).</summary>
    public bool Up(DiagnosticBag d, CancellationToken cancel)
    {
        var watch = Stopwatch.StartNew();
        if (!UpContainers(d, cancel)) return false;
        if (!StartProcessesDetached(d)) return false;
        _progress($"hsm: stack up in {watch.Elapsed.TotalSeconds:0.0} s ({Summary()})");
        return true;
    }

    private string Summary() => $"{_plan.Containers.Count} container service{(_plan.Containers.Count == 1 ? "" : "s")}, {_plan.Processes.Count} process{(_plan.Processes.Count == 1 ? "" : "es")}";

    private bool CheckUv(DiagnosticBag d)
    {
        if (_plan.Processes.Count == 0 || UvResolved != null) return true;
        d.Error(Codes.UvNotFound, new SourceSpan(_plan.Processes[0].RegistryFile, 0, 0),
            $"Service '{_plan.Processes[0].Name}' runs with uv (runtime: uv), but '{_plan.Settings.UvPath}' was not found. Install uv (https://docs.astral.sh/uv/) or set HsmUvPath.");
        return false;
    }

    private bool StartProcessesDetached(DiagnosticBag d)
    {
        if (!CheckUv(d)) return false;
        foreach (var p in _plan.Processes)
        {
            var existing = Processes.Check(p.Name);
            if (existing.Status == PidStatus.Running) { _progress($"hsm: {p.Name}: already running (pid {existing.Pid})"); continue; }
            if (existing.Status == PidStatus.Stale) _progress($"hsm: {p.Name}: removing a stale pid file ({existing.Detail})");
            _progress($"hsm: {p.Name}: {UvResolved} {string.Join(' ', ProcessRunner.UvRunArgs(p))} (in {_plan.Label(p.WorkingDirectory)})");
            var (pid, error) = Processes.StartDetached(p);
            var span = new SourceSpan(p.RegistryFile, 0, 0);
            if (error != null) { d.Error(Codes.ProcessFailed, span, $"Service '{p.Name}' could not be started: {error}."); return false; }
            Thread.Sleep(ProcessSettle);
            var c = Processes.Check(p.Name);
            if (c.Status != PidStatus.Running)
            {
                var log = File.Exists(Processes.LogFile(p.Name)) ? _plan.Redact(Tail(File.ReadAllText(Processes.LogFile(p.Name)), 20)) : "";
                File.Delete(Processes.PidFile(p.Name));
                d.Error(Codes.ProcessFailed, span, $"Service '{p.Name}' exited right after it started (pid {pid}). Last lines of {Processes.LogFile(p.Name)}:\n{log}");
                return false;
            }
            _progress($"hsm: {p.Name}: started (pid {pid}, log {Processes.LogFile(p.Name)})");
        }
        return true;
    }

    /// <summary>HsmDown: every process with a pid file, then the Compose project (named volumes only with HsmDownVolumes).</summary>
    public bool Down(DiagnosticBag d, CancellationToken cancel)
    {
        foreach (var name in Processes.PidFileNames().ToList())
            _progress($"hsm: {name}: {Processes.Stop(name, StopGrace)}");
        if (Compose is null) { _progress("hsm: no Compose file: no containers to stop"); return true; }
        var args = ComposeDriver.DownArgs(_plan.Settings.DownVolumes);
        _progress($"hsm: {Compose.Display(args)}");
        var r = Compose.Run(args, cancel);
        if (r.Started && r.ExitCode == 0)
        {
            _progress(_plan.Settings.DownVolumes ? "hsm: containers, network and named volumes removed" : "hsm: containers and network removed (named volumes kept; -p:HsmDownVolumes=true removes them)");
            return true;
        }
        d.Add(Compose.EngineProblem(r, new SourceSpan(_plan.Label(_plan.Settings.ComposePath), 0, 0))
              ?? new Diagnostic(Codes.ComposeFailed, Severity.Error, $"'{Compose.Display(args)}' failed (exit code {r.ExitCode}): {_plan.Redact(Tail(r.Output, 15))}", new SourceSpan(_plan.Label(_plan.Settings.ComposePath), 0, 0)));
        return false;
    }

    /// <summary>
    /// `dotnet run`: the stack in the foreground. Containers up and healthy, their logs and the processes'
    /// output streamed with a coloured service prefix; Ctrl+C (the token) stops every process it started
    /// and takes the containers down (named volumes kept). Returns the exit code: 0 after Ctrl+C, 1 when
    /// the stack could not start.
    /// </summary>
    public int RunForeground(DiagnosticBag d, ServiceLog log, CancellationToken cancel)
    {
        var watch = Stopwatch.StartNew();
        var followers = new List<Process>();
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancel); // Ctrl+C, or the stack being stopped
        var processes = new List<(ProcessSpec Spec, Process Process)>();
        bool startedContainers = false;
        // A process already running from HsmUp (or another `dotnet run`) would run twice, and stopping this run would
        // drop its pid file and leave it running untracked: refuse before anything starts.
        foreach (var p in _plan.Processes)
        {
            var existing = Processes.Check(p.Name);
            if (existing.Status == PidStatus.Running)
            {
                d.Error(Codes.ProcessFailed, new SourceSpan(p.RegistryFile, 0, 0),
                    $"Service '{p.Name}' is already running (pid {existing.Pid}, started by HsmUp or another `dotnet run`); nothing was started. Stop it first: `dotnet build -t:HsmDown` (or Ctrl+C in the other `dotnet run`).");
                return 1;
            }
        }
        _progress($"hsm: starting the stack ({Summary()}); Ctrl+C stops it");
        try
        {
            if (_plan.Containers.Count > 0)
            {
                startedContainers = true;
                if (!UpContainers(d, cancel)) return 1;
                // Every service of the Compose project: hsm's and those of the user's own Compose file (an app that reads .env.hsm).
                var services = _plan.Containers.Select(c => c.Name).Concat(Compose!.Ps(cancel).States?.Select(x => x.Service) ?? []).Distinct(StringComparer.Ordinal);
                foreach (var name in services) followers.Add(Follow(name, log, stopping.Token));
            }
            if (cancel.IsCancellationRequested) return 0;
            if (!CheckUv(d)) return 1;
            foreach (var p in _plan.Processes)
            {
                _progress($"hsm: {p.Name}: {UvResolved} {string.Join(' ', ProcessRunner.UvRunArgs(p))} (in {_plan.Label(p.WorkingDirectory)})");
                if (!Directory.Exists(p.WorkingDirectory))
                {
                    d.Error(Codes.ProcessFailed, new SourceSpan(p.RegistryFile, 0, 0), $"Service '{p.Name}' could not be started: its working directory '{p.WorkingDirectory}' does not exist.");
                    return 1;
                }
                var proc = Processes.StartAttached(p, line => log.Write(p.Name, line));
                processes.Add((p, proc));
                var name = p.Name;
                proc.Exited += (_, _) => { if (!cancel.IsCancellationRequested) _progress($"hsm: {name}: exited with code {SafeExitCode(proc)}"); };
            }
            // As for HsmUp, a process counts as started when it is still alive ProcessSettle later: one that exits
            // at once (a wrong command, a crash on import) means the stack could not start — stop it, exit 1.
            if (processes.Count > 0 && cancel.WaitHandle.WaitOne(ProcessSettle)) return 0;
            if (processes.FirstOrDefault(x => x.Process.HasExited) is { Process: not null } dead)
            {
                dead.Process.WaitForExit(); // the last lines of its output reach the log first
                d.Error(Codes.ProcessFailed, new SourceSpan(dead.Spec.RegistryFile, 0, 0),
                    $"Service '{dead.Spec.Name}' exited right after it started (exit code {SafeExitCode(dead.Process)}); its output is above, prefixed '{dead.Spec.Name} |'.");
                return 1;
            }
            _progress($"hsm: stack ready in {watch.Elapsed.TotalSeconds:0.0} s; Ctrl+C stops it");
            // Like `docker compose up`: a service that stops later is reported and the rest keeps running; with no
            // container to keep running, the run ends when the last process has exited (1 if any failed).
            while (!cancel.WaitHandle.WaitOne(250))
            {
                if (_plan.Containers.Count > 0 || processes.Any(x => !x.Process.HasExited)) continue;
                foreach (var (spec, proc) in processes)
                {
                    proc.WaitForExit();
                    if (proc.ExitCode != 0)
                        d.Error(Codes.ProcessFailed, new SourceSpan(spec.RegistryFile, 0, 0), $"Service '{spec.Name}' exited with code {proc.ExitCode}; its output is above, prefixed '{spec.Name} |'.");
                }
                _progress("hsm: every process has exited");
                return d.HasErrors ? 1 : 0;
            }
            return 0;
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
        finally
        {
            stopping.Cancel();
            if (cancel.IsCancellationRequested) _progress("hsm: stopping the stack...");
            foreach (var (spec, p) in processes)
            {
                var running = !p.HasExited;
                ProcessRunner.StopAttached(p, StopGrace);
                File.Delete(Processes.PidFile(spec.Name));
                if (running) _progress($"hsm: {spec.Name}: stopped");
            }
            if (startedContainers && Compose != null && !d.Items.Any(x => x.Code == Codes.EngineUnavailable)) // no engine: nothing started, nothing to stop
            {
                var args = ComposeDriver.DownArgs(volumes: false);
                var r = Compose.Run(args, CancellationToken.None);
                _progress(r.ExitCode == 0 ? "hsm: containers stopped and removed (named volumes kept)" : $"hsm: '{Compose.Display(args)}' failed: {_plan.Redact(Tail(r.Output, 10))}");
            }
            foreach (var f in followers) { try { if (!f.HasExited) f.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } f.Dispose(); }
            _progress($"hsm: stopped after {watch.Elapsed.TotalSeconds:0.0} s");
        }
    }

    private static string SafeExitCode(Process p) { try { return p.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture); } catch (InvalidOperationException) { return "?"; } }

    /// <summary>
    /// `compose logs --follow` for one service, each line to the log with its prefix. It ends when the container
    /// stops: then, unless the stack is being stopped, the container's state is reported (`hsm: redis: exited with
    /// code 137`), as `docker compose up` does; the rest keeps running.
    /// </summary>
    private Process Follow(string service, ServiceLog log, CancellationToken cancel)
    {
        var psi = new ProcessStartInfo(Compose!.Command[0])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            WorkingDirectory = _plan.ProjectDirectory,
        };
        foreach (var a in Compose.Args(ComposeDriver.LogsArgs(service, follow: true, tail: -1))) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        p.Exited += (_, _) =>
        {
            if (cancel.IsCancellationRequested) return;
            var state = Compose.Ps(cancel).States?.FirstOrDefault(x => x.Service == service);
            if (!cancel.IsCancellationRequested && state is not { Ready: true })
                _progress($"hsm: {service}: {(state is null ? "container removed" : state.Describe())}");
        };
        // Compose writes terminal control sequences (line clears) even with --no-color: drop them.
        p.OutputDataReceived += (_, e) => { if (e.Data != null) log.Write(service, Ansi.Replace(e.Data, "")); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) log.Write(service, Ansi.Replace(e.Data, "")); };
        p.Start();
        p.StandardInput.Close();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static readonly System.Text.RegularExpressions.Regex Ansi = new("\u001b\\[[0-9;?]*[A-Za-z]", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public static string Tail(string text, int lines)
    {
        text = Ansi.Replace(text, "");
        var all = text.Replace("\r\n", "\n").TrimEnd().Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}

/// <summary>Service output with a prefix per service (`redis  | …`), coloured when the output is a terminal (NO_COLOR turns it off).</summary>
public sealed class ServiceLog
{
    private static readonly string[] Palette = { "\u001b[36m", "\u001b[33m", "\u001b[32m", "\u001b[35m", "\u001b[34m", "\u001b[96m", "\u001b[93m", "\u001b[92m" };
    private readonly TextWriter _out;
    private readonly bool _colour;
    private readonly int _width;
    private readonly Dictionary<string, string> _colours = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public ServiceLog(TextWriter output, bool colour, IEnumerable<string> services)
    {
        _out = output;
        _colour = colour;
        var names = services.ToList();
        _width = names.Count == 0 ? 0 : names.Max(n => n.Length);
        for (int i = 0; i < names.Count; i++) _colours[names[i]] = Palette[i % Palette.Length];
    }

    public static bool UseColour() =>
        !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("FORCE_COLOR"));

    public void Write(string service, string line)
    {
        var prefix = service.PadRight(_width) + " | ";
        lock (_gate)
        {
            if (!_colours.TryGetValue(service, out var c)) _colours[service] = c = Palette[_colours.Count % Palette.Length]; // a service of the user's Compose file
            if (_colour) _out.WriteLine(c + prefix + "\u001b[0m" + line);
            else _out.WriteLine(prefix + line);
            _out.Flush();
        }
    }

    public void Info(string line)
    {
        lock (_gate) { _out.WriteLine(line); _out.Flush(); }
    }
}
