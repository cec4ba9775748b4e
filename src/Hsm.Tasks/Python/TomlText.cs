using System.Text;
using Tomlyn.Syntax;

namespace Hsm.Python;

/// <summary>Small helpers on TOML source text: quoting, line arithmetic and span access.</summary>
internal static class TomlText
{
    /// <summary>A TOML basic string ("...") with the required escapes.</summary>
    public static string Basic(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c == 0x7f) sb.Append("\\u").Append(((int)c).ToString("X4"));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Quotes <paramref name="s"/> in the style of an existing string token when it can hold it.</summary>
    public static string Quote(string s, TokenKind style)
    {
        if (style == TokenKind.StringLiteral && s.IndexOf('\'') < 0 && LiteralSafe(s))
            return "'" + s + "'";
        return Basic(s);
    }

    /// <summary>A key as TOML text: bare when possible, else a basic string.</summary>
    public static string Key(string key) => IsBareKey(key) ? key : Basic(key);

    private static bool IsBareKey(string key)
    {
        if (key.Length == 0) return false;
        foreach (var c in key) if (!IsBareKeyChar(c)) return false;
        return true;
    }

    /// <summary>A character of a TOML bare key: A-Z a-z 0-9 _ -.</summary>
    public static bool IsBareKeyChar(char c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '-';

    /// <summary>Every character may stand in a literal string (and on one line): no line break, no control character but tab, no DEL.</summary>
    public static bool LiteralSafe(string s)
    {
        foreach (var c in s) if (!(c >= 0x20 && c != 0x7f || c == '\t')) return false;
        return true;
    }

    public static string DetectNewLine(string t)
    {
        var i = t.IndexOf('\n');
        return i > 0 && t[i - 1] == '\r' ? "\r\n" : "\n";
    }

    public static int Start(SyntaxNodeBase n) => n.Span.Start.Offset;
    /// <summary>Exclusive end offset (Tomlyn's span end is inclusive).</summary>
    public static int End(SyntaxNodeBase n) => n.Span.End.Offset + 1;

    public static int LineStart(string t, int pos)
    {
        if (pos <= 0) return 0;
        var i = t.LastIndexOf('\n', pos - 1);
        return i + 1;
    }

    /// <summary>Offset just after the newline that ends the line holding <paramref name="pos"/> (or the text length).</summary>
    public static int NextLineStart(string t, int pos)
    {
        if (pos >= t.Length) return t.Length;
        var i = t.IndexOf('\n', pos);
        return i < 0 ? t.Length : i + 1;
    }

    public static bool IsBlank(string t, int from, int to)
    {
        for (var i = from; i < to; i++) if (t[i] != ' ' && t[i] != '\t') return false;
        return true;
    }

    /// <summary>True when from <paramref name="pos"/> to the end of its line there is only whitespace and an optional comment.</summary>
    public static bool RestOfLineIsTrivia(string t, int pos)
    {
        var i = pos;
        while (i < t.Length && (t[i] == ' ' || t[i] == '\t')) i++;
        if (i >= t.Length || t[i] == '\n' || t[i] == '\r' || t[i] == '#') return true;
        return false;
    }

    public static bool EndsWithNewLine(string t) => t.Length > 0 && t[^1] == '\n';

    /// <summary>The leading whitespace of the line that holds <paramref name="pos"/>.</summary>
    public static string IndentAt(string t, int pos)
    {
        var s = LineStart(t, pos);
        var i = s;
        while (i < t.Length && (t[i] == ' ' || t[i] == '\t')) i++;
        return t.Substring(s, i - s);
    }

    /// <summary>Start of a blank line that directly precedes the line starting at <paramref name="lineStart"/>, or -1.</summary>
    public static int BlankLineBefore(string t, int lineStart)
    {
        if (lineStart <= 0 || t[lineStart - 1] != '\n') return -1;
        var prev = LineStart(t, lineStart - 1);
        var end = lineStart - 1;
        if (end > prev && t[end - 1] == '\r') end--;
        return IsBlank(t, prev, end) ? prev : -1;
    }
}

/// <summary>A replacement of [Start, End) by Text in the original string.</summary>
internal readonly record struct TextEdit(int Start, int End, string Text);

internal static class TextEdits
{
    public static string Apply(string t, List<TextEdit> edits)
    {
        if (edits.Count == 0) return t;
        var sorted = edits.OrderBy(e => e.Start).ThenBy(e => e.End).ToList();
        var sb = new StringBuilder(t.Length + 256);
        var pos = 0;
        var lastWasDeletion = false;
        foreach (var e in sorted)
        {
            if (e.Start < pos)
            {
                // Overlapping deletions (e.g. two removed lines, the last one taking the newline before it) merge.
                if (e.Text.Length == 0 && lastWasDeletion) { pos = Math.Max(pos, e.End); continue; }
                throw new InvalidOperationException($"overlapping pyproject edits at offset {e.Start}");
            }
            sb.Append(t, pos, e.Start - pos).Append(e.Text);
            pos = e.End;
            lastWasDeletion = e.Text.Length == 0 && e.End > e.Start;
        }
        sb.Append(t, pos, t.Length - pos);
        return sb.ToString();
    }
}
