namespace Hsm.Tests.Fuzz;

/// <summary>
/// Seeded line-level mutations of a text file (delete, duplicate, swap, re-indent, truncate, insert hostile
/// tokens: quotes, flow brackets, anchors and merge keys, tabs, NUL, CR, BOM, path climbs, bidi and lone
/// surrogates, long runs). Shared by the pipeline's and the command line's mutation tests.
/// </summary>
public static class Mutator
{
    static readonly string[] Tokens =
    {
        "\"", "'", ":", ": ", "- ", "[", "]", "{", "}", "#", "\t", "\n", "\r\n", "\0", "\\", "../", "/", "..", "&a", "*a", "<<: *a", "!!binary ",
        "\"../../outside\": \"00\"", "version: 2", "version: x", "owned:", "files:", "stack:", "=", "[[", "]]", "\"\"\"", "'''", "é", "\uFEFF",
        "${X}", "$(x)", "%3B", ";", "0x", "1e9999", "-1", "true", "null", "~", "  ", "    ", new string('a', 300), "\u202E", "\ud800",
    };

    public static string Mutate(string text, Random r)
    {
        var lines = text.Split('\n').ToList();
        var n = 1 + r.Next(3);
        for (var k = 0; k < n && lines.Count > 0; k++)
        {
            var i = r.Next(lines.Count);
            switch (r.Next(8))
            {
                case 0: lines.RemoveAt(i); break;
                case 1: lines.Insert(i, lines[r.Next(lines.Count)]); break;
                case 2: (lines[i], lines[r.Next(lines.Count)]) = (lines[r.Next(lines.Count)], lines[i]); break;
                case 3: { var l = lines[i]; var p = l.Length == 0 ? 0 : r.Next(l.Length + 1); lines[i] = l[..p] + Tokens[r.Next(Tokens.Length)] + l[p..]; break; }
                case 4: { var l = lines[i]; if (l.Length > 0) { var p = r.Next(l.Length); lines[i] = l.Remove(p, 1 + r.Next(Math.Min(5, l.Length - p))); } break; }
                case 5: lines[i] = new string(' ', r.Next(6)) + lines[i].TrimStart(); break;
                case 6: lines.Insert(i, lines[i][..(lines[i].Length - lines[i].TrimStart().Length)] + Tokens[r.Next(Tokens.Length)] + Tokens[r.Next(Tokens.Length)]); break;
                default: lines = lines.Take(i).ToList(); break; // truncated
            }
        }
        return string.Join('\n', lines);
    }

}
