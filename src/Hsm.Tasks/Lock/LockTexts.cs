using System.Text.RegularExpressions;
using Hsm.Registry;
using Hsm.Python;
using Tomlyn.Syntax;

namespace Hsm.Lock;

/// <summary>
/// hsm.lock is untrusted (design §9): the texts it records under <c>owned</c> are written back into
/// pyproject.toml, so each is parsed first. A requirement must be exactly one PEP 508 string; a source
/// (or the user's taken-over source) exactly one single-line TOML value. Anything else — a newline, a
/// second key, a table header smuggled after a closing bracket — is refused.
/// </summary>
public static partial class LockTexts
{
    [GeneratedRegex(@"\G[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?", RegexOptions.CultureInvariant)]
    private static partial Regex Name();
    [GeneratedRegex(@"\G(===|~=|==|!=|<=|>=|<|>)", RegexOptions.CultureInvariant)]
    private static partial Regex Op();
    [GeneratedRegex(@"\G[A-Za-z0-9_.*+!-]+", RegexOptions.CultureInvariant)]
    private static partial Regex Version();
    [GeneratedRegex(@"\G[^\s""'\\;]+", RegexOptions.CultureInvariant)]
    private static partial Regex Url();
    [GeneratedRegex(@"\G(===|~=|==|!=|<=|>=|<|>|not\s+in\b|in\b)", RegexOptions.CultureInvariant)]
    private static partial Regex MarkerOp();
    [GeneratedRegex(@"\G('[^'\r\n]*'|""[^""\r\n]*"")", RegexOptions.CultureInvariant)]
    private static partial Regex MarkerString();
    [GeneratedRegex(@"\G[a-z_.]+", RegexOptions.CultureInvariant)]
    private static partial Regex MarkerVariable();
    static readonly HashSet<string> MarkerVariables = new(StringComparer.Ordinal)
    {
        "python_version", "python_full_version", "os_name", "sys_platform", "platform_release", "platform_system",
        "platform_version", "platform_machine", "platform_python_implementation", "implementation_name",
        "implementation_version", "extra", "os.name", "sys.platform", "platform.version", "platform.machine",
        "platform.python_implementation", "python_implementation",
    };

    /// <summary>True when <paramref name="text"/> is exactly one PEP 508 requirement (name, extras, version or URL, marker).</summary>
    public static bool IsRequirement(string text)
    {
        if (text.Length == 0 || text.Length > 4096 || text.AsSpan().IndexOfAnyInRange('\0', '\x1f') >= 0 || text.Contains('\x7f')) return false;
        var p = new Cursor(text);
        p.Ws();
        if (!p.Match(Name())) return false;
        p.Ws();
        if (p.Eat('['))
        {
            p.Ws();
            if (!p.Eat(']'))
            {
                do { p.Ws(); if (!p.Match(Name())) return false; p.Ws(); } while (p.Eat(','));
                if (!p.Eat(']')) return false;
            }
            p.Ws();
        }
        if (p.Eat('@'))
        {
            p.Ws();
            if (!p.Match(Url())) return false;
            if (p.AtEnd) return true;
            if (!p.Ws()) return false; // "url;marker" is ambiguous in PEP 508: a space is required
        }
        else if (p.Eat('('))
        {
            if (!Specifiers(p)) return false;
            p.Ws();
            if (!p.Eat(')')) return false;
        }
        else if (p.Peek is '=' or '!' or '<' or '>' or '~')
        {
            if (!Specifiers(p)) return false;
        }
        p.Ws();
        if (p.AtEnd) return true;
        if (!p.Eat(';')) return false;
        p.Ws();
        if (!MarkerOr(p)) return false;
        p.Ws();
        return p.AtEnd;
    }

    static bool Specifiers(Cursor p)
    {
        do
        {
            p.Ws();
            if (!p.Match(Op())) return false;
            p.Ws();
            if (!p.Match(Version())) return false;
            p.Ws();
        } while (p.Eat(','));
        return true;
    }

    static bool MarkerOr(Cursor p)
    {
        if (!MarkerAnd(p)) return false;
        while (p.Keyword("or")) if (!MarkerAnd(p)) return false;
        return true;
    }

    static bool MarkerAnd(Cursor p)
    {
        if (!MarkerAtom(p)) return false;
        while (p.Keyword("and")) if (!MarkerAtom(p)) return false;
        return true;
    }

    static bool MarkerAtom(Cursor p)
    {
        p.Ws();
        if (p.Eat('('))
        {
            if (!MarkerOr(p)) return false;
            p.Ws();
            return p.Eat(')');
        }
        if (!MarkerValue(p)) return false;
        p.Ws();
        if (!p.Match(MarkerOp())) return false;
        p.Ws();
        return MarkerValue(p);
    }

    static bool MarkerValue(Cursor p)
    {
        if (p.Match(MarkerString())) return true;
        var m = MarkerVariable().Match(p.Text, p.Pos);
        if (!m.Success || !MarkerVariables.Contains(m.Value)) return false;
        p.Pos += m.Length;
        return true;
    }

    /// <summary>True when <paramref name="requirement"/> is one PEP 508 string naming <paramref name="package"/> (PEP 503).</summary>
    public static bool IsRequirementFor(string requirement, string package) =>
        IsRequirement(requirement) && Grammars.RequirementName(requirement) is { } n && Requirements.NormalizeName(n) == Requirements.NormalizeName(package);

    /// <summary>True when <paramref name="text"/> is one TOML value on one line (an inline table, string, array, ...), nothing more.</summary>
    public static bool IsSingleLineTomlValue(string text)
    {
        if (text.Length == 0 || text.Length > 4096 || !TomlText.LiteralSafe(text)) return false;
        if (text.Trim() != text) return false;
        return IsPlainValue(text) || ParsesAsOneValue(text);
    }

    /// <summary>The check by Tomlyn's parser: <c>k = &lt;text&gt;</c> is one key with one value that spans the whole text.</summary>
    internal static bool ParsesAsOneValue(string text)
    {
        var source = "k = " + text + "\n";
        var doc = PyProjectScan.Parse(source, "hsm.lock");
        if (doc.HasErrors) return false;
        if (doc.Tables != null && doc.Tables.ChildrenCount > 0) return false;
        if (doc.KeyValues == null || doc.KeyValues.ChildrenCount != 1) return false;
        var kv = doc.KeyValues.GetChild(0)!;
        if (PyProjectScan.KeyPath(kv.Key) is not ["k"] || kv.Value is null) return false;
        // The value must be the whole text: no trailing comment or second value on the line.
        return kv.Value.Span.Start.Offset == 4 && kv.Value.Span.End.Offset + 1 == 4 + text.Length;
    }

    /// <summary>
    /// True when <paramref name="text"/> is, beyond doubt, one TOML value of the plain shapes hsm itself writes: a basic
    /// string of printable ASCII without escapes, <c>true</c>/<c>false</c>, or an inline table of such values under
    /// distinct bare keys (<c>{ path = "packages/x", editable = true }</c>). False means "not shown here", never
    /// "invalid": the caller then asks Tomlyn (<see cref="ParsesAsOneValue"/>), so the answer is always the parser's,
    /// without a parse per entry of a large lock (2,019 at N = 10,000).
    /// </summary>
    internal static bool IsPlainValue(string text)
    {
        int i = 0;
        return PlainValue(text, ref i, inTable: false) && i == text.Length;
    }

    private static bool PlainValue(string t, ref int i, bool inTable)
    {
        if (i >= t.Length) return false;
        var c = t[i];
        if (c == '"')
        {
            for (i++; i < t.Length && t[i] != '"'; i++)
                if (t[i] is '\\' or < ' ' or > '~') return false;
            if (i >= t.Length) return false;
            i++;
            return true;
        }
        if (string.CompareOrdinal(t, i, "true", 0, 4) == 0) { i += 4; return true; }
        if (string.CompareOrdinal(t, i, "false", 0, 5) == 0) { i += 5; return true; }
        if (c != '{' || inTable) return false;
        i++;
        var keys = new List<string>(4);
        while (true)
        {
            Spaces(t, ref i);
            int start = i;
            while (i < t.Length && TomlText.IsBareKeyChar(t[i])) i++;
            if (i == start) return false;
            var key = t[start..i];
            if (keys.Contains(key)) return false; // a duplicate key: the parser's to judge
            keys.Add(key);
            Spaces(t, ref i);
            if (i >= t.Length || t[i] != '=') return false;
            i++;
            Spaces(t, ref i);
            if (!PlainValue(t, ref i, inTable: true)) return false;
            Spaces(t, ref i);
            if (i >= t.Length) return false;
            if (t[i] == '}') { i++; return true; }
            if (t[i] != ',') return false;
            i++;
        }
    }

    private static void Spaces(string t, ref int i)
    {
        while (i < t.Length && t[i] is ' ' or '\t') i++;
    }

    /// <summary>True when <paramref name="text"/> is a valid distribution name (PEP 508 name).</summary>
    public static bool IsDistributionName(string text) => text.Length <= 200 && Name().Match(text) is { Success: true } m && m.Length == text.Length;

    /// <summary>A lowercase hex sha256.</summary>
    public static bool IsSha256(string text)
    {
        if (text.Length != 64) return false;
        foreach (var c in text) if (c is not (>= '0' and <= '9' or >= 'a' and <= 'f')) return false;
        return true;
    }

    sealed class Cursor
    {
        public readonly string Text;
        public int Pos;
        public Cursor(string text) { Text = text; }
        public bool AtEnd => Pos >= Text.Length;
        public char Peek => AtEnd ? '\0' : Text[Pos];
        public bool Ws() { int s = Pos; while (!AtEnd && Text[Pos] is ' ' or '\t') Pos++; return Pos > s; }
        public bool Eat(char c) { if (Peek != c) return false; Pos++; return true; }
        public bool Match(Regex rx)
        {
            var m = rx.Match(Text, Pos);
            if (!m.Success || m.Length == 0) return false;
            Pos += m.Length;
            return true;
        }
        public bool Keyword(string k)
        {
            int s = Pos;
            if (!Ws()) { Pos = s; return false; }
            if (string.CompareOrdinal(Text, Pos, k, 0, k.Length) == 0 && (Pos + k.Length == Text.Length || Text[Pos + k.Length] is ' ' or '\t' or '('))
            {
                Pos += k.Length;
                return true;
            }
            Pos = s;
            return false;
        }
    }
}
