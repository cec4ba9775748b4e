using System.Diagnostics;
using System.Text.Json;
using Hsm.Diagnostics;
using Hsm.Uv;

namespace Hsm.Run;

/// <summary>One container of the Compose project, as `compose ps -a --format json` reports it.</summary>
public sealed record ContainerState(string Service, string Name, string State, string Health, string Image, int ExitCode)
{
    /// <summary>running and healthy, or running without a healthcheck.</summary>
    public bool Ready => State == "running" && Health is "" or "healthy";
    public string Describe() => State == "running"
        ? Health == "" ? "running" : $"running, {Health}"
        : State == "exited" ? $"exited with code {ExitCode}" : State;
}

/// <summary>
/// Drives Docker Compose (or `podman compose`) for the stack: the command line of every call, `up` with
/// health gating and progress, `ps`, `logs` and `down`. Every call is an argument list, never a shell.
/// </summary>
public sealed class ComposeDriver
{
    public IReadOnlyList<string> Command { get; }
    public string ProjectDirectory { get; }
    public IReadOnlyList<string> Files { get; }

    public ComposeDriver(IReadOnlyList<string> command, string projectDirectory, IReadOnlyList<string> files)
    {
        Command = command; ProjectDirectory = projectDirectory; Files = files;
    }

    /// <summary>
    /// The Compose command: HsmComposeCommand split on spaces; its default `docker compose` becomes
    /// `podman compose` when hsm.yaml says `container_engine: podman`.
    /// </summary>
    public static List<string> CommandFor(string? configured, string engine)
    {
        var c = string.IsNullOrWhiteSpace(configured) ? "docker compose" : configured.Trim();
        if (c == "docker compose" && engine == "podman") c = "podman compose";
        return c.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    /// <summary>The arguments after the executable: [compose] --project-directory D -f user -f generated, then the subcommand.</summary>
    public List<string> Args(IEnumerable<string> sub)
    {
        var a = Command.Skip(1).ToList();
        a.Add("--project-directory"); a.Add(ProjectDirectory);
        foreach (var f in Files) { a.Add("-f"); a.Add(f); }
        a.AddRange(sub);
        return a;
    }

    /// <summary>The full command line, for messages and docs.</summary>
    public string Display(IEnumerable<string> sub) =>
        string.Join(' ', new[] { Command[0] }.Concat(Args(sub)).Select(x => x.Contains(' ') ? $"\"{x}\"" : x));

    /// <summary>`up -d --wait`: detached, returning when every service is running and healthy (or failing when one is not).</summary>
    public static List<string> UpArgs(string? pull, int timeoutSeconds)
    {
        var a = new List<string> { "up", "--detach", "--wait", "--wait-timeout", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (!string.IsNullOrEmpty(pull)) { a.Add("--pull"); a.Add(pull.ToLowerInvariant()); }
        return a;
    }

    public static List<string> DownArgs(bool volumes)
    {
        var a = new List<string> { "down", "--remove-orphans" };
        if (volumes) a.Add("--volumes");
        return a;
    }

    public static readonly string[] PsArgs = { "ps", "--all", "--format", "json" };

    public static List<string> LogsArgs(string service, bool follow, int tail)
    {
        var a = new List<string> { "logs", "--no-color", "--no-log-prefix" };
        if (follow) a.Add("--follow");
        a.Add("--tail"); a.Add(tail < 0 ? "all" : tail.ToString(System.Globalization.CultureInfo.InvariantCulture));
        a.Add(service);
        return a;
    }

    public ToolResult Run(IEnumerable<string> sub, CancellationToken cancel, TimeSpan? timeout = null, Action<string>? onLine = null) =>
        ToolRunner.Run(Command[0], Args(sub), ProjectDirectory, cancel, null, new ToolOptions(timeout ?? TimeSpan.FromMinutes(10)), onLine);

    /// <summary>What the docker CLI says without its Compose plugin: `compose` is no command, so it rejects the command or Compose's first flag.</summary>
    private static readonly string[] NoComposePlugin = { "unknown command: docker compose", "unknown flag: --project-directory", "is not a docker command", "unknown command \"compose\"" };

    /// <summary>What Compose says when the engine does not answer (or an old CLI rejects Compose's -f).</summary>
    private static readonly string[] NoEngine = { "Cannot connect to the Docker daemon", "error during connect", "docker.sock: connect", "unknown shorthand flag: 'f'" };

    /// <summary>HSM6001 when Compose cannot be started or the engine does not answer; null otherwise.</summary>
    public Diagnostic? EngineProblem(ToolResult r, SourceSpan span)
    {
        if (!r.Started)
            return new Diagnostic(Codes.EngineUnavailable, Severity.Error,
                $"The container engine's Compose command '{string.Join(' ', Command)}' could not be started ({r.StartError}). Install Docker with the Compose plugin (or Podman), or set HsmComposeCommand.", span);
        var o = r.Output;
        if (r.ExitCode != 0 && NoComposePlugin.Any(m => o.Contains(m, StringComparison.Ordinal)))
            return new Diagnostic(Codes.EngineUnavailable, Severity.Error,
                $"'{string.Join(' ', Command)}' is not available: the '{Command[0]}' command has no Compose plugin ({o.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0)}). Install Docker Compose v2 (the docker-compose-plugin package, or Docker Desktop), or set HsmComposeCommand (for example to 'docker-compose' or 'podman compose').", span);
        if (r.ExitCode != 0 && NoEngine.Any(m => o.Contains(m, StringComparison.Ordinal)))
            return new Diagnostic(Codes.EngineUnavailable, Severity.Error,
                $"The container engine is not available to '{string.Join(' ', Command)}': {Trim(o)} Start the engine (Docker Desktop, dockerd, or podman), check DOCKER_HOST, or set HsmComposeCommand.", span);
        return null;
    }

    /// <summary>The containers of the project (every state).</summary>
    public (List<ContainerState>? States, ToolResult Result) Ps(CancellationToken cancel)
    {
        var r = Run(PsArgs, cancel, TimeSpan.FromMinutes(2));
        return (r.Started && r.ExitCode == 0 ? ParsePs(r.Output) : null, r);
    }

    /// <summary>Compose 2.21+ prints one JSON object a line; older versions one array.</summary>
    public static List<ContainerState> ParsePs(string output)
    {
        var result = new List<ContainerState>();
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.Trim();
            if (!StartsJson(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind == JsonValueKind.Array)
                    foreach (var e in doc.RootElement.EnumerateArray()) result.Add(One(e));
                else result.Add(One(doc.RootElement));
            }
            catch (JsonException) { }
        }
        return result;
    }

    private static bool StartsJson(string line) => line.Length > 0 && (line[0] == '{' || line[0] == '[');

    private static ContainerState One(JsonElement e)
    {
        string S(string k) => e.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
        int exit = e.TryGetProperty("ExitCode", out var x) && x.ValueKind == JsonValueKind.Number ? x.GetInt32() : 0;
        return new ContainerState(S("Service"), S("Name"), S("State").ToLowerInvariant(), S("Health").ToLowerInvariant(), S("Image"), exit);
    }

    /// <summary>
    /// `up -d --wait`, polling `ps` meanwhile to report each service's state as it changes (with the time
    /// since the start). Returns up's result and the last states seen.
    /// </summary>
    public (ToolResult Up, List<ContainerState> States) UpWithProgress(string? pull, int timeoutSeconds, Action<string> progress, CancellationToken cancel)
    {
        var watch = Stopwatch.StartNew();
        var up = System.Threading.Tasks.Task.Run(() => Run(UpArgs(pull, timeoutSeconds), cancel, TimeSpan.FromSeconds(timeoutSeconds + 120)));
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var last = new List<ContainerState>();
        void Poll()
        {
            var (states, _) = Ps(CancellationToken.None);
            if (states is null) return;
            last = states;
            foreach (var c in states.OrderBy(c => c.Service, StringComparer.Ordinal))
            {
                var d = c.Describe();
                if (seen.TryGetValue(c.Service, out var before) && before == d) continue;
                seen[c.Service] = d;
                progress($"hsm: {c.Service}: {d} ({watch.Elapsed.TotalSeconds:0.0} s)");
            }
        }
        while (!up.Wait(1000))
        {
            if (cancel.IsCancellationRequested) break;
            Poll();
        }
        ToolResult result;
        try { result = up.GetAwaiter().GetResult(); }
        catch (OperationCanceledException) { throw; }
        Poll();
        return (result, last);
    }

    /// <summary>The last lines of a service's log (for an error that names it).</summary>
    public string Tail(string service, int lines)
    {
        var r = Run(LogsArgs(service, follow: false, tail: lines), CancellationToken.None, TimeSpan.FromMinutes(1));
        return r.Output.Trim();
    }

    private static string Trim(string s)
    {
        s = s.Trim();
        return s.Length > 2000 ? s[..2000] + " …" : s;
    }
}
