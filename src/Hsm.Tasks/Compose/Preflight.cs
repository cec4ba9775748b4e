using System.Text.Json;
using System.Text.Json.Nodes;
using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Registry;

namespace Hsm.Compose;

/// <summary>
/// Design §5.2 pre-flight: problems Compose's <c>config</c> does not catch and <c>up</c> reports late,
/// found before anything is written. Every problem of the stack is reported, not only the first.
/// </summary>
public static class Preflight
{
    /// <summary>
    /// Runs every check. With <paramref name="at"/> (the registry files of the project) each problem is reported at
    /// the line of the key it is about (depends_on, ports, …, read again only when there is a problem); without it,
    /// at the service's registry file.
    /// </summary>
    public static void Check(ResolvedStack stack, DiagnosticBag diagnostics, RegistryLocator? at = null)
    {
        var byName = ByName(stack);
        var compose = stack.Services.Where(s => s.InCompose).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        Func<ResolvedService, string, SourceSpan> span = at is null ? (s, _) => Span(s) : at.Of;

        CheckDependsOn(stack, byName, diagnostics, span);
        CheckPorts(compose, diagnostics, span);
        CheckContainerNames(compose, diagnostics, span);
        CheckPassThrough(byName, compose, diagnostics, span);
        CheckSources(compose, diagnostics, span);
        CheckConnectionPrefixes(stack, diagnostics, span);
    }

    static SourceSpan Span(ResolvedService s) => s.RegistryFile is null ? SourceSpan.None : new SourceSpan(s.RegistryFile, 0, 0);

    /// <summary>
    /// The depends_on that reaches Compose: targets that are managed containers of the stack, in
    /// order, duplicates and self-references dropped. External and uv-runtime targets are dropped
    /// (Check says so), unknown targets too (Check reports them as errors).
    /// </summary>
    public static List<string> EffectiveDependsOn(ResolvedStack stack, ResolvedService service) =>
        EffectiveDependsOn(ByName(stack), service);

    /// <summary>
    /// <see cref="EffectiveDependsOn(ResolvedStack, ResolvedService)"/> with the stack's services by name
    /// (<see cref="ByName"/>), for loops over the stack: a lookup per edge, not a scan (large stacks).
    /// </summary>
    public static List<string> EffectiveDependsOn(IReadOnlyDictionary<string, ResolvedService> byName, ResolvedService service)
    {
        var result = new List<string>();
        foreach (var d in service.DependsOn)
        {
            if (byName.TryGetValue(d, out var target) && target.InCompose && !result.Contains(d)) result.Add(d);
        }
        return result;
    }

    /// <summary>The stack's services by name (the first of a name, as a scan would find it).</summary>
    public static Dictionary<string, ResolvedService> ByName(ResolvedStack stack)
    {
        var byName = new Dictionary<string, ResolvedService>(StringComparer.Ordinal);
        foreach (var s in stack.Services) byName.TryAdd(s.Name, s);
        return byName;
    }

    /// <summary>
    /// True when the service has a healthcheck Compose will run: hsm's <c>healthcheck</c> (or a
    /// <c>compose:</c> healthcheck when hsm writes none) that is not <c>disable: true</c> or test NONE.
    /// </summary>
    public static bool HasHealthcheck(ResolvedService service) => HealthcheckState(service) == Health.Enabled;

    enum Health { None, Disabled, Enabled }

    static Health HealthcheckState(ResolvedService service)
    {
        var hc = service.Healthcheck ?? service.Compose?["healthcheck"];
        if (hc is not JsonObject o) return hc is null ? Health.None : Health.Enabled;
        if (o["disable"] is JsonValue dv && dv.GetValueKind() == JsonValueKind.True) return Health.Disabled;
        var test = o["test"];
        var first = test switch
        {
            JsonArray a when a.Count > 0 && a[0] is JsonValue v && v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => null,
        };
        return first == "NONE" ? Health.Disabled : Health.Enabled;
    }

    /// <summary>The keys hsm writes for this service (so a <c>compose:</c> key among them clashes).</summary>
    public static HashSet<string> GeneratedKeys(ResolvedStack stack, ResolvedService s) => GeneratedKeys(ByName(stack), s);

    static HashSet<string> GeneratedKeys(IReadOnlyDictionary<string, ResolvedService> byName, ResolvedService s)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        keys.Add(s.Source?.Type == "docker-image" ? "image" : "build");
        if (!string.IsNullOrEmpty(s.ContainerName)) keys.Add("container_name");
        if (s.Command is not null) keys.Add("command");
        if (s.Environment.Count > 0) keys.Add("environment");
        if (s.EnvFiles.Count > 0) keys.Add("env_file");
        if (s.Ports.Count > 0) keys.Add("ports");
        if (s.Volumes.Count > 0) keys.Add("volumes");
        if (s.NetworkAliases.Count > 0) keys.Add("networks");
        if (EffectiveDependsOn(byName, s).Count > 0) keys.Add("depends_on");
        if (s.Healthcheck is not null) keys.Add("healthcheck");
        return keys;
    }

    static void CheckDependsOn(ResolvedStack stack, Dictionary<string, ResolvedService> byName, DiagnosticBag diagnostics, Func<ResolvedService, string, SourceSpan> span)
    {
        foreach (var s in stack.Services.Where(s => s.InCompose).OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            foreach (var d in s.DependsOn.Distinct(StringComparer.Ordinal))
            {
                if (!byName.TryGetValue(d, out var target))
                    diagnostics.Error(Codes.BadDependsOn, span(s, "depends_on"),
                        $"service '{s.Name}' depends on '{d}', which is not in the stack; select it (hsm.yaml) or remove it from depends_on");
                else if (d == s.Name)
                    diagnostics.Error(Codes.BadDependsOn, span(s, "depends_on"), $"service '{s.Name}' depends on itself");
                else if (!target.InCompose)
                    diagnostics.Message(Codes.BadDependsOn, span(s, "depends_on"),
                        $"depends_on '{d}' of service '{s.Name}' dropped: '{d}' is {(target.ProfileMode == "external" ? "external" : $"a {target.Runtime}-runtime service")}, not a Compose service");
                else if (HealthcheckState(target) == Health.Disabled)
                    diagnostics.Message(Codes.BadDependsOn, span(s, "depends_on"),
                        $"'{s.Name}' waits for '{d}' with condition service_started: the healthcheck of '{d}' is disabled");
            }
        }

        // Cycles among the effective edges (depth-first search; each cycle reported once, from its smallest name).
        // An explicit stack, not recursion: a registry decides how long a chain is, and a chain of thousands of
        // services would overflow the thread's stack (the process dies with no diagnostic).
        var graph = stack.Services.Where(s => s.InCompose).GroupBy(s => s.Name).ToDictionary(g => g.Key, g => EffectiveDependsOn(byName, g.First()).Where(d => d != g.Key).ToList(), StringComparer.Ordinal);
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 0 new, 1 on stack, 2 done
        var path = new List<string>();
        var next = new List<int>(); // per entry of path: the index of its next edge to follow
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in graph.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(root) != 0) continue;
            state[root] = 1;
            path.Add(root);
            next.Add(0);
            while (path.Count > 0)
            {
                var top = path.Count - 1;
                var edges = graph[path[top]];
                if (next[top] == edges.Count)
                {
                    state[path[top]] = 2;
                    path.RemoveAt(top);
                    next.RemoveAt(top);
                    continue;
                }
                var d = edges[next[top]++];
                var st = state.GetValueOrDefault(d);
                if (st == 1)
                {
                    var cycle = path.Skip(path.IndexOf(d)).ToList();
                    var min = cycle.Min(StringComparer.Ordinal)!;
                    var rot = cycle.Skip(cycle.IndexOf(min)).Concat(cycle.Take(cycle.IndexOf(min))).ToList();
                    var text = string.Join(" -> ", rot.Append(min));
                    if (reported.Add(text))
                        diagnostics.Error(Codes.BadDependsOn, span(byName[min], "depends_on"), $"depends_on cycle: {text}");
                }
                else if (st == 0)
                {
                    state[d] = 1;
                    path.Add(d);
                    next.Add(0);
                }
            }
        }
    }

    static IEnumerable<string> PortsOf(ResolvedService s)
    {
        foreach (var p in s.Ports) yield return p;
        if (s.Compose?["ports"] is JsonArray a && s.Ports.Count == 0)
            foreach (var v in a)
                if (v is JsonValue jv && jv.GetValueKind() is JsonValueKind.String or JsonValueKind.Number) yield return jv.ToString();
    }

    static void CheckPorts(List<ResolvedService> compose, DiagnosticBag diagnostics, Func<ResolvedService, string, SourceSpan> span)
    {
        var published = new List<(ResolvedService Service, PortSpec Port)>();
        foreach (var s in compose)
        {
            foreach (var raw in PortsOf(s))
            {
                if (raw.Contains('$'))
                {
                    diagnostics.Message(Codes.DuplicatePort, span(s, "ports"), $"port '{raw}' of service '{s.Name}' is not checked for clashes: Compose resolves its variables at run time");
                    continue;
                }
                var p = PortSpec.Parse(raw);
                if (p is null)
                {
                    diagnostics.Message(Codes.DuplicatePort, span(s, "ports"), $"port '{raw}' of service '{s.Name}' is not short syntax hsm understands; it is left to Compose");
                    continue;
                }
                if (p.HostStart is null) continue; // not published on a fixed host port
                foreach (var (other, q) in published)
                {
                    if (q.Protocol != p.Protocol) continue;
                    if (!(p.AllInterfaces || q.AllInterfaces || string.Equals(p.HostIp, q.HostIp, StringComparison.OrdinalIgnoreCase))) continue;
                    if (p.HostStart > q.HostEnd || q.HostStart > p.HostEnd) continue;
                    var where = other == s ? $"twice by service '{s.Name}'" : $"by services '{other.Name}' ('{q.Raw}') and '{s.Name}' ('{p.Raw}')";
                    diagnostics.Error(Codes.DuplicatePort, span(s, "ports"),
                        $"host port {FormatRange(Math.Max(p.HostStart!.Value, q.HostStart!.Value), Math.Min(p.HostEnd!.Value, q.HostEnd!.Value))}/{p.Protocol} is published {where}" + (other == s ? $" ('{q.Raw}', '{p.Raw}')" : ""));
                    break;
                }
                published.Add((s, p));
            }
        }
    }

    static string FormatRange(int a, int b) => a == b ? a.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{a}-{b}";

    static void CheckContainerNames(List<ResolvedService> compose, DiagnosticBag diagnostics, Func<ResolvedService, string, SourceSpan> span)
    {
        var seen = new Dictionary<string, ResolvedService>(StringComparer.Ordinal);
        foreach (var s in compose)
        {
            var name = s.ContainerName;
            if (string.IsNullOrEmpty(name) && s.Compose?["container_name"] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                name = v.GetValue<string>();
            if (string.IsNullOrEmpty(name) || name.Contains('$')) continue;
            if (seen.TryGetValue(name, out var first))
                diagnostics.Error(Codes.DuplicateContainerName, span(s, "container_name"), $"container_name '{name}' is used by services '{first.Name}' and '{s.Name}'");
            else seen[name] = s;
        }
    }

    static void CheckPassThrough(IReadOnlyDictionary<string, ResolvedService> byName, List<ResolvedService> compose, DiagnosticBag diagnostics, Func<ResolvedService, string, SourceSpan> span)
    {
        foreach (var s in compose)
        {
            if (s.Compose is null) continue;
            var generated = GeneratedKeys(byName, s);
            foreach (var key in s.Compose.Select(kv => kv.Key).OrderBy(k => k, StringComparer.Ordinal))
                if (generated.Contains(key))
                    diagnostics.Error(Codes.ComposeKeyClash, span(s, "compose"),
                        $"compose key '{key}' of service '{s.Name}' is also written by hsm; set it through the service's own field instead of compose:");
        }
    }

    static void CheckSources(List<ResolvedService> compose, DiagnosticBag diagnostics, Func<ResolvedService, string, SourceSpan> span)
    {
        foreach (var s in compose)
        {
            var src = s.Source;
            if (src is null)
            {
                diagnostics.Error(Codes.NoSource, span(s, "sources"), $"service '{s.Name}' has no source to run it from");
                continue;
            }
            switch (src.Type)
            {
                case "docker-image":
                    if (string.IsNullOrEmpty(src.Image)) diagnostics.Error(Codes.InvalidSource, span(s, "sources"), $"service '{s.Name}': docker-image source without image");
                    break;
                case "build" or "local":
                    if (src.Path is { } p && Paths.ProjectPaths.IsAbsolute(p))
                        diagnostics.Error(Codes.NoRelativePath, span(s, "sources"), $"service '{s.Name}': build context '{p}' is absolute; the Compose file is committed, so it must be relative to the project");
                    break;
                case "git":
                    if (string.IsNullOrEmpty(src.Url)) diagnostics.Error(Codes.InvalidSource, span(s, "sources"), $"service '{s.Name}': git source without url");
                    else if (!LooksLikeGitUrl(src.Url))
                        diagnostics.Warning(Codes.InvalidSource, span(s, "sources"),
                            $"service '{s.Name}': git url '{src.Url}' does not end in .git; Docker may fetch it as a plain URL instead of cloning it");
                    if (src.Ref is { } r && r.StartsWith('-'))
                        diagnostics.Error(Codes.InvalidSource, span(s, "sources"), $"service '{s.Name}': git ref '{r}' may not begin with '-'");
                    break;
                default:
                    diagnostics.Error(Codes.InvalidSource, span(s, "sources"), $"service '{s.Name}': source type '{src.Type}' cannot run as a container");
                    break;
            }
        }
    }

    /// <summary>Docker's own test for a git build context (moby urlutil.IsGitURL).</summary>
    internal static bool LooksLikeGitUrl(string url)
    {
        if (url.StartsWith("git://", StringComparison.Ordinal) || url.StartsWith("git@", StringComparison.Ordinal)
            || url.StartsWith("github.com/", StringComparison.Ordinal)) return true;
        var hash = url.IndexOf('#');
        var baseUrl = hash < 0 ? url : url.Substring(0, hash);
        return (url.StartsWith("http://", StringComparison.Ordinal) || url.StartsWith("https://", StringComparison.Ordinal))
            && baseUrl.EndsWith(".git", StringComparison.Ordinal);
    }

    static void CheckConnectionPrefixes(ResolvedStack stack, DiagnosticBag diagnostics, Func<ResolvedService, string, SourceSpan> span)
    {
        var seen = new Dictionary<string, ResolvedService>(StringComparer.Ordinal);
        foreach (var s in stack.Services.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            var prefix = EnvRenderer.VariablePrefix(s.Name);
            if (seen.TryGetValue(prefix, out var first))
            {
                if (first.Name != s.Name)
                    diagnostics.Error(Codes.ConnectionVarClash, span(s, "name"),
                        $"services '{first.Name}' and '{s.Name}' both expose connection variables {prefix}_HOST/{prefix}_PORT; rename one of them");
            }
            else seen[prefix] = s;
        }
    }
}
