using static Hsm.Python.TomlText;

namespace Hsm.Python;

/// <summary>
/// Removing and appending items of a TOML array or inline table as text edits, so that every byte outside
/// the touched items is kept. Removal and appending are mirror images: appending items and removing them
/// again gives the original bytes, for multi-line lists (one item per line) and for inline ones.
/// </summary>
internal static class ListEdits
{
    /// <summary>An item sits alone on its line(s): only whitespace before it, only trivia after it and its comma.</summary>
    public static bool AloneOnLine(string t, ListItem it) =>
        IsBlank(t, LineStart(t, it.Start), it.Start) && RestOfLineIsTrivia(t, it.EndWithComma) && NextLineStart(t, it.EndWithComma) < t.Length;

    public static void Remove(string t, ListShape s, ISet<int> remove, List<TextEdit> edits)
    {
        var n = s.Items.Count;
        var i = 0;
        while (i < n)
        {
            if (!remove.Contains(i)) { i++; continue; }
            var j = i;
            while (j + 1 < n && remove.Contains(j + 1)) j++;
            RemoveRun(t, s, i, j, edits);
            i = j + 1;
        }
    }

    static void RemoveRun(string t, ListShape s, int i, int j, List<TextEdit> edits)
    {
        var items = s.Items;
        var n = items.Count;
        var multiLine = true;
        for (var k = i; k <= j; k++) multiLine &= AloneOnLine(t, items[k]);
        if (multiLine)
        {
            // Remove each item's whole line (its trailing comment goes with it; comment lines between items stay).
            for (var k = i; k <= j; k++)
                edits.Add(new TextEdit(LineStart(t, items[k].Start), NextLineStart(t, items[k].EndWithComma), ""));
            // The removed run ended the list without a trailing comma: the new last item loses its comma.
            if (j == n - 1 && items[j].Comma < 0 && i > 0 && items[i - 1].Comma >= 0)
                edits.Add(new TextEdit(items[i - 1].Comma, items[i - 1].Comma + 1, ""));
            return;
        }
        if (i == 0 && j == n - 1)
        {
            edits.Add(new TextEdit(s.Open + 1, s.Close, "")); // everything: "[...]" -> "[]"
            return;
        }
        if (items[j].Comma >= 0)
        {
            if (i > 0) edits.Add(new TextEdit(items[i - 1].Comma + 1, items[j].Comma + 1, ""));   // ` "b",`
            else edits.Add(new TextEdit(items[i].Start, items[j + 1].Start, ""));                   // `"a", `
        }
        else
        {
            // the run ends the list and has no trailing comma: take the previous item's comma with it: `, "c"`
            edits.Add(new TextEdit(items[i - 1].End, items[j].End, ""));
        }
    }

    /// <summary>Appends <paramref name="texts"/> (item source text) in the list's own layout.</summary>
    public static void Append(string t, ListShape s, IReadOnlyList<string> texts, string nl, List<TextEdit> edits)
    {
        if (texts.Count == 0) return;
        var items = s.Items;
        if (items.Count == 0)
        {
            var inside = t.Substring(s.Open + 1, s.Close - s.Open - 1);
            if (inside.Contains('\n') && IsBlank(t, LineStart(t, s.Close), s.Close))
            {
                // empty multi-line list: one item per line, indented one level deeper than the bracket, trailing commas
                var indent = IndentAt(t, s.Close) + "    ";
                edits.Add(new TextEdit(LineStart(t, s.Close), LineStart(t, s.Close),
                    string.Concat(texts.Select(x => indent + x + "," + nl))));
            }
            else if (IsBlank(t, s.Open + 1, s.Close))
            {
                var joined = string.Join(", ", texts);
                edits.Add(new TextEdit(s.Open + 1, s.Close, s.IsInlineTable ? " " + joined + " " : joined));
            }
            else
            {
                // only comments inside: put the items before the closing bracket
                edits.Add(new TextEdit(s.Close, s.Close, string.Join(", ", texts)));
            }
            return;
        }
        var last = items[^1];
        if (AloneOnLine(t, last))
        {
            var indent = t.Substring(LineStart(t, last.Start), last.Start - LineStart(t, last.Start));
            var trailing = last.Comma >= 0;
            if (!trailing) edits.Add(new TextEdit(last.End, last.End, ","));
            var pos = NextLineStart(t, last.EndWithComma);
            edits.Add(new TextEdit(pos, pos, string.Concat(texts.Select((x, k) =>
                indent + x + (trailing || k < texts.Count - 1 ? "," : "") + nl))));
        }
        else if (last.Comma >= 0)
        {
            edits.Add(new TextEdit(last.Comma + 1, last.Comma + 1, string.Concat(texts.Select(x => " " + x + ","))));
        }
        else
        {
            edits.Add(new TextEdit(last.End, last.End, string.Concat(texts.Select(x => ", " + x))));
        }
    }
}
