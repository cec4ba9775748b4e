using Hsm.Diagnostics;
using Hsm.Paths;
using Hsm.Yaml;

namespace Hsm.Registry;

/// <summary>
/// The files a registry's <c>compose:</c> block would make Compose read (design §9): the block is passed
/// through, so a key that names a file would bypass every check hsm makes of the service's own fields.
/// <c>extends</c> (a service from a file hsm never reads: its paths and risky settings unseen),
/// <c>env_file</c> (hsm's own field checks the file and keeps its values out of logs) and
/// <c>label_file</c> are refused; the paths of <c>build</c> (context, dockerfile, additional contexts)
/// must be relative, as everything in the committed Compose file is.
/// </summary>
public static class ComposeBlock
{
    /// <summary>The keys of a Compose service (compose-spec, <c>definitions.service.properties</c> of
    /// docs/schemas/compose-spec.json; a test keeps the two equal). Any other key but <c>x-*</c> is refused by
    /// Compose, so it is HSM1007 at load, where it is written.</summary>
    public static readonly HashSet<string> ServiceKeys = new(StringComparer.Ordinal)
    {
        "annotations", "attach", "blkio_config", "build", "cap_add", "cap_drop", "cgroup", "cgroup_parent", "command",
        "configs", "container_name", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period",
        "cpu_rt_runtime", "cpu_shares", "cpus", "cpuset", "credential_spec", "depends_on", "deploy", "develop",
        "device_cgroup_rules", "devices", "dns", "dns_opt", "dns_search", "domainname", "entrypoint", "env_file",
        "environment", "expose", "extends", "external_links", "extra_hosts", "gpus", "group_add", "healthcheck",
        "hostname", "image", "init", "ipc", "isolation", "label_file", "labels", "links", "logging", "mac_address",
        "mem_limit", "mem_reservation", "mem_swappiness", "memswap_limit", "models", "network_mode", "networks",
        "oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "platform", "ports", "post_start", "pre_stop",
        "privileged", "profiles", "provider", "pull_policy", "pull_refresh_after", "read_only", "restart", "runtime",
        "scale", "secrets", "security_opt", "shm_size", "stdin_open", "stop_grace_period", "stop_signal",
        "storage_opt", "sysctls", "tmpfs", "tty", "ulimits", "use_api_socket", "user", "userns_mode", "uts", "volumes",
        "volumes_from", "working_dir",
    };

    /// <summary>Reports the keys of <paramref name="compose"/> that read files hsm does not check.</summary>
    public static void Check(YMapping compose, string service, DiagnosticBag d)
    {
        foreach (var (k, v) in compose.Entries)
        {
            var why = k.Value switch
            {
                "extends" => "it merges in a service from another file, whose paths and risky settings hsm never sees; write its keys under compose: instead",
                "env_file" => "use the service's own env_file field, which hsm checks (a regular file, relative to the project) and never quotes in a log",
                "label_file" => "it reads a file hsm never checks; write the labels under compose.labels instead",
                _ => null,
            };
            if (why != null)
                d.Error(Codes.ComposeFileKey, k.Span, $"service '{service}': 'compose.{k.Value}' is not passed through: {why}.");
            else if (!ServiceKeys.Contains(k.Value) && !k.Value.StartsWith("x-", StringComparison.Ordinal))
                d.Error(Codes.UnknownKey, k.Span, $"service '{service}': 'compose.{k.Value}' is not a Compose service key (compose-spec), so 'docker compose' would refuse the file.{Suggest.DidYouMean(k.Value, ServiceKeys)}");
            else if (k.Value == "build")
                CheckBuildPaths(v, service, d);
            else if (k.Value == "ports" && v is YSequence ports) // the short syntax, as the service's own ports are checked
                foreach (var p in ports.Items.OfType<YScalar>().Where(p => !p.IsNull))
                    if (Grammars.CheckPort(p.Value) is { } bad)
                        d.Error(Codes.InvalidPort, p.Span, $"'compose.ports: {p.Value}' is not valid: {bad}.");
        }
    }

    static void CheckBuildPaths(YNode build, string service, DiagnosticBag d)
    {
        if (build is YScalar context) Relative(context, "build", service, d);
        if (build is not YMapping m) return;
        if (m["context"] is YScalar c) Relative(c, "build.context", service, d);
        if (m["dockerfile"] is YScalar f) Relative(f, "build.dockerfile", service, d);
        if (m["additional_contexts"] is YMapping extra)
            foreach (var (name, value) in extra.Entries)
                if (value is YScalar s) Relative(s, $"build.additional_contexts.{name.Value}", service, d);
    }

    static void Relative(YScalar path, string key, string service, DiagnosticBag d)
    {
        if (path.IsNull) return;
        var p = Interpolation.AsIfUnset(path.Value.Trim());
        if (ProjectPaths.IsAbsolute(p) || p == "~" || p.StartsWith("~/", StringComparison.Ordinal))
            d.Error(Codes.NoRelativePath, path.Span,
                $"service '{service}': 'compose.{key}: {path.Value}' is an absolute path; the Compose file is committed, so it must be relative to the project (or use a source of type build)");
    }
}
