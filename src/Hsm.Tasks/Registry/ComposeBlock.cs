using System.Globalization;
using System.Text.RegularExpressions;
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
            {
                foreach (var p in ports.Items.OfType<YScalar>().Where(p => !p.IsNull))
                    if (Grammars.CheckPort(p.Value) is { } bad)
                        d.Error(Codes.InvalidPort, p.Span, $"'compose.ports: {p.Value}' is not valid: {bad}.");
            }
            else if (k.Value == "healthcheck" && v is YMapping hc)
                CheckHealthcheck(hc, "compose.healthcheck", service, d);
            else if (v is YScalar scalar && ValueRule(k.Value) is { } rule)
                CheckValue(scalar, "compose." + k.Value, rule, service, d);
        }
    }

    /// <summary>
    /// The values of a healthcheck (the service's own <c>healthcheck:</c> or <c>compose.healthcheck</c>) that Compose
    /// decodes only when it loads the file for <c>up</c> — after hsm wrote it, and past <c>config --no-interpolate</c>:
    /// durations (<c>interval: 5x</c>, or <c>5</c> without a unit) and <c>retries</c>.
    /// </summary>
    public static void CheckHealthcheck(YMapping healthcheck, string where, string service, DiagnosticBag d)
    {
        foreach (var (k, v) in healthcheck.Entries)
            if (v is YScalar s && (k.Value is "interval" or "timeout" or "start_period" or "start_interval" ? Rule.Duration : k.Value == "retries" ? Rule.Integer : (Rule?)null) is { } rule)
                CheckValue(s, $"{where}.{k.Value}", rule, service, d);
    }

    enum Rule { Duration, ByteSize, Number, Integer, Restart, PullPolicy }

    static Rule? ValueRule(string key) => key switch
    {
        "stop_grace_period" => Rule.Duration,
        "mem_limit" or "mem_reservation" or "memswap_limit" or "shm_size" => Rule.ByteSize,
        "cpus" => Rule.Number,
        "scale" => Rule.Integer,
        "restart" => Rule.Restart,
        "pull_policy" => Rule.PullPolicy,
        _ => null,
    };

    /// <summary>A duration as Go's time.ParseDuration reads it (Compose's decoder): numbers with units, "0" alone.</summary>
    static readonly Regex Duration = new(@"^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$", RegexOptions.CultureInvariant);
    /// <summary>A size as go-units' RAMInBytes reads it (512m, 1.5g, 1gb, 2 GiB), or a plain integer of bytes (-1: unlimited swap).</summary>
    static readonly Regex ByteSize = new(@"^(-?\d+|(\d+(\.\d+)*) ?[kKmMgGtTpP]?[iI]?[bB]?)$", RegexOptions.CultureInvariant);
    static readonly Regex Restart = new(@"^(no|always|unless-stopped|on-failure(:\d+)?)$", RegexOptions.CultureInvariant);
    /// <summary>compose-spec's pattern for pull_policy, anchored.</summary>
    static readonly Regex PullPolicy = new(@"^(always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+)$", RegexOptions.CultureInvariant);

    static void CheckValue(YScalar v, string key, Rule rule, string service, DiagnosticBag d)
    {
        var text = v.Value.Trim();
        if (v.IsNull || text.Contains('$')) return; // Compose interpolates ${VAR} first: its value is not known here
        var (ok, expected) = rule switch
        {
            // (an unquoted number is a YAML number, which Compose's schema refuses for a duration: even 0)
            Rule.Duration => (Duration.IsMatch(text) && !(v.Plain && double.TryParse(text, CultureInfo.InvariantCulture, out _)),
                "a duration with units, e.g. 30s, 1m30s, 500ms (Compose reads it as Go does: ns, us, ms, s, m, h)"),
            Rule.ByteSize => (ByteSize.IsMatch(text), "a size, e.g. 512m, 1.5g, 1gb, or a number of bytes"),
            Rule.Number => (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _), "a number, e.g. 0.5 or 2"),
            Rule.Integer => (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= 0, "a whole number, 0 or more"),
            Rule.Restart => (Restart.IsMatch(text), "no, always, on-failure, on-failure:<retries> or unless-stopped"),
            _ => (PullPolicy.IsMatch(text), "always, never, missing, build, if_not_present, refresh, daily, weekly or every_<n><w|d|h|m|s>"),
        };
        if (!ok)
            d.Error(Codes.InvalidValue, v.Span, $"service '{service}': '{key}: {v.Value}' is not a value Compose accepts: expected {expected}. 'docker compose up' would fail on it.");
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
