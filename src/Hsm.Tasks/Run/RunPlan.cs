using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hsm.Compose;
using Hsm.Diagnostics;
using Hsm.Model;

namespace Hsm.Run;

/// <summary>A uv-runtime service run as a process: `uv run --project &lt;dir&gt; --env-file … -- &lt;command&gt;` in its working directory.</summary>
public sealed record ProcessSpec(string Name, string ServiceDirectory, string WorkingDirectory, IReadOnlyList<string> Command,
    IReadOnlyList<string> EnvFiles, string? RegistryFile);

/// <summary>Where the run settings come from: the MSBuild properties (targets) or the runner's command line (dotnet run).</summary>
public sealed class RunSettings
{
    public string ProjectDirectory { get; set; } = "";
    public string IntermediateDirectory { get; set; } = "";
    public string ComposePath { get; set; } = "";
    /// <summary>HsmComposeCommand as given ("docker compose" is the default; with container_engine podman it becomes "podman compose").</summary>
    public string? ComposeCommand { get; set; }
    /// <summary>HsmPull: empty (Compose's default), always, missing, never or build.</summary>
    public string? Pull { get; set; }
    public string UvPath { get; set; } = "uv";
    /// <summary>Seconds to wait for the containers to be healthy (HsmUpTimeout).</summary>
    public int TimeoutSeconds { get; set; } = 300;
    public bool DownVolumes { get; set; }

    public static readonly string[] PullValues = { "always", "missing", "never", "build" };

    /// <summary>HSM5004 for a property outside its set; null when the settings are valid.</summary>
    public Diagnostic? Validate()
    {
        if (!string.IsNullOrEmpty(Pull) && !PullValues.Contains(Pull.ToLowerInvariant()))
            return new Diagnostic(Codes.InvalidProperty, Severity.Error, $"HsmPull is '{Pull}'; it must be always, missing, never or build (or empty for Compose's default).", SourceSpan.None);
        if (TimeoutSeconds <= 0)
            return new Diagnostic(Codes.InvalidProperty, Severity.Error, $"HsmUpTimeout is {TimeoutSeconds}; it must be a positive number of seconds.", SourceSpan.None);
        return null;
    }
}

/// <summary>
/// What running the stack means for this project (docs/run.md): the managed container services of the
/// generated Compose file (merged with the project's own Compose file when there is one) and the
/// uv-runtime services that have a command, read from obj/hsm/resolved.json.
/// </summary>
public sealed class RunPlan
{
    public RunSettings Settings { get; }
    public ResolvedStack? Stack { get; }
    public IReadOnlyList<ResolvedService> Containers { get; }
    public IReadOnlyList<ProcessSpec> Processes { get; }
    /// <summary>-f files in order: the project's own Compose file, then the generated one (absolute paths).</summary>
    public IReadOnlyList<string> ComposeFiles { get; }
    public string RunDirectory => Path.Combine(Settings.IntermediateDirectory, "run");
    public string ProjectDirectory => Settings.ProjectDirectory;
    public string Engine => Stack?.ContainerEngine ?? "docker";

    private RunPlan(RunSettings settings, ResolvedStack? stack, List<ResolvedService> containers, List<ProcessSpec> processes, List<string> files)
    {
        Settings = settings; Stack = stack; Containers = containers; Processes = processes; ComposeFiles = files;
    }

    public string Label(string path) => Path.GetRelativePath(Settings.ProjectDirectory, path).Replace('\\', '/');

    private HashSet<string>? _secrets;

    /// <summary>
    /// Design §9 "Secrets": tool output that goes into a diagnostic or the build log (Compose's words, a container's
    /// or a process's last log lines) with every value of the stack's env files and external maps replaced by ***.
    /// </summary>
    public string Redact(string text) =>
        Stack is null ? text : Compose.SecretValues.Redact(text, _secrets ??= Compose.SecretValues.Collect(Stack, ProjectDirectory));

    /// <summary>Reads resolved.json (absent: an empty stack, e.g. after HsmClean; HsmDown still stops what runs).</summary>
    public static RunPlan Load(RunSettings s)
    {
        var resolved = ResolvedStack.PathIn(s.IntermediateDirectory);
        ResolvedStack? stack = File.Exists(resolved) ? ResolvedStack.FromJson(File.ReadAllText(resolved)) : null;
        var containers = stack?.Services.Where(x => x.InCompose).OrderBy(x => x.Name, StringComparer.Ordinal).ToList() ?? new();
        var processes = new List<ProcessSpec>();
        if (stack != null)
            foreach (var svc in stack.Services.Where(x => x.Runtime == "uv" && x.ProfileMode == "managed" && x.Command != null && x.Source != null)
                         .OrderBy(x => x.Name, StringComparer.Ordinal))
                processes.Add(ProcessOf(s.ProjectDirectory, svc));
        var files = new List<string>();
        if (File.Exists(s.ComposePath))
        {
            var user = ComposeRenderer.UserComposeFile(s.ProjectDirectory);
            if (user != null) files.Add(user);
            files.Add(s.ComposePath);
        }
        return new RunPlan(s, stack, containers, processes, files);
    }

    /// <summary>The directory of a uv-runtime service: services/&lt;name&gt; for a git source (cloned there), else the source path.</summary>
    public static string ServiceDirectory(string projectDirectory, ResolvedService svc) =>
        Path.GetFullPath(Path.Combine(projectDirectory, svc.Source!.Type == "git" ? $"services/{svc.Name}" : svc.Source.Path ?? "."));

    public static ProcessSpec ProcessOf(string projectDirectory, ResolvedService svc)
    {
        var dir = ServiceDirectory(projectDirectory, svc);
        var work = string.IsNullOrEmpty(svc.WorkingDir) ? dir : Path.GetFullPath(Path.Combine(dir, svc.WorkingDir));
        // The connection variables for processes on this machine first (design §5.3), then the user's env files,
        // then the service's own inline env: a later file wins in uv, as in Compose.
        var envFiles = new List<string>();
        var local = Path.Combine(projectDirectory, EnvRenderer.LocalFile);
        if (File.Exists(local)) envFiles.Add(local);
        envFiles.AddRange(svc.EnvFiles.Select(f => Path.GetFullPath(Path.Combine(projectDirectory, f))));
        envFiles.Add(Path.Combine(projectDirectory, ".env." + svc.Name));
        return new ProcessSpec(svc.Name, dir, work, CommandOf(svc.Command!), envFiles, svc.RegistryFile);
    }

    /// <summary>A list is taken as is; a string is split like Compose splits a string command (words, quotes), never run by a shell.</summary>
    public static List<string> CommandOf(JsonNode command)
    {
        if (command is JsonArray a) return a.Select(x => x?.ToString() ?? "").ToList();
        var text = command.ToString();
        var words = new List<string>();
        var cur = new System.Text.StringBuilder();
        bool any = false;
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else if (c == '\\' && quote == '"' && i + 1 < text.Length) cur.Append(text[++i]);
                else cur.Append(c);
            }
            else if (c is '"' or '\'') { quote = c; any = true; }
            else if (char.IsWhiteSpace(c)) { if (any || cur.Length > 0) words.Add(cur.ToString()); cur.Clear(); any = false; }
            else if (c == '\\' && i + 1 < text.Length) { cur.Append(text[++i]); any = true; }
            else { cur.Append(c); any = true; }
        }
        if (any || cur.Length > 0) words.Add(cur.ToString());
        return words;
    }

    /// <summary>The position of the first line of a file matching a pattern (for diagnostics at file(line,col)); the file alone otherwise.</summary>
    public SourceSpan Locate(string path, string pattern)
    {
        var label = Label(path);
        if (!File.Exists(path)) return new SourceSpan(label, 0, 0);
        var rx = new Regex(pattern, RegexOptions.CultureInvariant);
        var lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            if (rx.IsMatch(lines[i])) return new SourceSpan(label, i + 1, lines[i].Length - lines[i].TrimStart().Length + 1);
        }
        return new SourceSpan(label, 1, 1);
    }

    /// <summary>Where a service is declared in the generated Compose file.</summary>
    public SourceSpan ComposeSpan(string service) => Locate(Settings.ComposePath, "^  " + Regex.Escape(service) + ":\\s*$");

    /// <summary>Where a component is recorded in hsm.lock (its `name:` line under `stack`).</summary>
    public SourceSpan LockSpan(string name) => Locate(Path.Combine(ProjectDirectory, "hsm.lock"), "^\\s*(- )?name: \"" + Regex.Escape(name) + "\"\\s*$");
}
