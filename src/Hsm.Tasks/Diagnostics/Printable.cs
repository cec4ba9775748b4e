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
    private static readonly SearchValues<char> Suspicious = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\u000b\u000c\r\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f"
        + "\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008a\u008b\u008c\u008d\u008e\u008f\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009a\u009b\u009c\u009d\u009e\u009f"
        + "\u2028\u2029\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069");

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
