using Hsm.Diagnostics;
using Hsm.Yaml;

namespace Hsm.Registry;

/// <summary>One risky container setting found in a registry file: the key <c>allow_privileged</c> names, where, and what it does.</summary>
public readonly record struct RiskyFinding(string Key, SourceSpan Span, string What);

/// <summary>
/// Container settings from a registry that give a container power over the host (design §9 "Risky
/// container settings"): allowed, but each is a warning naming the registry file and key unless the
/// service lists the key in <c>allow_privileged</c>. A registry arrives in pull requests that reviewers
/// skim; these are the lines worth a second look.
/// </summary>
public static class RiskySettings
{
    /// <summary>The keys <c>allow_privileged</c> may list.</summary>
    public static readonly IReadOnlyList<string> Keys = new[]
    {
        "privileged", "pid", "network_mode", "ipc", "uts", "userns_mode", "cgroup", "cap_add", "devices", "device_cgroup_rules", "security_opt", "volumes", "build", "env_file", "use_api_socket",
    };

    private static readonly string[] HostNamespaceKeys = { "pid", "network_mode", "ipc", "uts", "userns_mode", "cgroup" };

    /// <summary>Host folders whose bind mount (or any folder inside them) hands the container the host.</summary>
    private static readonly string[] SensitiveTrees = { "/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/home", "/Users", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/var/lib/docker", "/var/lib/containers", "/var/run/docker.sock", "/run/docker.sock" };

    /// <summary>Folders that contain the engine's socket: mounting them mounts the socket.</summary>
    private static readonly string[] SocketParents = { "/var", "/run", "/var/run", "/run/podman", "/var/run/podman", "/run/containerd", "/var/run/containerd" };

    /// <summary>Risky keys of a <c>compose:</c> block (its volumes included).</summary>
    public static IEnumerable<RiskyFinding> InCompose(YMapping compose)
    {
        foreach (var (k, v) in compose.Entries)
        {
            switch (k.Value)
            {
                case "privileged" when v is YScalar s && s.AsBool() != false:
                    yield return new("privileged", k.Span, "'compose.privileged: true' gives the container every capability and the host's devices");
                    break;
                case "use_api_socket" when v is YScalar s && s.AsBool() != false:
                    yield return new("use_api_socket", k.Span, "'compose.use_api_socket: true' gives the container the container engine's API socket (root on the host)");
                    break;
                case var key when HostNamespaceKeys.Contains(key) && v is YScalar s && s.Value.Trim().Equals("host", StringComparison.OrdinalIgnoreCase):
                    yield return new(key, k.Span, $"'compose.{key}: host' shares the host's {(key == "network_mode" ? "network stack" : key + " namespace")} with the container");
                    break;
                case "security_opt" when v is YSequence opts && opts.Items.All(o => o is YScalar os && NoNewPrivileges(os.Value)):
                    break; // no-new-privileges only tightens the confinement
                case "cap_add" or "devices" or "device_cgroup_rules" or "security_opt" when v is not YScalar { IsNull: true } && !(v is YSequence { Items.Count: 0 }):
                    yield return new(k.Value, k.Span, k.Value switch
                    {
                        "cap_add" => "'compose.cap_add' gives the container extra kernel capabilities",
                        "devices" => "'compose.devices' hands host devices to the container",
                        "device_cgroup_rules" => "'compose.device_cgroup_rules' lets the container use host devices",
                        _ => "'compose.security_opt' changes the container's confinement (seccomp, AppArmor, SELinux)",
                    });
                    break;
                case "build" when v is YMapping build:
                    foreach (var f in InBuild(build)) yield return f;
                    break;
                case "volumes" when v is YSequence seq:
                    foreach (var item in seq.Items)
                    {
                        if (item is YScalar vs && InVolume(vs) is { } f) yield return f;
                        else if (item is YMapping vm && vm["source"] is YScalar src && vm["type"] is YScalar { Value: "bind" } or null
                                 && SensitiveSource(src.Value) is { } why)
                            yield return new("volumes", src.Span, $"the bind mount of '{src.Value}' {why}");
                    }
                    break;
            }
        }
    }

    /// <summary>
    /// Risky keys of <c>compose.build</c>, all under the key <c>build</c>: the host's network or extra
    /// privileges for the build's RUN steps, and the host's SSH agent or keys handed to it.
    /// </summary>
    private static IEnumerable<RiskyFinding> InBuild(YMapping build)
    {
        foreach (var (k, v) in build.Entries)
        {
            var set = v is not YScalar { IsNull: true } && !(v is YSequence { Items.Count: 0 }) && !(v is YMapping { Entries.Count: 0 });
            var what = k.Value switch
            {
                "network" when v is YScalar s && s.Value.Trim().Equals("host", StringComparison.OrdinalIgnoreCase) => "'compose.build.network: host' gives the build's RUN steps the host's network stack",
                "privileged" when v is YScalar s && s.AsBool() != false => "'compose.build.privileged: true' runs the build's RUN steps with every capability",
                "entitlements" when set => "'compose.build.entitlements' grants the build extra privileges",
                "ssh" when set => "'compose.build.ssh' hands the host's SSH agent or keys to the build",
                _ => null,
            };
            if (what != null) yield return new("build", k.Span, what);
        }
    }

    private static bool NoNewPrivileges(string option)
    {
        var o = option.Trim();
        return o is "no-new-privileges" or "no-new-privileges:true" or "no-new-privileges=true";
    }

    /// <summary>A short-syntax volume that bind-mounts a sensitive host path, or null.</summary>
    public static RiskyFinding? InVolume(YScalar volume)
    {
        var (source, _, _) = ComposeRules.SplitVolume(volume.Value.Trim());
        if (source is null || SensitiveSource(source) is not { } why) return null;
        return new RiskyFinding("volumes", volume.Span, $"the bind mount of '{source}' {why}");
    }

    /// <summary>The variables that name the user's home folder, as Compose would see them (<c>~</c> is expanded too).</summary>
    private static readonly Dictionary<string, string> HomeVariables = new(StringComparer.Ordinal) { ["HOME"] = "~", ["USERPROFILE"] = "~" };

    /// <summary>Windows folders (below a drive letter) whose bind mount hands the container the host.</summary>
    private static readonly string[] WindowsTrees = { "/Windows", "/Users", "/ProgramData", "/Program Files", "/Program Files (x86)" };

    /// <summary>
    /// Why a bind mount of <paramref name="source"/> is risky, or null. The path is read as Compose will
    /// use it: interpolated as if no variable were set (a default such as <c>${DATA:-/}</c> counts; HOME
    /// and USERPROFILE are the home folder), <c>~</c> the home folder, <c>\</c> as <c>/</c>, <c>.</c>,
    /// <c>..</c> and doubled separators resolved, a drive letter read as Windows.
    /// </summary>
    internal static string? SensitiveSource(string source)
    {
        var s = Interpolation.AsIfUnset(source.Trim(), HomeVariables).Replace('\\', '/');
        if (s == "~" || s.StartsWith("~/", StringComparison.Ordinal))
            return "exposes the host user's home folder (SSH keys, cloud credentials, shell start-up files)";
        var windows = s.Length >= 2 && char.IsAsciiLetter(s[0]) && s[1] == ':' && (s.Length == 2 || s[2] == '/');
        var drive = windows ? s[..2] : "";
        if (windows) s = s.Length == 2 ? "/" : s.Substring(2);
        if (!s.StartsWith('/')) return null; // relative paths stay in the project; named volumes are not host paths
        s = Resolve(s);
        if (s.EndsWith("/docker.sock", StringComparison.Ordinal) || s.EndsWith("/podman.sock", StringComparison.Ordinal)
            || s.EndsWith("/containerd.sock", StringComparison.Ordinal) || s.EndsWith("/pipe/docker_engine", StringComparison.OrdinalIgnoreCase))
            return "gives the container the container engine's socket (root on the host)";
        if (s == "/") return windows ? "gives the container a whole drive of the host" : "gives the container the host's whole file system";
        if (windows)
        {
            foreach (var t in WindowsTrees)
                if (s.Equals(t, StringComparison.OrdinalIgnoreCase) || s.StartsWith(t + "/", StringComparison.OrdinalIgnoreCase))
                    return $"exposes the host's {drive}{t.Replace('/', '\\')}";
            return null;
        }
        if (SocketParents.Contains(s)) return "includes the container engine's socket (root on the host)";
        foreach (var t in SensitiveTrees)
            if (s == t || s.StartsWith(t + "/", StringComparison.Ordinal)) return $"exposes the host's {t}";
        return null;
    }

    /// <summary>An absolute '/'-separated path with '.', '..' and empty segments resolved (textually, as the engine does).</summary>
    private static string Resolve(string path)
    {
        var parts = new List<string>();
        foreach (var p in path.Split('/'))
        {
            if (p.Length == 0 || p == ".") continue;
            if (p == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); }
            else parts.Add(p);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>
    /// Reads <c>allow_privileged</c> (unknown keys are errors) and warns about every finding whose key it
    /// does not list, naming the registry file and the key. Returns the keys it lists.
    /// </summary>
    public static HashSet<string> Report(string service, string file, List<YScalar>? allow, IEnumerable<RiskyFinding> findings, DiagnosticBag d)
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in allow ?? new())
        {
            if (Keys.Contains(a.Value)) allowed.Add(a.Value);
            else d.Error(Codes.InvalidValue, a.Span, $"'{a.Value}' in allow_privileged of service '{service}' is not a risky setting Hsm checks ({string.Join(", ", Keys)}).{Suggest.DidYouMean(a.Value, Keys)}");
        }
        foreach (var f in findings)
            if (!allowed.Contains(f.Key)) Warn(service, file, f, d);
        return allowed;
    }

    /// <summary>Warning HSM1041 for one finding the service's allow_privileged does not list.</summary>
    public static void Warn(string service, string file, RiskyFinding f, DiagnosticBag d) =>
        d.Warning(Codes.RiskySetting, f.Span, $"{file}: service '{service}': {f.What}. If the registry means it, list '{f.Key}' in the service's allow_privileged; otherwise remove it.");
}
