using Hsm.Diagnostics;

namespace Hsm.Registry;

/// <summary>One variable of an env file. <see cref="Value"/> is null for a bare <c>KEY</c> (pass-through).</summary>
public sealed record EnvFileEntry(string Key, string? Value, int Line);

/// <summary>
/// Reads env files with Docker Compose's grammar (compose-go <c>dotenv</c>, the parser behind
/// <c>env_file:</c>), so hsm sees the same keys Compose will. Values are decoded only as far as the
/// grammar needs (quotes and escapes); <c>${…}</c> is not interpolated. hsm reads the keys of user
/// env files to find conflicts; it never copies their values anywhere.
/// </summary>
public static class EnvFileParser
{
    /// <summary>
    /// Parses <paramref name="text"/>. The first line Compose would reject is an error
    /// (<see cref="Codes.EnvFileProblem"/> at <paramref name="fileLabel"/>:line) and stops the file, as
    /// Compose stops; a key defined twice is an error naming both lines.
    /// </summary>
    public static List<EnvFileEntry> Parse(string text, string fileLabel, DiagnosticBag diagnostics)
    {
        var entries = new List<EnvFileEntry>();
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        if (text.Length > 0 && text[0] == '\ufeff') text = text.Substring(1);
        var p = new Cursor(text);

        void Fail(int line, int column, string message) =>
            diagnostics.Error(Codes.EnvFileProblem, new SourceSpan(fileLabel, line, column), $"env file {fileLabel}:{line}: {message}");

        while (true)
        {
            p.SkipStatementStart();
            if (p.AtEnd) break;

            var keyLine = p.Line;
            var keyColumn = p.Column;
            // "export" followed by whitespace is a prefix (exportFOO=1 is the key exportFOO).
            if (p.StartsWith("export") && p.Pos + 6 < text.Length && IsSpace(text[p.Pos + 6]))
            {
                p.Advance(6);
                while (!p.AtEnd && IsSpace(p.Peek)) p.Advance(1);
            }

            var keyStart = p.Pos;
            char sep = '\0';
            while (!p.AtEnd)
            {
                var c = p.Peek;
                if (c is '=' or ':' or '\n') { sep = c; break; }
                if (IsSpace(c) || c is '_' or '.' or '-' or '[' or ']' || char.IsLetterOrDigit(c)) { p.Advance(1); continue; }
                // The line may be a pasted secret: say where, never what (design §9 "Secrets").
                Fail(p.Line, p.Column, $"unexpected character in the variable name at column {p.Column}; Compose rejects this line");
                return entries;
            }
            var key = text.Substring(keyStart, p.Pos - keyStart).TrimEnd();
            if (key.Any(IsSpace))
            {
                Fail(keyLine, keyColumn, $"the variable name contains a space (column {keyColumn + key.IndexOf(key.First(IsSpace))}); Compose rejects this line");
                return entries;
            }
            if (key.Length == 0)
            {
                Fail(keyLine, keyColumn, "a line starts with '" + Printable(sep) + "': the variable name is empty");
                return entries;
            }

            string? value;
            if (sep is '\n' or '\0')
            {
                // A bare KEY passes the variable through from the environment.
                if (sep == '\0')
                    diagnostics.Warning(Codes.EnvFileProblem, new SourceSpan(fileLabel, keyLine, keyColumn),
                        $"env file {fileLabel}:{keyLine}: bare '{key}' on the last line without a newline; some Compose versions read it as an empty variable name: end the file with a newline");
                value = null;
                if (sep == '\n') p.Advance(1);
            }
            else
            {
                p.Advance(1);
                while (!p.AtEnd && IsSpace(p.Peek)) p.Advance(1);
                if (!TryReadValue(ref p, out value, out var error, out var errLine))
                {
                    Fail(errLine, 1, error!);
                    return entries;
                }
            }

            if (firstLine.TryGetValue(key, out var earlier))
                diagnostics.Error(Codes.EnvFileProblem, new SourceSpan(fileLabel, keyLine, keyColumn),
                    $"'{key}' is defined twice in env file {fileLabel}: lines {earlier} and {keyLine} (Compose keeps the last silently)");
            else firstLine[key] = keyLine;
            entries.Add(new EnvFileEntry(key, value, keyLine));
        }
        return entries;
    }

    static bool TryReadValue(ref Cursor p, out string? value, out string? error, out int errorLine)
    {
        value = null; error = null; errorLine = p.Line;
        var text = p.Text;
        if (p.AtEnd || p.Peek is not ('"' or '\''))
        {
            // Unquoted: to the end of the line; " #" starts a comment; trailing whitespace trimmed.
            var start = p.Pos;
            var nl = text.IndexOf('\n', start);
            var end = nl < 0 ? text.Length : nl;
            var raw = text.Substring(start, end - start);
            var hash = raw.IndexOf(" #", StringComparison.Ordinal);
            if (hash >= 0) raw = raw.Substring(0, hash);
            raw = raw.TrimEnd();
            p.Advance(end - start);
            if (!p.AtEnd) p.Advance(1);
            if (!CheckInterpolation(raw, out error)) return false;
            value = raw;
            return true;
        }

        var quote = p.Peek;
        var openLine = p.Line;
        p.Advance(1);
        var sb = new System.Text.StringBuilder();
        var escape = false;
        while (!p.AtEnd)
        {
            var c = p.Peek;
            p.Advance(1);
            if (c != quote)
            {
                if (!escape && c == '\\') { escape = true; continue; }
                if (escape) { escape = false; sb.Append('\\'); }
                sb.Append(c);
                continue;
            }
            if (escape) { escape = false; sb.Append(c); continue; }
            var v = sb.ToString();
            if (quote == '"')
            {
                v = ExpandEscapes(v);
                if (!CheckInterpolation(v, out error)) { errorLine = openLine; return false; }
            }
            value = v;
            // The rest of the line after the closing quote is read as the next statement, as Compose does.
            return true;
        }
        error = $"unterminated quoted value starting on line {openLine}; Compose rejects this file";
        errorLine = openLine;
        return false;
    }

    /// <summary>compose-go's double-quote escapes: \n and \r become line breaks, '\' before any other character except '$' is dropped.</summary>
    static string ExpandEscapes(string s)
    {
        var sb = new System.Text.StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length)
            {
                var n = s[i + 1];
                if (n == 'n') { sb.Append('\n'); i++; continue; }
                if (n == 'r') { sb.Append('\r'); i++; continue; }
                if (n == '$') { sb.Append("\\$"); i++; continue; }
                sb.Append(n); i++;
                continue;
            }
            sb.Append(s[i]);
        }
        return sb.ToString();
    }

    /// <summary>An unterminated <c>${</c> is an "Invalid template" for Compose.</summary>
    static bool CheckInterpolation(string v, out string? error)
    {
        error = null;
        for (var i = 0; i < v.Length; i++)
        {
            if (v[i] == '\\' && i + 1 < v.Length && v[i + 1] == '$') { i++; continue; }
            if (v[i] != '$' || i + 1 >= v.Length) continue;
            if (v[i + 1] == '$') { i++; continue; }
            if (v[i + 1] != '{') continue;
            var depth = 0;
            var j = i + 1;
            for (; j < v.Length; j++)
            {
                if (v[j] == '{') depth++;
                else if (v[j] == '}' && --depth == 0) break;
            }
            if (j >= v.Length)
            {
                error = "invalid template in the value: '${' without a closing '}'"; // the value itself is never quoted
                return false;
            }
            i = j;
        }
        return true;
    }

    static bool IsSpace(char c) => c is '\t' or '\v' or '\f' or '\r' or ' ' or '\u0085' or '\u00a0';

    static string Printable(char c) => c switch { '\0' => "end of file", '\n' => "\\n", _ => c < 0x20 ? $"\\x{(int)c:X2}" : c.ToString() };

    /// <summary>Position tracking over the text (1-based line and column).</summary>
    struct Cursor
    {
        public readonly string Text;
        public int Pos, Line, Column;
        public Cursor(string text) { Text = text; Pos = 0; Line = 1; Column = 1; }
        public readonly bool AtEnd => Pos >= Text.Length;
        public readonly char Peek => Text[Pos];
        public readonly bool StartsWith(string s) => string.CompareOrdinal(Text, Pos, s, 0, s.Length) == 0;
        public void Advance(int n)
        {
            for (var i = 0; i < n && Pos < Text.Length; i++)
            {
                if (Text[Pos] == '\n') { Line++; Column = 1; } else Column++;
                Pos++;
            }
        }
        /// <summary>Skips whitespace (line breaks too) and '#' comment lines.</summary>
        public void SkipStatementStart()
        {
            while (!AtEnd)
            {
                if (char.IsWhiteSpace(Peek)) { Advance(1); continue; }
                if (Peek == '#')
                {
                    while (!AtEnd && Peek != '\n') Advance(1);
                    continue;
                }
                break;
            }
        }
    }
}
