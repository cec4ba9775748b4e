using System.Text.RegularExpressions;

namespace Hsm.Registry;

/// <summary>
/// Compose's merge and syntax rules that hsm applies while layering a service (design §3.2, §5.2).
/// Plain functions: the resolver uses them to build <see cref="Hsm.Model.ResolvedService"/>, the
/// renderer and the pre-flight to read it back.
/// </summary>
public static partial class ComposeRules
{
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex NamedVolumeSource();

    /// <summary>
    /// Merges short-syntax volume lists by container target: a later entry (higher layer, or later in
    /// the same layer) replaces an earlier one with the same target, in the position first seen.
    /// </summary>
    public static List<string> MergeVolumes(IEnumerable<string> lower, IEnumerable<string> higher)
    {
        var result = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var v in lower.Concat(higher))
        {
            var target = VolumeTarget(v);
            if (index.TryGetValue(target, out var i)) result[i] = v;
            else { index[target] = result.Count; result.Add(v); }
        }
        return result;
    }

    /// <summary>Concatenates, keeping order and dropping exact duplicates (ports, env files, aliases).</summary>
    public static List<string> MergeList(IEnumerable<string> lower, IEnumerable<string> higher)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var v in lower.Concat(higher))
            if (seen.Add(v)) result.Add(v);
        return result;
    }

    /// <summary>
    /// The container path of a short-syntax volume: <c>SOURCE:TARGET[:MODE]</c> or just <c>TARGET</c>
    /// (anonymous volume). A Windows drive letter source (<c>C:\x:/y</c>) is recognised.
    /// </summary>
    public static string VolumeTarget(string spec)
    {
        var (source, target, _) = SplitVolume(spec);
        return source == null ? spec : target;
    }

    /// <summary>Splits a short-syntax volume into source (null for an anonymous volume), target and mode.</summary>
    public static (string? Source, string Target, string? Mode) SplitVolume(string spec)
    {
        var start = 0;
        // A Windows drive-letter source such as C:\data or C:/data.
        if (spec.Length > 2 && char.IsLetter(spec[0]) && spec[1] == ':' && (spec[2] == '\\' || spec[2] == '/')) start = 2;
        var first = spec.IndexOf(':', start);
        if (first < 0) return (null, spec, null);
        var source = spec.Substring(0, first);
        var rest = spec.Substring(first + 1);
        var second = rest.IndexOf(':');
        return second < 0 ? (source, rest, null) : (source, rest.Substring(0, second), rest.Substring(second + 1));
    }

    /// <summary>True when the short-syntax volume's source is a named volume (declared top-level).</summary>
    public static bool IsNamedVolume(string volumeSpec, out string name)
    {
        name = "";
        var (source, _, _) = SplitVolume(volumeSpec);
        if (source == null || !NamedVolumeSource().IsMatch(source)) return false;
        name = source;
        return true;
    }

    /// <summary>
    /// A Compose git build context: <c>url#ref:subdirectory</c>, <c>url#ref</c>, <c>url#:subdirectory</c>
    /// or just <c>url</c> (the remote's default branch).
    /// </summary>
    public static string GitContext(string url, string? gitRef, string? subdirectory)
    {
        var sub = Paths.ProjectPaths.Normalize(subdirectory ?? "");
        var hasSub = sub.Length > 0 && sub != ".";
        var hasRef = !string.IsNullOrEmpty(gitRef);
        if (!hasRef && !hasSub) return url;
        return url + "#" + (hasRef ? gitRef : "") + (hasSub ? ":" + sub : "");
    }
}

/// <summary>
/// One short-syntax port: <c>[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]</c>.
/// Host fields are null when not given (the port is not published on a fixed host port).
/// </summary>
public sealed record PortSpec(string Raw, string? HostIp, string? HostPortText, int? HostStart, int? HostEnd,
    string ContainerPortText, int? ContainerStart, int? ContainerEnd, string Protocol)
{
    public bool AllInterfaces => HostIp is null or "" or "0.0.0.0" or "::";

    /// <summary>Parses a port; null when it is not short syntax we understand (Compose's parser has the last word).</summary>
    public static PortSpec? Parse(string raw)
    {
        var s = raw.Trim();
        var protocol = "tcp";
        var slash = s.LastIndexOf('/');
        if (slash >= 0) { protocol = s.Substring(slash + 1).ToLowerInvariant(); s = s.Substring(0, slash); }
        if (s.Length == 0) return null;

        string? ip = null;
        if (s.StartsWith('['))
        {
            var close = s.IndexOf(']');
            if (close < 0 || close + 1 >= s.Length || s[close + 1] != ':') return null;
            ip = s.Substring(1, close - 1);
            s = s.Substring(close + 2);
        }
        // A '$' may hide colons inside ${VAR:-x}: split outside braces only.
        var parts = SplitOutsideBraces(s);
        string? host = null;
        string container;
        if (ip != null)
        {
            if (parts.Count == 1) return null;
            if (parts.Count != 2) return null;
            host = parts[0]; container = parts[1];
        }
        else if (parts.Count == 1) container = parts[0];
        else if (parts.Count == 2) { host = parts[0]; container = parts[1]; }
        else
        {
            // IP:HOST:CONTAINER; an unbracketed IPv6 address holds further colons.
            container = parts[^1];
            host = parts[^2];
            ip = string.Join(":", parts.Take(parts.Count - 2));
        }
        if (host == "") host = null;
        int? hs = null, he = null;
        if (host != null && !host.Contains('$'))
        {
            if (!TryRange(host, out var a, out var b)) return null;
            hs = a; he = b;
        }
        int? cs = null, ce = null;
        if (!container.Contains('$'))
        {
            if (!TryRange(container, out var a, out var b)) return null;
            cs = a; ce = b;
        }
        return new PortSpec(raw, ip, host, hs, he, container, cs, ce, protocol);
    }

    static List<string> SplitOutsideBraces(string s)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '{') depth++;
            else if (s[i] == '}' && depth > 0) depth--;
            else if (s[i] == ':' && depth == 0) { parts.Add(s.Substring(start, i - start)); start = i + 1; }
        }
        parts.Add(s.Substring(start));
        return parts;
    }

    static bool TryRange(string text, out int start, out int end)
    {
        start = end = 0;
        var dash = text.IndexOf('-');
        if (dash < 0)
        {
            if (!TryPort(text, out start)) return false;
            end = start;
            return true;
        }
        return TryPort(text.Substring(0, dash), out start) && TryPort(text.Substring(dash + 1), out end) && end >= start;
    }

    static bool TryPort(string text, out int port) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port)
        && port is >= 0 and <= 65535;
}
