namespace Hsm.Yaml;

/// <summary>
/// A hint added to a YAML syntax error besides the parser's own words (issue 14): what usually causes the
/// error the parser describes (indentation, an unclosed quote or bracket, a value holding ': ').
/// </summary>
internal static class SyntaxHints
{
    /// <summary>" Hint: …" for the parser message, or "" when there is nothing to add.</summary>
    public static string For(string parserMessage, string text, int line)
    {
        var m = parserMessage.ToLowerInvariant();
        if (m.Contains("quoted scalar"))
        {
            var quoteLine = LineOfUnclosedQuote(text, line);
            return $" Hint: a quote{(quoteLine > 0 ? $" opened on line {quoteLine}" : "")} is not closed; close it on the same line, or remove it (a plain value needs no quotes).";
        }
        if (m.Contains("flow sequence") || m.Contains("flow mapping") || m.Contains("expected ',' or ']'") || m.Contains("expected ',' or '}'"))
            return " Hint: a '[' or '{' is not closed, or its items are not separated by commas.";
        if (m.Contains("invalid mapping") || m.Contains("mapping values are not allowed"))
            return " Hint: check the indentation (a line indented further than the key above it continues that key's value), and quote a value that holds ': ' (\"a: b\").";
        if (m.Contains("did not find expected key") || m.Contains("wrong indentation") || m.Contains("did not find expected '-'") || m.Contains("block"))
            return " Hint: check the indentation: the keys of one map start in the same column, nested keys and list items ('- ') further right, with spaces only.";
        return "";
    }

    /// <summary>The line (1-based) of the last line up to <paramref name="maxLine"/> with an odd number of double or single quotes, or 0.</summary>
    private static int LineOfUnclosedQuote(string text, int maxLine)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (int i = Math.Min(maxLine, lines.Length) - 1; i >= 0; i--)
        {
            var l = lines[i];
            var hash = l.IndexOf(" #", StringComparison.Ordinal);
            if (hash >= 0) l = l[..hash];
            if (l.Count(c => c == '"') % 2 == 1 || l.Count(c => c == '\'') % 2 == 1) return i + 1;
        }
        return 0;
    }

    /// <summary>The first '[' or '{' (outside quotes and comments) that is never closed, or null.</summary>
    public static (int Line, int Col, char Bracket)? UnclosedBracket(string text)
    {
        var stack = new Stack<(int Line, int Col, char Bracket)>();
        int line = 1, col = 0;
        char quote = '\0';
        bool comment = false;
        foreach (var c in text)
        {
            col++;
            if (c == '\n') { line++; col = 0; comment = false; if (quote == '\'') quote = '\0'; continue; }
            if (comment) continue;
            if (quote != '\0') { if (c == quote) quote = '\0'; continue; }
            if (c is '"' or '\'') { quote = c; continue; }
            if (c == '#') { comment = true; continue; }
            if (c is '[' or '{') stack.Push((line, col, c));
            else if (c is ']' or '}' && stack.Count > 0) stack.Pop();
        }
        return stack.Count > 0 ? stack.ToArray()[^1] : null;
    }
}
