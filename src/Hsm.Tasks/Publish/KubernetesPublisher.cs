using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hsm.Compose;
using E = Hsm.Compose;
using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Registry;
using static Hsm.Publish.PublishText;

namespace Hsm.Publish;

/// <summary>
/// The resolved stack as a kustomize base (design §12, docs/publish.md): <c>kustomization.yaml</c> plus one
/// file per resource. Per managed container service a Deployment and a Service named like the Compose
/// service (so the host names of <c>.env.hsm</c> resolve in the cluster), a ConfigMap for its inline env,
/// a <c>secretGenerator</c> entry per service with env files (referenced by relative path: values are
/// never copied); a PersistentVolumeClaim per named volume; an extra Service per network alias; the
/// connection variables as the ConfigMap <c>hsm-connection</c>; an ExternalName Service for an external
/// service whose host is a DNS name. Written with the Compose file's deterministic emitter: same stack,
/// same bytes. What has no faithful form is a warning (or an error) naming the service.
/// </summary>
public static class KubernetesPublisher
{
    public const string ConnectionConfigMap = "hsm-connection";
    public const string ManagedBy = "hsm";
    public const string DefaultStorage = "1Gi";

    public static SortedDictionary<string, string>? Publish(ResolvedStack stack, PublishContext ctx, DiagnosticBag d)
    {
        var run = new Run(stack, ctx, d);
        run.WarnProcesses();
        foreach (var s in run.Containers) run.PublishContainer(s);
        run.PublishClaims();
        run.PublishExternals();
        run.PublishConnection();
        if (d.HasErrors) return null;
        return run.WithKustomization();
    }

    /// <summary>One publish: the files so far, the resource names claimed, and what is gathered across services.</summary>
    private sealed class Run
    {
        private readonly ResolvedStack _stack;
        private readonly PublishContext _ctx;
        private readonly DiagnosticBag _d;
        private readonly SortedDictionary<string, string> _files = new(StringComparer.Ordinal);
        private readonly RegistryLocator _at;
        private readonly string _header = Header(KubernetesTarget);
        private readonly string _partOf;
        private readonly Dictionary<string, ResolvedService> _byName;
        private readonly Dictionary<string, string> _resourceNames = new(StringComparer.Ordinal); // "Kind/name" → what made it
        private readonly List<(string Name, List<string> Envs)> _secretEntries = new();
        private readonly SortedDictionary<string, List<string>> _volumeUsers = new(StringComparer.Ordinal); // pvc name → services
        private readonly Dictionary<string, string> _volumeSource = new(StringComparer.Ordinal); // pvc name → Compose volume name
        private readonly SortedDictionary<string, string> _connection = new(StringComparer.Ordinal);

        public Run(ResolvedStack stack, PublishContext ctx, DiagnosticBag d)
        {
            (_stack, _ctx, _d) = (stack, ctx, d);
            _at = new RegistryLocator(ctx.ProjectDirectory);
            _partOf = ComposeRenderer.NormalizeProjectName(stack.ProjectName).Trim('_', '-').Replace('_', '-');
            if (!IsLabelValue(_partOf) || _partOf.Length == 0) _partOf = "hsm-stack";
            _byName = Preflight.ByName(stack);
            Containers = stack.Services.Where(s => s.InCompose).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        }

        public List<ResolvedService> Containers { get; }

        private bool Claim(string kind, string name, string what, ResolvedService s, string key)
        {
            if (_resourceNames.TryGetValue(kind + "/" + name, out var other))
            {
                if (other == what) return false;
                _d.Error(Codes.PublishNameCollision, _at.Of(s, key), $"kubernetes: {what} would be the {kind} '{name}', which is already {other}; rename one of them.");
                return false;
            }
            _resourceNames[kind + "/" + name] = what;
            return true;
        }

        private void Add(string fileName, E.YMap resource) => _files[fileName] = E.YamlEmitter.Write(resource, _header);

        public void WarnProcesses()
        {
            foreach (var s in _stack.Services.Where(s => !s.InCompose).OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                if (s.ProfileMode == "external") continue;
                _d.Warning(Codes.PublishNotFaithful, _at.Of(s, "deployment_profiles"),
                    $"kubernetes: service '{s.Name}' runs as a {s.Runtime} process (runtime: {s.Runtime}), not a container; it is not published. Package it as an image and give it a docker-image source, or run it yourself.");
            }
        }

        public void PublishContainer(ResolvedService s)
        {
            if (!Publishable(s)) return;
            Claim("Deployment", s.Name, $"the Deployment of service '{s.Name}'", s, "name");
            Claim("Service", s.Name, $"the Service of service '{s.Name}'", s, "name");

            var labels = Labels(s, _partOf);
            var selector = new E.YMap().Add("app.kubernetes.io/name", Str(s.Name)).Add("app.kubernetes.io/instance", Str(_partOf));

            // ---- ports: the container ports; every host publishing beyond a Service port is reported ----
            var ports = ContainerPorts(s, _at, _d, KubernetesTarget);
            var envFrom = EnvFrom(s, labels);
            var (mounts, podVolumes, claims) = Volumes(s);
            var container = Container(s, envFrom, ports, mounts);
            Add(s.Name + "-deployment.yaml", Deployment(s, labels, selector, container, podVolumes, claims));

            // ---- Services: the service's own name, then each network alias and container_name ----
            Add(s.Name + "-service.yaml", Service(s.Name, labels, selector, ports));
            PublishAliases(s, selector, ports);

            if (s.DependsOn.Count > 0)
                _d.Message(Codes.PublishNotFaithful, _at.Of(s, "depends_on"),
                    $"kubernetes: depends_on of service '{s.Name}' has no Kubernetes form (no start order); the readiness probes and Services take its place.");
            ComposeKeys(s, _at, _d);

            // ---- connection variables, as in .env.hsm: the Service name and the first container port ----
            var prefix = EnvRenderer.VariablePrefix(s.Name);
            _connection[prefix + "_HOST"] = s.Name;
            if (ports.Count > 0) _connection[prefix + "_PORT"] = ports[0].Port.ToString(CultureInfo.InvariantCulture);
        }

        private bool Publishable(ResolvedService s)
        {
            if (!IsDns1035Label(s.Name))
            {
                _d.Error(Codes.PublishInvalidName, _at.Of(s, "name"),
                    $"kubernetes: service '{s.Name}' cannot be a Kubernetes Service name (lowercase letters, digits and '-', starting with a letter, at most 63 characters), so the host name '{s.Name}' of .env.hsm would not resolve in the cluster; rename the service.");
                return false;
            }
            if (s.Source?.Type != "docker-image" || string.IsNullOrEmpty(s.Source.Image))
            {
                _d.Error(Codes.PublishNoImage, _at.Of(s, "sources"),
                    $"kubernetes: service '{s.Name}' has a '{s.Source?.Type}' source in prod mode: a cluster pulls images and cannot build one. Give it a prod source of type docker-image (build and push the image first).");
                return false;
            }
            return true;
        }

        /// <summary>env: inline → ConfigMap &lt;svc&gt;-env; env files → secretGenerator &lt;svc&gt;-env-files.</summary>
        private E.YSeq EnvFrom(ResolvedService s, E.YMap labels)
        {
            var envFrom = new E.YSeq();
            E.YMap? configRef = null;
            var env = InlineEnv(s);
            if (env.Count > 0)
            {
                var cmName = s.Name + "-env";
                if (Claim("ConfigMap", cmName, $"the env ConfigMap of service '{s.Name}'", s, "env"))
                    Add(cmName + "-configmap.yaml", ConfigMap(cmName, labels, env));
                configRef = new E.YMap().Add("configMapRef", new E.YMap().Add("name", Str(cmName)));
            }
            if (s.EnvFiles.Count > 0)
            {
                var secretName = s.Name + "-env-files";
                var envs = EnvFilePaths(s);
                if (Claim("Secret", secretName, $"the env-file Secret of service '{s.Name}'", s, "env_file"))
                    _secretEntries.Add((secretName, envs));
                envFrom.Items.Add(new E.YMap().Add("secretRef", new E.YMap().Add("name", Str(secretName))));
            }
            // Later envFrom sources win, as inline env wins over env_file in Compose.
            if (configRef != null) envFrom.Items.Add(configRef);
            return envFrom;
        }

        private SortedDictionary<string, string> InlineEnv(ResolvedService s)
        {
            var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in s.Environment)
            {
                if (Interpolation.HasInterpolation(value))
                {
                    _d.Warning(Codes.PublishNotFaithful, _at.OfEnv(s, key),
                        $"kubernetes: the env variable {key} of service '{s.Name}' uses Compose interpolation, which Kubernetes does not do; it is left out of the ConfigMap '{s.Name}-env'. Set it in an overlay (a Secret or ConfigMap patch).");
                    continue;
                }
                env[key] = Interpolation.Unescape(value);
            }
            return env;
        }

        private List<string> EnvFilePaths(ResolvedService s)
        {
            var envs = new List<string>();
            foreach (var f in s.EnvFiles)
            {
                var rel = RelativeFrom(_ctx.PublishDirectory, _ctx.ProjectDirectory, f);
                envs.Add(rel);
                EnvFileSyntax(s, f, _ctx.ProjectDirectory, _d);
                if (rel.StartsWith("../", StringComparison.Ordinal))
                    _d.Warning(Codes.PublishEnvFileOutside, _at.Of(s, "env_file"),
                        $"kubernetes: the env file '{f}' of service '{s.Name}' is outside the published folder; kustomize reads it only with `--load-restrictor LoadRestrictionsNone` (`kubectl apply -k` cannot). Apply with `kubectl kustomize --load-restrictor LoadRestrictionsNone <folder> | kubectl apply -f -`, or keep env files below HsmPublishPath.");
            }
            return envs;
        }

        /// <summary>volumes: named → PVC, anonymous → emptyDir, bind mounts have no faithful form.</summary>
        private (E.YSeq Mounts, E.YSeq PodVolumes, bool Claims) Volumes(ResolvedService s)
        {
            var mounts = new E.YSeq();
            var podVolumes = new E.YSeq();
            var podVolumeNames = new HashSet<string>(StringComparer.Ordinal);
            var anonymous = 0;
            foreach (var v in s.Volumes)
            {
                var (source, target, mode) = ComposeRules.SplitVolume(v);
                var readOnly = mode != null && mode.Split(',').Contains("ro");
                string volName;
                if (source is null)
                {
                    volName = "anonymous-" + (++anonymous).ToString(CultureInfo.InvariantCulture);
                    podVolumes.Items.Add(new E.YMap().Add("name", Str(volName)).Add("emptyDir", new E.YMap()));
                    _d.Message(Codes.PublishNotFaithful, _at.Of(s, "volumes"), $"kubernetes: the anonymous volume '{target}' of service '{s.Name}' becomes an emptyDir (deleted with the pod).");
                }
                else if (ComposeRules.IsNamedVolume(v, out var named))
                {
                    volName = ToDnsLabel(named);
                    if (!ClaimVolume(s, named, volName)) continue;
                    if (podVolumeNames.Add(volName))
                        podVolumes.Items.Add(new E.YMap().Add("name", Str(volName)).Add("persistentVolumeClaim", new E.YMap().Add("claimName", Str(volName))));
                }
                else
                {
                    _d.Warning(Codes.PublishNotFaithful, _at.Of(s, "volumes"),
                        $"kubernetes: the bind mount '{source}' → '{target}' of service '{s.Name}' has no faithful form (a cluster node has no such host folder); it is left out. Use a ConfigMap, a Secret or a PersistentVolumeClaim in an overlay.");
                    continue;
                }
                var mount = new E.YMap().Add("name", Str(volName)).Add("mountPath", Str(target));
                if (readOnly) mount.Add("readOnly", new E.YScalar("true"));
                mounts.Items.Add(mount);
            }
            return (mounts, podVolumes, podVolumeNames.Count > 0);
        }

        /// <summary>Records a service's use of the claim of a named volume; false (reported) when it has no valid, unique claim name.</summary>
        private bool ClaimVolume(ResolvedService s, string named, string volName)
        {
            if (volName.Length == 0 || !char.IsAsciiLetterLower(volName[0]) && !char.IsAsciiDigit(volName[0]))
            {
                _d.Error(Codes.PublishInvalidName, _at.Of(s, "volumes"), $"kubernetes: the volume '{named}' of service '{s.Name}' gives no valid PersistentVolumeClaim name; rename the volume.");
                return false;
            }
            if (_volumeSource.TryGetValue(volName, out var otherVolume) && otherVolume != named)
            {
                _d.Error(Codes.PublishNameCollision, _at.Of(s, "volumes"), $"kubernetes: the volumes '{otherVolume}' and '{named}' both become the PersistentVolumeClaim '{volName}'; rename one of them.");
                return false;
            }
            _volumeSource[volName] = named;
            if (!_volumeUsers.TryGetValue(volName, out var users)) _volumeUsers[volName] = users = new List<string>();
            if (!users.Contains(s.Name)) users.Add(s.Name);
            return true;
        }

        private E.YMap Container(ResolvedService s, E.YSeq envFrom, List<PublishedPort> ports, E.YSeq mounts)
        {
            var container = new E.YMap().Add("name", Str(s.Name)).Add("image", Str(s.Source!.Image!));
            if (s.Command is not null)
            {
                var args = CommandArgs(s.Command);
                if (args is null)
                    _d.Warning(Codes.PublishNotFaithful, _at.Of(s, "command"), $"kubernetes: the command of service '{s.Name}' cannot be split into arguments; it is left out.");
                else if (args.Any(Interpolation.HasInterpolation))
                    _d.Warning(Codes.PublishNotFaithful, _at.Of(s, "command"), $"kubernetes: the command of service '{s.Name}' uses Compose interpolation, which Kubernetes does not do; it is left out (the image's own command runs). Set args in an overlay.");
                else container.Add("args", new E.YSeq(args.Select(a => (E.YNode)Str(Interpolation.Unescape(a))).ToList()));
            }
            if (envFrom.Items.Count > 0) container.Add("envFrom", envFrom);
            if (ports.Count > 0)
                container.Add("ports", new E.YSeq(ports.Select(p => (E.YNode)new E.YMap()
                    .Add("name", Str(p.Name)).Add("containerPort", Int(p.Port)).Add("protocol", Str(p.Protocol))).ToList()));
            var probe = Probe(s, _at, _d);
            if (probe != null) container.Add("readinessProbe", probe);
            if (mounts.Items.Count > 0) container.Add("volumeMounts", mounts);
            return container;
        }

        private static E.YMap Deployment(ResolvedService s, E.YMap labels, E.YMap selector, E.YMap container, E.YSeq podVolumes, bool claims)
        {
            var podSpec = new E.YMap().Add("containers", new E.YSeq { Items = { container } });
            if (podVolumes.Items.Count > 0) podSpec.Add("volumes", podVolumes);

            var deploymentSpec = new E.YMap()
                .Add("replicas", Int(1))
                .Add("selector", new E.YMap().Add("matchLabels", selector));
            // A ReadWriteOnce claim cannot be mounted by the old and the new pod on two nodes at once.
            if (claims) deploymentSpec.Add("strategy", new E.YMap().Add("type", Str("Recreate")));
            deploymentSpec.Add("template", new E.YMap()
                .Add("metadata", new E.YMap().Add("labels", labels))
                .Add("spec", podSpec));
            return new E.YMap()
                .Add("apiVersion", Str("apps/v1")).Add("kind", Str("Deployment"))
                .Add("metadata", new E.YMap().Add("name", Str(s.Name)).Add("labels", labels))
                .Add("spec", deploymentSpec);
        }

        private void PublishAliases(ResolvedService s, E.YMap selector, List<PublishedPort> ports)
        {
            var aliases = OtherNames(s, _at, _d, $"kubernetes: container_name '{s.ContainerName}' of service '{s.Name}' has no Kubernetes form (pods get generated names); the name stays reachable as an extra Service.");
            foreach (var alias in aliases.Distinct(StringComparer.Ordinal))
            {
                if (alias == s.Name) continue;
                if (!IsDns1035Label(alias))
                {
                    _d.Warning(Codes.PublishNotFaithful, _at.Of(s, alias == s.ContainerName ? "container_name" : "network_aliases"),
                        $"kubernetes: the name '{alias}' of service '{s.Name}' cannot be a Service name (lowercase letters, digits and '-', starting with a letter); it is not published.");
                    continue;
                }
                if (_byName.ContainsKey(alias) && alias != s.Name)
                {
                    _d.Error(Codes.PublishNameCollision, _at.Of(s, "network_aliases"), $"kubernetes: the alias '{alias}' of service '{s.Name}' is also the name of a service of the stack; rename one of them.");
                    continue;
                }
                if (Claim("Service", alias, $"the alias Service '{alias}' of service '{s.Name}'", s, "network_aliases"))
                    Add(alias + "-service.yaml", Service(alias, Labels(s, _partOf), selector, ports));
            }
        }

        public void PublishClaims()
        {
            foreach (var (pvc, users) in _volumeUsers)
            {
                if (users.Count > 1)
                    _d.Warning(Codes.PublishNotFaithful, _at.Of(_byName[users[1]], "volumes"),
                        $"kubernetes: the volume '{_volumeSource[pvc]}' is shared by services {string.Join(", ", users.Select(u => $"'{u}'"))}; its claim is ReadWriteOnce, so their pods must run on one node. Use a ReadWriteMany storage class in an overlay to spread them.");
                if (!Claim("PersistentVolumeClaim", pvc, $"the claim of volume '{_volumeSource[pvc]}'", _byName[users[0]], "volumes")) continue;
                Add(pvc + "-pvc.yaml", new E.YMap()
                    .Add("apiVersion", Str("v1")).Add("kind", Str("PersistentVolumeClaim"))
                    .Add("metadata", new E.YMap().Add("name", Str(pvc)).Add("labels", new E.YMap()
                        .Add("app.kubernetes.io/managed-by", Str(ManagedBy))
                        .Add("app.kubernetes.io/part-of", Str(_partOf))))
                    .Add("spec", new E.YMap()
                        .Add("accessModes", new E.YSeq { Items = { Str("ReadWriteOnce") } })
                        .Add("resources", new E.YMap().Add("requests", new E.YMap().Add("storage", Str(DefaultStorage))))));
            }
        }

        /// <summary>external services: connection variables, and an ExternalName Service for a DNS host.</summary>
        public void PublishExternals()
        {
            foreach (var s in _stack.Services.Where(s => s.ProfileMode == "external").OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                var prefix = EnvRenderer.VariablePrefix(s.Name);
                ExternalConnection(s, prefix);
                var host = s.External?.FirstOrDefault(kv => kv.Key.Equals("host", StringComparison.OrdinalIgnoreCase)).Value;
                if (host is null) continue;
                if (IPAddress.TryParse(host, out _) || !IsDnsName(host))
                {
                    _d.Message(Codes.PublishNotFaithful, _at.Of(s, "external"), $"kubernetes: external service '{s.Name}' has the host '{host}', not a DNS name: no ExternalName Service; clients use {prefix}_HOST.");
                    continue;
                }
                if (!IsDns1035Label(s.Name))
                {
                    _d.Warning(Codes.PublishNotFaithful, _at.Of(s, "name"), $"kubernetes: external service '{s.Name}' cannot be a Service name; no ExternalName Service, clients use {prefix}_HOST.");
                    continue;
                }
                if (!Claim("Service", s.Name, $"the ExternalName Service of external service '{s.Name}'", s, "external")) continue;
                Add(s.Name + "-service.yaml", new E.YMap()
                    .Add("apiVersion", Str("v1")).Add("kind", Str("Service"))
                    .Add("metadata", new E.YMap().Add("name", Str(s.Name)).Add("labels", new E.YMap()
                        .Add("app.kubernetes.io/name", Str(s.Name))
                        .Add("app.kubernetes.io/managed-by", Str(ManagedBy))
                        .Add("app.kubernetes.io/part-of", Str(_partOf))))
                    .Add("spec", new E.YMap().Add("type", Str("ExternalName")).Add("externalName", Str(host.TrimEnd('.')))));
            }
        }

        private void ExternalConnection(ResolvedService s, string prefix)
        {
            foreach (var (key, value) in s.External ?? new SortedDictionary<string, string>(StringComparer.Ordinal))
            {
                var k = key.ToLowerInvariant();
                if (k is "host" or "port" or "hostname")
                    _connection[prefix + "_" + EnvRenderer.VariablePrefix(key)] = value;
                else
                    _d.Warning(Codes.PublishNotFaithful, _at.Of(s, "external"),
                        $"kubernetes: the external key '{key}' of service '{s.Name}' is not published ({prefix}_{EnvRenderer.VariablePrefix(key)} may be a credential, and published files are committed); put it in a Secret of an overlay.");
            }
        }

        public void PublishConnection()
        {
            if (_connection.Count == 0) return;
            var connLabels = new E.YMap().Add("app.kubernetes.io/managed-by", Str(ManagedBy)).Add("app.kubernetes.io/part-of", Str(_partOf));
            _resourceNames["ConfigMap/" + ConnectionConfigMap] = "the connection variables";
            Add(ConnectionConfigMap + "-configmap.yaml", ConfigMap(ConnectionConfigMap, connLabels, _connection));
        }

        public SortedDictionary<string, string> WithKustomization()
        {
            var kustomization = new E.YMap()
                .Add("apiVersion", Str("kustomize.config.k8s.io/v1beta1"))
                .Add("kind", Str("Kustomization"))
                .Add("resources", new E.YSeq(_files.Keys.Select(f => (E.YNode)Str(f)).ToList()));
            if (_secretEntries.Count > 0)
                kustomization.Add("secretGenerator", new E.YSeq(_secretEntries.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => (E.YNode)new E.YMap()
                    .Add("name", Str(e.Name))
                    .Add("envs", new E.YSeq(e.Envs.Select(x => (E.YNode)Str(x)).ToList()))).ToList()));
            _files["kustomization.yaml"] = E.YamlEmitter.Write(kustomization, _header);
            return _files;
        }
    }

    /// <summary>app.kubernetes.io/* labels (Kubernetes' recommended labels); the version only when the image tag is a valid label value.</summary>
    static E.YMap Labels(ResolvedService s, string partOf)
    {
        var m = new E.YMap();
        var component = s.Group != null && IsLabelValue(s.Group) ? s.Group : null;
        if (component != null) m.Add("app.kubernetes.io/component", Str(component));
        m.Add("app.kubernetes.io/instance", Str(partOf));
        m.Add("app.kubernetes.io/managed-by", Str(ManagedBy));
        m.Add("app.kubernetes.io/name", Str(s.Name));
        m.Add("app.kubernetes.io/part-of", Str(partOf));
        var tag = s.Source?.Image is { } image ? ImageTag(image) : null;
        if (tag != null && IsLabelValue(tag) && tag.Length > 0) m.Add("app.kubernetes.io/version", Str(tag));
        return m;
    }

    static E.YMap ConfigMap(string name, E.YMap labels, SortedDictionary<string, string> data)
    {
        var dm = new E.YMap();
        foreach (var (k, v) in data) dm.Add(k, Str(v));
        return new E.YMap()
            .Add("apiVersion", Str("v1")).Add("kind", Str("ConfigMap"))
            .Add("metadata", new E.YMap().Add("name", Str(name)).Add("labels", labels))
            .Add("data", dm);
    }

    /// <summary>A ClusterIP Service on the container ports; headless (still a DNS name) when the service declares none.</summary>
    static E.YMap Service(string name, E.YMap labels, E.YMap selector, List<PublishedPort> ports)
    {
        var spec = new E.YMap();
        if (ports.Count == 0) spec.Add("clusterIP", Str("None"));
        else
            spec.Add("ports", new E.YSeq(ports.Select(p => (E.YNode)new E.YMap()
                .Add("name", Str(p.Name)).Add("port", Int(p.Port)).Add("protocol", Str(p.Protocol)).Add("targetPort", Int(p.Port))).ToList()));
        spec.Add("selector", selector);
        return new E.YMap()
            .Add("apiVersion", Str("v1")).Add("kind", Str("Service"))
            .Add("metadata", new E.YMap().Add("name", Str(name)).Add("labels", labels))
            .Add("spec", spec);
    }

    /// <summary>The healthcheck as a readiness probe (exec; interval, timeout, retries, start_period).</summary>
    static E.YMap? Probe(ResolvedService s, RegistryLocator at, DiagnosticBag d)
    {
        var hc = s.Healthcheck ?? s.Compose?["healthcheck"];
        if (hc is null) return null;
        var command = HealthcheckCommand(hc);
        if (command is null)
        {
            if (hc is JsonObject o && !(o["disable"] is JsonValue dv && dv.GetValueKind() == JsonValueKind.True)
                && !(o["test"] is JsonArray a && a.Count > 0 && a[0]?.ToString() == "NONE"))
                d.Warning(Codes.PublishNotFaithful, at.Of(s, "healthcheck"), $"kubernetes: the healthcheck test of service '{s.Name}' cannot be read as a command; no readiness probe.");
            return null;
        }
        var probe = new E.YMap().Add("exec", new E.YMap().Add("command", new E.YSeq(command.Select(c => (E.YNode)Str(c)).ToList())));
        var obj = (JsonObject)hc;
        if (Seconds(obj["start_period"]) is { } start) probe.Add("initialDelaySeconds", Int(start));
        if (Seconds(obj["interval"]) is { } interval) probe.Add("periodSeconds", Int(interval));
        if (Seconds(obj["timeout"]) is { } timeout) probe.Add("timeoutSeconds", Int(timeout));
        if (Integer(obj["retries"]) is { } retries && retries > 0) probe.Add("failureThreshold", Int(retries));
        return probe;
    }

    /// <summary>`compose:` pass-through keys: a restart policy other than always is reported; every other key is not published.</summary>
    static void ComposeKeys(ResolvedService s, RegistryLocator at, DiagnosticBag d)
    {
        if (s.Compose is null) return;
        foreach (var (key, value) in s.Compose.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (key == "healthcheck" && s.Healthcheck is null) continue; // the probe
            if (key == "restart")
            {
                var policy = value?.ToString() ?? "";
                if (policy is not ("always" or "unless-stopped"))
                    d.Warning(Codes.PublishNotFaithful, at.Of(s, "restart"), $"kubernetes: restart: {policy} of service '{s.Name}' has no Deployment form (its pods always restart).");
                continue;
            }
            d.Warning(Codes.PublishNotFaithful, at.Of(s, key), $"kubernetes: the Compose key '{key}' of service '{s.Name}' (compose:) is not published; add its Kubernetes form in an overlay.");
        }
    }

    /// <summary>
    /// kustomize reads an env file line by line as KEY=VALUE, literally: unlike Compose it keeps quotes,
    /// an <c>export </c> prefix and a trailing <c># comment</c> in the value. Such lines are reported by file,
    /// line and key (never the value).
    /// </summary>
    static void EnvFileSyntax(ResolvedService s, string envFile, string projectDirectory, DiagnosticBag d)
    {
        var path = Path.Combine(projectDirectory, envFile);
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; } // the resolver reported it
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimStart();
            if (line.Length == 0 || line[0] == '#') continue;
            var eq = line.IndexOf('=');
            var key = (eq < 0 ? line : line[..eq]).Trim();
            var value = eq < 0 ? "" : line[(eq + 1)..];
            string? why = line.StartsWith("export ", StringComparison.Ordinal) ? "starts with 'export '"
                : value.TrimStart().StartsWith('"') || value.TrimStart().StartsWith('\'') ? "has a quoted value"
                : value.Contains(" #", StringComparison.Ordinal) ? "has a comment after the value"
                : null;
            if (why != null)
                d.Warning(Codes.PublishNotFaithful, new SourceSpan(envFile, i + 1, 1),
                    $"kubernetes: {envFile}:{i + 1} ({key}, env file of service '{s.Name}') {why}; kustomize's secretGenerator reads env files literally, so the Secret's value would differ from what Compose passes. Write it as KEY=value.");
        }
    }

    /// <summary>A DNS name an ExternalName Service can point at.</summary>
    static bool IsDnsName(string host) =>
        host.Length <= 253 && host.TrimEnd('.').Split('.').All(l => l.Length is > 0 and <= 63 && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') && l[0] != '-' && l[^1] != '-');

    public sealed record PublishedPort(string Name, int Port, string Protocol);

    /// <summary>
    /// The container ports of a service, first-seen order, ranges expanded; host publishing that a Service
    /// port does not express (another host port, a host IP) is a warning naming the service.
    /// </summary>
    internal static List<PublishedPort> ContainerPorts(ResolvedService s, RegistryLocator at, DiagnosticBag d, string target)
    {
        var result = new List<PublishedPort>();
        var seen = new HashSet<(int, string)>();
        foreach (var raw in s.Ports)
        {
            var p = PortSpec.Parse(raw);
            if (p is null || p.Raw.Contains('$') || p.ContainerStart is null)
            {
                d.Warning(Codes.PublishNotFaithful, at.Of(s, "ports"), $"{target}: the port '{raw}' of service '{s.Name}' uses Compose interpolation or cannot be read; it is not published.");
                continue;
            }
            var protocol = p.Protocol.ToUpperInvariant();
            if (protocol is not ("TCP" or "UDP" or "SCTP"))
            {
                d.Warning(Codes.PublishNotFaithful, at.Of(s, "ports"), $"{target}: the port '{raw}' of service '{s.Name}' has the protocol '{p.Protocol}'; it is not published.");
                continue;
            }
            var count = p.ContainerEnd!.Value - p.ContainerStart.Value + 1;
            if (count > 100)
            {
                d.Warning(Codes.PublishNotFaithful, at.Of(s, "ports"), $"{target}: the port range '{raw}' of service '{s.Name}' has {count} ports; only ranges up to 100 ports are published.");
                continue;
            }
            if (p.HostPortText != null && (p.HostStart != p.ContainerStart || p.HostEnd != p.ContainerEnd || !p.AllInterfaces))
                d.Warning(Codes.PublishNotFaithful, at.Of(s, "ports"),
                    $"{target}: service '{s.Name}' publishes '{raw}' on the host; a Service reaches it on its container port {p.ContainerPortText} inside the cluster only. Expose it outside with an Ingress or a LoadBalancer Service in an overlay.");
            else if (p.HostPortText != null)
                d.Message(Codes.PublishNotFaithful, at.Of(s, "ports"), $"{target}: the host port of '{raw}' (service '{s.Name}') becomes the Service port {p.ContainerPortText}, reachable inside the cluster.");
            for (var port = p.ContainerStart.Value; port <= p.ContainerEnd.Value; port++)
                if (seen.Add((port, protocol)))
                    result.Add(new PublishedPort($"{protocol.ToLowerInvariant()}-{port.ToString(CultureInfo.InvariantCulture)}", port, protocol));
        }
        return result;
    }
}
