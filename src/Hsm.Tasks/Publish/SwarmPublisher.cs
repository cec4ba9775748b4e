using System.Globalization;
using System.Text.Json.Nodes;
using Hsm.Compose;
using E = Hsm.Compose;
using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Registry;
using static Hsm.Publish.PublishText;

namespace Hsm.Publish;

/// <summary>
/// The resolved stack as a stack file for <c>docker stack deploy -c</c> (design §12, docs/publish.md): the
/// Compose file format version 3.8 that swarm reads — images only (no <c>build</c>), no
/// <c>container_name</c> (kept as a network alias), list-form <c>depends_on</c>, <c>deploy:</c> with
/// replicas, restart policy (from <c>restart</c>) and <c>endpoint_mode</c>, named volumes, env files
/// referenced relative to the stack file (values never copied). With <c>endpoint_mode: dnsrr</c> (no IPVS
/// on the nodes) published ports use <c>mode: host</c>, as swarm requires.
/// </summary>
public static class SwarmPublisher
{
    public const string FileName = "docker-stack.yml";
    public const string Version = "3.8";

    /// <summary>Compose keys `docker stack deploy` ignores or rejects: reported and left out.</summary>
    static readonly HashSet<string> Unsupported = new(StringComparer.Ordinal)
    {
        "links", "external_links", "network_mode", "devices", "cgroup_parent", "userns_mode", "security_opt", "privileged", "pid", "ipc",
    };

    public static SortedDictionary<string, string>? Publish(ResolvedStack stack, PublishContext ctx, DiagnosticBag d)
    {
        var at = new RegistryLocator(ctx.ProjectDirectory);
        var endpointMode = ctx.SwarmEndpointMode;
        var byName = Preflight.ByName(stack);
        var services = new E.YMap();
        var namedVolumes = new SortedSet<string>(StringComparer.Ordinal);

        foreach (var s in stack.Services.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            if (s.ProfileMode == "external")
            {
                d.Message(Codes.PublishNotFaithful, at.Of(s, "deployment_profiles"), $"swarm: external service '{s.Name}' is not in the stack; its connection variables are in .env.hsm.");
                continue;
            }
            if (!s.InCompose)
            {
                d.Warning(Codes.PublishNotFaithful, at.Of(s, "deployment_profiles"),
                    $"swarm: service '{s.Name}' runs as a {s.Runtime} process (runtime: {s.Runtime}), not a container; it is not published. Package it as an image and give it a docker-image source, or run it yourself.");
                continue;
            }
            if (s.Source?.Type != "docker-image" || string.IsNullOrEmpty(s.Source.Image))
            {
                d.Error(Codes.PublishNoImage, at.Of(s, "sources"),
                    $"swarm: service '{s.Name}' has a '{s.Source?.Type}' source in prod mode: `docker stack deploy` does not build images. Give it a prod source of type docker-image (build and push the image first).");
                continue;
            }

            var m = new E.YMap().Add("image", E.YamlEmitter.Str(s.Source.Image!));
            if (s.Command is not null) m.Add("command", E.YamlEmitter.FromJson(s.Command));
            if (s.Environment.Count > 0)
            {
                var env = new E.YMap();
                foreach (var (k, v) in s.Environment) env.Add(k, E.YamlEmitter.Str(v)); // ${VAR} is interpolated by docker stack deploy
                m.Add("environment", env);
            }
            if (s.EnvFiles.Count > 0)
                m.Add("env_file", E.YamlEmitter.StrSeq(s.EnvFiles.Select(f => RelativeFrom(ctx.PublishDirectory, ctx.ProjectDirectory, f))));

            var ports = Ports(s, endpointMode, at, d);
            if (ports.Items.Count > 0) m.Add("ports", ports);

            var volumes = new List<string>();
            foreach (var v in s.Volumes)
            {
                var (source, target, mode) = ComposeRules.SplitVolume(v);
                if (source is null) { volumes.Add(v); continue; }
                if (ComposeRules.IsNamedVolume(v, out var named)) { namedVolumes.Add(named); volumes.Add(v); continue; }
                // A bind mount: relative to the stack file's folder, and the folder must exist on the node that runs the task.
                var src = ComposeRules.IsAbsolutePath(source) ? source : RelativeFrom(ctx.PublishDirectory, ctx.ProjectDirectory, source);
                if (!src.StartsWith('/') && !src.StartsWith('.') && !ComposeRules.IsAbsolutePath(src)) src = "./" + src;
                d.Warning(Codes.PublishNotFaithful, at.Of(s, "volumes"),
                    $"swarm: the bind mount '{source}' → '{target}' of service '{s.Name}' needs that folder on every node that may run the task; it is published as '{src}'. Prefer a named volume or a config.");
                volumes.Add(src + ":" + target + (mode is null ? "" : ":" + mode));
            }
            if (volumes.Count > 0) m.Add("volumes", E.YamlEmitter.StrSeq(volumes));

            var aliases = s.NetworkAliases.ToList();
            if (!string.IsNullOrEmpty(s.ContainerName))
            {
                d.Warning(Codes.PublishNotFaithful, at.Of(s, "container_name"),
                    $"swarm: container_name '{s.ContainerName}' of service '{s.Name}' is not supported by swarm (tasks get generated names); the name stays reachable as a network alias.");
                aliases.Add(s.ContainerName!);
            }
            aliases = aliases.Distinct(StringComparer.Ordinal).Where(a => a != s.Name).ToList();
            if (aliases.Count > 0)
                m.Add("networks", new E.YMap().Add("default", new E.YMap().Add("aliases", E.YamlEmitter.StrSeq(aliases))));

            var deps = Preflight.EffectiveDependsOn(byName, s);
            if (deps.Count > 0)
            {
                m.Add("depends_on", E.YamlEmitter.StrSeq(deps.OrderBy(x => x, StringComparer.Ordinal)));
                d.Message(Codes.PublishNotFaithful, at.Of(s, "depends_on"), $"swarm: depends_on of service '{s.Name}' is written as a list; swarm starts services in any order (conditions are not kept).");
            }
            if (s.Healthcheck is not null) m.Add("healthcheck", E.YamlEmitter.FromJson(s.Healthcheck));

            // deploy: generated keys, then the registry's own `compose: { deploy: … }` keys over them.
            var deploy = new JsonObject
            {
                ["endpoint_mode"] = endpointMode,
                ["replicas"] = 1,
                ["restart_policy"] = RestartPolicy(s, at, d),
            };
            if (s.Compose?["deploy"] is JsonObject own)
                foreach (var (k, v) in own) deploy[k] = v?.DeepClone();
            m.Add("deploy", E.YamlEmitter.FromJson(deploy));

            if (s.Compose is not null)
            {
                var generated = m.Entries.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
                foreach (var (key, value) in s.Compose.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (key is "restart" or "deploy" || generated.Contains(key)) continue;
                    if (Unsupported.Contains(key))
                    {
                        d.Warning(Codes.PublishNotFaithful, at.Of(s, key), $"swarm: the Compose key '{key}' of service '{s.Name}' (compose:) is not supported by `docker stack deploy`; it is left out.");
                        continue;
                    }
                    m.Add(key, E.YamlEmitter.FromJson(value));
                }
            }
            services.Add(s.Name, m);
        }
        if (d.HasErrors) return null;

        var root = new E.YMap().Add("version", Str(Version)).Add("services", services);
        if (namedVolumes.Count > 0)
        {
            var vols = new E.YMap();
            foreach (var v in namedVolumes) vols.Add(v, new E.YMap());
            root.Add("volumes", vols);
        }
        root.Add("x-hsm", new E.YMap()
            .Add("endpoint-mode", Str(endpointMode))
            .Add("generator", Str(ctx.GeneratorVersion))
            .Add("stack-hash", Str(ctx.StackHash)));
        return new SortedDictionary<string, string>(StringComparer.Ordinal) { [FileName] = E.YamlEmitter.Write(root, Header(SwarmTarget)) };
    }

    /// <summary>Compose `restart` → swarm's restart_policy.condition (no restart key: swarm's own default, any).</summary>
    static JsonObject RestartPolicy(ResolvedService s, RegistryLocator at, DiagnosticBag d)
    {
        var restart = s.Compose?["restart"]?.ToString();
        var policy = new JsonObject();
        switch (restart)
        {
            case null or "always" or "unless-stopped": policy["condition"] = "any"; break;
            case "no": policy["condition"] = "none"; break;
            default:
                if (restart.StartsWith("on-failure", StringComparison.Ordinal))
                {
                    policy["condition"] = "on-failure";
                    var colon = restart.IndexOf(':');
                    if (colon > 0 && int.TryParse(restart[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var n)) policy["max_attempts"] = n;
                }
                else
                {
                    d.Warning(Codes.PublishNotFaithful, at.Of(s, "restart"), $"swarm: restart: {restart} of service '{s.Name}' is not a Compose restart policy; swarm's default (any) is used.");
                    policy["condition"] = "any";
                }
                break;
        }
        return policy;
    }

    /// <summary>
    /// Ports: with vip the short syntax as written (host IPs dropped: swarm publishes on every node); with
    /// dnsrr the long syntax with <c>mode: host</c> (swarm refuses ingress ports with dnsrr), ranges expanded.
    /// </summary>
    static E.YSeq Ports(ResolvedService s, string endpointMode, RegistryLocator at, DiagnosticBag d)
    {
        var seq = new E.YSeq();
        foreach (var raw in s.Ports)
        {
            var p = PortSpec.Parse(raw);
            if (p is null) { seq.Items.Add(E.YamlEmitter.Str(raw)); continue; } // Compose's parser has the last word
            if (!p.AllInterfaces)
                d.Warning(Codes.PublishNotFaithful, at.Of(s, "ports"), $"swarm: the port '{raw}' of service '{s.Name}' is bound to {p.HostIp}; swarm publishes on every interface of the node.");
            if (endpointMode != "dnsrr")
            {
                var text = p.HostIp is null ? raw : raw[(raw.IndexOf(p.HostIp, StringComparison.Ordinal) + p.HostIp.Length)..].TrimStart(']').TrimStart(':');
                seq.Items.Add(E.YamlEmitter.Str(text));
                continue;
            }
            if (p.HostPortText is null)
            {
                d.Message(Codes.PublishNotFaithful, at.Of(s, "ports"), $"swarm: the container port '{raw}' of service '{s.Name}' is not published on the node (endpoint_mode dnsrr publishes host ports only); other services reach it on the stack network.");
                continue;
            }
            if (p.HasInterpolation || p.HostStart is null || p.ContainerStart is null)
            {
                d.Warning(Codes.PublishNotFaithful, at.Of(s, "ports"), $"swarm: the port '{raw}' of service '{s.Name}' uses interpolation, which the long port syntax of endpoint_mode dnsrr cannot hold; it is not published.");
                continue;
            }
            var count = p.ContainerEnd!.Value - p.ContainerStart.Value;
            if (p.HostEnd!.Value - p.HostStart.Value != count)
            {
                d.Warning(Codes.PublishNotFaithful, at.Of(s, "ports"), $"swarm: the port range '{raw}' of service '{s.Name}' maps ranges of different sizes; it is not published.");
                continue;
            }
            for (var i = 0; i <= count; i++)
                seq.Items.Add(new E.YMap()
                    .Add("mode", Str("host"))
                    .Add("protocol", Str(p.Protocol))
                    .Add("published", Int(p.HostStart.Value + i))
                    .Add("target", Int(p.ContainerStart.Value + i)));
        }
        return seq;
    }
}
