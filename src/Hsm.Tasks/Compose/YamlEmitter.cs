using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hsm.Registry;

namespace Hsm.Compose;

/// <summary>A tiny YAML document model for the deterministic emitter (no serializer, no reflection).</summary>
internal abstract record YNode;
/// <summary>A scalar already rendered as YAML text (quoted string, number, bool or null).</summary>
internal sealed record YScalar(string Text) : YNode;
/// <summary>A map written in the order given (callers sort where the format asks for it).</summary>
internal sealed record YMap(List<KeyValuePair<string, YNode>> Entries) : YNode
{
    public YMap() : this(new List<KeyValuePair<string, YNode>>()) { }
    public YMap Add(string key, YNode value) { Entries.Add(new(key, value)); return this; }
}
internal sealed record YSeq(List<YNode> Items) : YNode
{
    public YSeq() : this(new List<YNode>()) { }
}

/// <summary>
/// Block-style YAML, 2-space indent, LF. Every string value is double-quoted; map keys are plain
/// when they cannot be read as anything but that string, else double-quoted.
/// </summary>
internal static class YamlEmitter
{
    /// <summary>True when <see cref="Quote"/> escapes some character of <paramref name="s"/> (else it only adds the quotes).</summary>
    private static bool NeedsEscape(string s)
    {
        foreach (var c in s)
            if (c < 0x20 || c is '"' or '\\' or '\x7f' or '\u0085' or '\u00a0' or '\u2028' or '\u2029' or '\ufeff' || char.IsSurrogate(c)) return true;
        return false;
    }

    public static YScalar Str(string s, bool composeValue = true) => new(Quote(composeValue ? EscapeDollars(s) : s));
    public static YSeq StrSeq(IEnumerable<string> items) => new(items.Select(i => (YNode)Str(i)).ToList());

    /// <summary>JSON tree → YAML node: strings quoted, numbers and bools plain, objects sorted ordinally.</summary>
    public static YNode FromJson(JsonNode? node)
    {
        switch (node)
        {
            case null: return new YScalar("null");
            case JsonObject o:
                var map = new YMap();
                foreach (var kv in o.OrderBy(kv => kv.Key, StringComparer.Ordinal)) map.Add(kv.Key, FromJson(kv.Value));
                return map;
            case JsonArray a:
                return new YSeq(a.Select(FromJson).ToList());
            case JsonValue v:
                return v.GetValueKind() switch
                {
                    JsonValueKind.String => Str(v.GetValue<string>()),
                    JsonValueKind.True => new YScalar("true"),
                    JsonValueKind.False => new YScalar("false"),
                    JsonValueKind.Null or JsonValueKind.Undefined => new YScalar("null"),
                    JsonValueKind.Number => new YScalar(v.ToJsonString()),
                    _ => Str(v.ToJsonString()),
                };
            default: return Str(node.ToJsonString());
        }
    }

    public static string Write(YMap root, string header)
    {
        var sb = new StringBuilder();
        sb.Append(header).Append('\n');
        WriteMap(sb, root, 0);
        return sb.ToString();
    }

    static void WriteMap(StringBuilder sb, YMap map, int indent)
    {
        foreach (var (key, value) in map.Entries)
        {
            sb.Append(' ', indent).Append(Key(key)).Append(':');
            WriteAfterIndicator(sb, value, indent);
        }
    }

    static void WriteSeq(StringBuilder sb, YSeq seq, int indent)
    {
        foreach (var item in seq.Items)
        {
            if (item is YMap { Entries.Count: > 0 } or YSeq { Items.Count: > 0 })
            {
                // Render the collection one level deeper, then put the dash on its first line: that line starts with
                // indent + 2 spaces, of which the last two become "- " (in place: no second builder and copy per item).
                var at = sb.Length;
                if (item is YMap m) WriteMap(sb, m, indent + 2); else WriteSeq(sb, (YSeq)item, indent + 2);
                sb[at + indent] = '-';
            }
            else
            {
                sb.Append(' ', indent).Append('-');
                WriteAfterIndicator(sb, item, indent);
            }
        }
    }

    static void WriteAfterIndicator(StringBuilder sb, YNode value, int indent)
    {
        switch (value)
        {
            case YScalar s: sb.Append(' ').Append(s.Text).Append('\n'); break;
            case YMap { Entries.Count: 0 }: sb.Append(" {}\n"); break;
            case YSeq { Items.Count: 0 }: sb.Append(" []\n"); break;
            case YMap m: sb.Append('\n'); WriteMap(sb, m, indent + 2); break;
            case YSeq q: sb.Append('\n'); WriteSeq(sb, q, indent + 2); break;
        }
    }

    static readonly HashSet<string> AmbiguousPlain = new(StringComparer.OrdinalIgnoreCase)
    {
        "null", "true", "false", "yes", "no", "on", "off", "y", "n", "~",
    };

    /// <summary>A key is plain when it starts with a letter or '_' and holds only [A-Za-z0-9_.-].</summary>
    public static string Key(string key)
    {
        var plain = key.Length > 0 && (char.IsAsciiLetter(key[0]) || key[0] == '_')
            && PlainKeyChars(key)
            && !AmbiguousPlain.Contains(key);
        return plain ? key : Quote(key);
    }

    private static bool PlainKeyChars(string key)
    {
        foreach (var c in key) if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')) return false;
        return true;
    }

    /// <summary>A YAML double-quoted scalar; '"', '\' and every control or line-break character escaped.</summary>
    public static string Quote(string s)
    {
        if (!NeedsEscape(s)) return string.Concat("\"", s, "\""); // the common case: one string, no builder
        var sb = new StringBuilder(s.Length + 2).Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\0': sb.Append("\\0"); break;
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\t': sb.Append("\\t"); break;
                case '\n': sb.Append("\\n"); break;
                case '\v': sb.Append("\\v"); break;
                case '\f': sb.Append("\\f"); break;
                case '\r': sb.Append("\\r"); break;
                case '\x1b': sb.Append("\\e"); break;
                case '\u0085': sb.Append("\\N"); break;
                case '\u00a0': sb.Append("\\_"); break;
                case '\u2028': sb.Append("\\L"); break;
                case '\u2029': sb.Append("\\P"); break;
                default:
                    if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
                    else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) sb.Append(c).Append(s[++i]);
                    else if (c == '\ufeff' || char.IsSurrogate(c)) sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>
    /// Keeps Compose interpolation (<c>${…}</c>, <c>$NAME</c>, the escape <c>$$</c>) and doubles a '$'
    /// that starts none of them, so a literal '$' means the same to every Compose version.
    /// </summary>
    public static string EscapeDollars(string s)
    {
        if (!s.Contains('$')) return s;
        var sb = new StringBuilder(s.Length + 4);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c != '$') { sb.Append(c); continue; }
            var next = Interpolation.NextOf(s, i);
            if (next == '$') { sb.Append("$$"); i++; }
            else if (Interpolation.StartsAfterDollar(next)) sb.Append('$');
            else sb.Append("$$");
        }
        return sb.ToString();
    }
}
