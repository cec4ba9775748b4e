using System.Text.RegularExpressions;

namespace Hsm.Registry;

/// <summary>
/// The grammars values of the registry are checked against when it loads (design §9 "Validation at load,
/// located"), so that neither uv nor <c>docker compose up</c> fails late on a value hsm let through.
/// Each check returns null when the value is valid, else the reason (never the value itself).
/// </summary>
public static partial class Grammars
{
    private const RegexOptions O = RegexOptions.CultureInvariant;

    // ---------- PEP 508 ----------

    /// <summary>A PEP 508 identifier (distribution names and extras): letters and digits, with '.', '_', '-' inside.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$", O)]
    public static partial Regex Identifier();

    [GeneratedRegex(@"[-_.]+", O)]
    private static partial Regex Pep503Separators();
    private static readonly char[] NonDashSeparators = { '_', '.' };

    /// <summary>
    /// The PEP 508 name of a requirement string (<c>x[extra]>=1; marker</c>, <c>x @ file:///...</c>,
    /// <c>x @ git+https://...@ref</c>), or null when it does not start with a valid name.
    /// </summary>
    public static string? RequirementName(string requirement)
    {
        if (string.IsNullOrEmpty(requirement)) return null;
        // ^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?) by hand (called for every dependency of every parse; no Match objects): leading
        // whitespace (\s is char.IsWhiteSpace), then the longest run of [A-Za-z0-9._-] that starts and ends alphanumeric.
        int i = 0;
        while (i < requirement.Length && char.IsWhiteSpace(requirement[i])) i++;
        if (i >= requirement.Length || !char.IsAsciiLetterOrDigit(requirement[i])) return null;
        int start = i, last = i;
        for (i++; i < requirement.Length; i++)
        {
            var c = requirement[i];
            if (char.IsAsciiLetterOrDigit(c)) last = i;
            else if (c is not ('.' or '_' or '-')) break;
        }
        // The name must be followed by the end, whitespace, or one of [ ( < > = ! ~ ; @ ,
        int next = last + 1;
        if (next < requirement.Length && !char.IsWhiteSpace(requirement[next]) && "[(<>=!~;@,".IndexOf(requirement[next]) < 0)
            return null;
        return start == 0 && next == requirement.Length ? requirement : requirement[start..next];
    }

    /// <summary>PEP 503 normalisation of a distribution name: lowercase, runs of <c>-_.</c> become one <c>-</c>.</summary>
    public static string Pep503Name(string name)
    {
        // Fast path (called for every lookup and in sorts): nothing for the regex to change.
        if (name.IndexOfAny(NonDashSeparators) < 0 && !name.Contains("--", StringComparison.Ordinal)) return name.ToLowerInvariant();
        return Pep503Separators().Replace(name, "-").ToLowerInvariant();
    }

    private static readonly string[] MarkerVariables =
    {
        "python_version", "python_full_version", "os_name", "sys_platform", "platform_release", "platform_system",
        "platform_version", "platform_machine", "platform_python_implementation", "implementation_name",
        "implementation_version", "extra", "extras", "dependency_groups",
    };

    [GeneratedRegex(@"\G\s*(?:(?<op>===|==|!=|<=|>=|~=|<|>)|(?<paren>[()])|(?<str>'[^']*'|""[^""]*"")|(?<word>[A-Za-z_][A-Za-z0-9_.]*))", O)]
    private static partial Regex MarkerToken();

    /// <summary>Checks a PEP 508 environment marker (<c>python_version &gt;= "3.10" and sys_platform == "linux"</c>).</summary>
    public static string? CheckMarker(string marker)
    {
        var tokens = MarkerTokens(marker, out var bad);
        if (tokens is null) return bad;
        if (tokens.Count == 0) return "it is empty";
        return new MarkerParser(tokens).Check();
    }

    /// <summary>The tokens of a marker (kind, text, 0-based column); null with the error at an unexpected character.</summary>
    private static List<(string Kind, string Text, int Pos)>? MarkerTokens(string marker, out string? error)
    {
        error = null;
        var tokens = new List<(string Kind, string Text, int Pos)>();
        int pos = 0;
        while (pos < marker.Length)
        {
            if (marker[pos..].Trim().Length == 0) break;
            var m = MarkerToken().Match(marker, pos);
            if (!m.Success) { error = $"unexpected character at column {FirstNonSpace(marker, pos) + 1}"; return null; }
            var kind = m.Groups["op"].Success ? "op" : m.Groups["paren"].Success ? m.Value.Trim() : m.Groups["str"].Success ? "str" : "word";
            var text = m.Value.Trim();
            if (kind == "word" && text is "and" or "or" or "in" or "not") kind = text;
            tokens.Add((kind, text, m.Index + (m.Value.Length - m.Value.TrimStart().Length)));
            pos = m.Index + m.Length;
        }
        return tokens;
    }

    /// <summary>PEP 508's marker grammar by recursive descent: or → and → expr (a comparison or a parenthesised or).</summary>
    private sealed class MarkerParser(List<(string Kind, string Text, int Pos)> tokens)
    {
        private int i;
        private string? error;

        public string? Check()
        {
            if (!Or()) return error;
            return i < tokens.Count ? $"'and' or 'or' is expected at {Where()}" : null;
        }

        private string Where() => i < tokens.Count ? $"'{tokens[i].Text}' at column {tokens[i].Pos + 1}" : "the end";

        private bool Var()
        {
            if (i >= tokens.Count) { error = "a marker variable or a quoted string is missing at the end"; return false; }
            var t = tokens[i];
            if (t.Kind == "str") { i++; return true; }
            if (t.Kind == "word")
            {
                if (!MarkerVariables.Contains(t.Text)) { error = $"'{t.Text}' (column {t.Pos + 1}) is not a marker variable (python_version, sys_platform, platform_machine, extra, ...); strings must be quoted"; return false; }
                i++; return true;
            }
            error = $"a marker variable or a quoted string is expected at {Where()}";
            return false;
        }

        private bool Expr()
        {
            if (i < tokens.Count && tokens[i].Kind == "(")
            {
                i++;
                if (!Or()) return false;
                if (i >= tokens.Count || tokens[i].Kind != ")") { error = $"')' is expected at {Where()}"; return false; }
                i++;
                return true;
            }
            if (!Var()) return false;
            if (i < tokens.Count && tokens[i].Kind == "op") i++;
            else if (i < tokens.Count && tokens[i].Kind == "in") i++;
            else if (i + 1 < tokens.Count && tokens[i].Kind == "not" && tokens[i + 1].Kind == "in") i += 2;
            else { error = $"a comparison (==, !=, <, <=, >, >=, ~=, ===, in, not in) is expected at {Where()}"; return false; }
            return Var();
        }

        private bool And()
        {
            if (!Expr()) return false;
            while (i < tokens.Count && tokens[i].Kind == "and") { i++; if (!Expr()) return false; }
            return true;
        }

        private bool Or()
        {
            if (!And()) return false;
            while (i < tokens.Count && tokens[i].Kind == "or") { i++; if (!And()) return false; }
            return true;
        }
    }

    private static int FirstNonSpace(string s, int from)
    {
        while (from < s.Length && char.IsWhiteSpace(s[from])) from++;
        return from;
    }

    [GeneratedRegex(@"\s;")]
    private static partial Regex SpaceSemicolon();

    [GeneratedRegex(@"^\s*(~=|===|==|!=|<=|>=|<|>)\s*[0-9A-Za-z*+!._-]+\s*$", O)]
    private static partial Regex VersionClause();

    // ---------- PEP 440 ----------

    // packaging.version.VERSION_PATTERN (PEP 440), anchored.
    [GeneratedRegex(
        @"^\s*v?(?:(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*" +
        @"(?:[-_\.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_\.]?[0-9]*)?" +
        @"(?:-[0-9]+|[-_\.]?(?:post|rev|r)[-_\.]?[0-9]*)?" +
        @"(?:[-_\.]?dev[-_\.]?[0-9]*)?)" +
        @"(?:\+[a-z0-9]+(?:[-_\.][a-z0-9]+)*)?\s*$",
        RegexOptions.IgnoreCase | O)]
    private static partial Regex Pep440VersionRx();

    /// <summary>True for a PEP 440 version (<c>1.2.0</c>, <c>2.0.0rc1</c>, <c>1!2.0.post1+local</c>).</summary>
    public static bool IsPep440Version(string? version) => !string.IsNullOrWhiteSpace(version) && Pep440VersionRx().IsMatch(version!);

    /// <summary>True for a PEP 440 version specifier: comma-separated clauses, each an operator and a version (<c>&gt;=1.0,&lt;2</c>).</summary>
    public static bool IsVersionSpecifier(string spec) => spec.Split(',').All(VersionClause().IsMatch);

    [GeneratedRegex(@"^\s*(?<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[(?<extras>[^\]]*)\])?\s*", O)]
    private static partial Regex RequirementHead();

    /// <summary>Checks a PEP 508 requirement (<c>name[extra]&gt;=1,&lt;2; marker</c> or <c>name @ url ; marker</c>).</summary>
    public static string? CheckRequirement(string requirement)
    {
        var m = RequirementHead().Match(requirement);
        if (!m.Success || m.Groups["name"].Length == 0) return "it does not start with a distribution name";
        if (m.Groups["extras"].Success && CheckExtras(m.Groups["extras"].Value) is { } ex) return ex;
        var rest = requirement[m.Length..];
        string? marker = null;
        if (rest.StartsWith('@'))
        {
            // name @ url [; marker]: the marker needs whitespace before ';' (the URL may contain ';').
            var semi = SpaceSemicolon().Match(rest);
            var url = (semi.Success ? rest[1..semi.Index] : rest[1..]).Trim();
            if (url.Length == 0 || url.Any(char.IsWhiteSpace) || !url.Contains(':')) return "'@' must be followed by a URL";
            if (semi.Success) marker = rest[(semi.Index + 2)..];
        }
        else
        {
            var semi = rest.IndexOf(';');
            var spec = (semi < 0 ? rest : rest[..semi]).Trim();
            if (semi >= 0) marker = rest[(semi + 1)..];
            if (spec.StartsWith('(') && spec.EndsWith(')')) spec = spec[1..^1];
            if (spec.Length > 0 && !IsVersionSpecifier(spec)) return "its version specifier is not PEP 440 (e.g. \">=1.0,<2\")";
        }
        if (marker != null && CheckMarker(marker) is { } me) return "its marker is invalid: " + me;
        return null;
    }

    private static string? CheckExtras(string list)
    {
        var items = list.Split(',').Select(x => x.Trim()).ToList();
        if (items.Count == 1 && items[0].Length == 0) return null; // name[] is allowed
        foreach (var x in items)
            if (!Identifier().IsMatch(x)) return "an extra in '[...]' is not a valid extra name";
        return null;
    }

    // ---------- containers ----------

    private const string Alnum = "[a-z0-9]+";
    private const string Separator = "(?:[._]|__|[-]+)";
    private const string PathComponent = Alnum + "(?:" + Separator + Alnum + ")*";
    private const string DomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private const string Domain = "(?:" + DomainComponent + @"(?:\." + DomainComponent + @")*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?";

    /// <summary>distribution/reference's grammar after the registry host: path[:tag][@digest].</summary>
    [GeneratedRegex(
        "^(?<name>" + PathComponent + "(?:/" + PathComponent + ")*)" +
        @"(?::[\w][\w.-]{0,127})?" +
        "(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$", O)]
    private static partial Regex RemoteReference();

    [GeneratedRegex("^" + Domain + "$", O)]
    private static partial Regex DomainRx();

    /// <summary>Checks a Docker image reference (<c>qdrant/qdrant:v1.12.0</c>, <c>ghcr.io/org/x@sha256:…</c>). A value with <c>${…}</c> is left to Compose.</summary>
    public static string? CheckImage(string image)
    {
        if (image.Contains('$')) return null;
        if (image.Length == 0) return "it is empty";
        // Docker reads the first component as a registry host only when it has '.' or ':' or is localhost.
        var slash = image.IndexOf('/');
        var first = slash < 0 ? null : image[..slash];
        var hasDomain = first != null && (first.Contains('.') || first.Contains(':') || first == "localhost" || first.StartsWith('['));
        if (hasDomain && !DomainRx().IsMatch(first!)) return $"'{first}' is not a valid registry host";
        var rest = hasDomain ? image[(slash + 1)..] : image;
        var m = RemoteReference().Match(rest);
        if (!m.Success)
            return rest.Split(':', '@')[0].Any(char.IsUpper) ? "repository names must be lowercase" : "it does not follow Docker's reference grammar ([registry/]name[:tag][@digest], lowercase name)";
        if (image.Length - rest.Length + m.Groups["name"].Length > 255) return "the repository name is longer than 255 characters";
        return null;
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$", O)]
    private static partial Regex ContainerNameRx();

    /// <summary>Docker's container name grammar <c>[a-zA-Z0-9][a-zA-Z0-9_.-]+</c>.</summary>
    public static string? CheckContainerName(string name) =>
        name.Contains('$') || ContainerNameRx().IsMatch(name) ? null : "container names are at least two characters of letters, digits, '_', '.' and '-', starting with a letter or digit";

    [GeneratedRegex(@"^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,251}[a-zA-Z0-9])?$", O)]
    private static partial Regex AliasRx();

    /// <summary>A network alias is a DNS name on the Compose network: letters, digits, '_', '.', '-', starting and ending with a letter or digit.</summary>
    public static string? CheckNetworkAlias(string alias) =>
        alias.Contains('$') || (AliasRx().IsMatch(alias) && !alias.Contains("..")) ? null : "network aliases are host names: letters, digits, '_', '.' and '-', starting and ending with a letter or digit, at most 253 characters";

    /// <summary>
    /// A short-syntax port as Compose reads it, <c>[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]</c>:
    /// ports 0–65535, ranges ascending, an IP address, protocol tcp, udp or sctp. A part with <c>$</c> is left to Compose.
    /// </summary>
    public static string? CheckPort(string port)
    {
        const string form = "ports are [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/tcp|udp|sctp], with ports from 0 to 65535";
        if (port.Contains('$')) return null;
        if (PortSpec.Parse(port) is not { } p) return form;
        if (p.Protocol is not ("tcp" or "udp" or "sctp")) return $"the protocol '{p.Protocol}' is not tcp, udp or sctp";
        if (!string.IsNullOrEmpty(p.HostIp) && !System.Net.IPAddress.TryParse(p.HostIp, out _)) return $"'{p.HostIp}' is not an IP address";
        if (p.HostStart is { } hs && p.ContainerStart is { } cs && p.HostEnd - hs != p.ContainerEnd - cs && p.ContainerEnd != cs)
            return "a host port range and its container port range must have the same length";
        return null;
    }

    /// <summary>An environment variable name that Compose, env files and uv all accept: <c>[A-Za-z_][A-Za-z0-9_.-]*</c>.</summary>
    public static string? CheckEnvKey(string key) =>
        EnvNames.IsValidKey(key) ? null : "environment variable names start with a letter or '_' and hold only letters, digits, '_', '.' and '-'";
}
