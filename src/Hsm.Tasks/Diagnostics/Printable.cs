using System.Buffers;
using System.Globalization;
using System.Text;

namespace Hsm.Diagnostics;

/// <summary>
/// Text from files a pull request carries (a registry key, a description, Compose's words about them) is quoted in
/// diagnostics and command output. Printed as it is, its control characters would drive the reader's terminal (an
/// escape sequence that moves the cursor up and erases the line can hide a risky-setting warning, a carriage return
/// overwrite it, a line separator start a line of its own), and bidirectional overrides would make the text read
/// other than it is ("Trojan Source"). Such characters are shown as escapes instead (<c>\x1B</c>, <c>\u202E</c>);
/// line breaks (LF, CRLF) and tabs are kept.
/// </summary>
public static class Printable
{
    /// <summary>C0 controls but tab and line feed, DEL and the C1 controls, the line and paragraph separators, the bidi controls.</summary>
    private static readonly SearchValues<char> Suspicious = SearchValues.Create(
        Enumerable.Range(0, 0x20).Where(c => c is not ('\t' or '\n')).Concat(Enumerable.Range(0x7f, 0x21))
            .Select(c => (char)c).Concat("\u2028\u2029\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069").ToArray());

    /// <summary><paramref name="text"/> with every control character but '\n', "\r\n" and '\t', and every bidi control, escaped.</summary>
    public static string Text(string text)
    {
        if (string.IsNullOrEmpty(text) || text.AsSpan().IndexOfAny(Suspicious) < 0) return text;
        var sb = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (!Suspicious.Contains(c) || c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') sb.Append(c); // CRLF is a line break
            else if (c <= '\u00ff') sb.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            else sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
