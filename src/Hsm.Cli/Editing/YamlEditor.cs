using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace Hsm.Cli.Editing;

/// <summary>A value to write: a string, a <see cref="YList"/>, a <see cref="YMap"/>, or <see cref="YFlow"/> (forced flow style).</summary>
public sealed class YList : List<object> { public YList() { } public YList(IEnumerable<object> items) : base(items) { } }
public sealed class YMap : List<KeyValuePair<string, object>>
{
    public void Add(string key, object value) => Add(new KeyValuePair<string, object>(key, value));
}
public sealed record YFlow(object Value);
/// <summary>No value: `key:` (YAML null).</summary>
public sealed class YNull { public static readonly YNull Instance = new(); private YNull() { } }
/// <summary>A map value written with comment lines above its key (a registry group's `comment`).</summary>
public sealed record YCommented(string? Comment, object Value);

/// <summary>An edit that cannot be made as a splice of this file (the caller reports it as HSM8003).</summary>
public sealed class EditException : Exception
{
    public int Position { get; }
    public EditException(string message, int position = 0) : base(message) => Position = position;
}

/// <summary>
/// Text splices of a YAML file at the positions its parser reports — never a re-serialisation. New
/// entries take the file's own indentation, list style (flow lists stay flow) and line endings; each
/// insertion has an exact inverse (the removal of the same entry gives back the original bytes).
/// </summary>
public sealed class YamlEditor
{
    private static readonly Regex YamlLineBreak = new("\r\n|[\r\n\u0085\u2028\u2029]", RegexOptions.CultureInvariant);

    /// <summary>
    /// The `# …` lines of a registry group's comment as hsm writes them above the group (and finds them again to remove
    /// them). The comment is a registry file's text (a pull request's): every line break YAML knows ends a comment line
    /// (a bare '\r' or U+2028 would otherwise start a line of YAML), and control characters are made visible.
    /// </summary>
    private static string[] CommentLines(string? comment) => string.IsNullOrWhiteSpace(comment)
        ? []
        : YamlLineBreak.Split(comment.Trim()).Select(l => "# " + Hsm.Diagnostics.Printable.Text(l.Trim())).ToArray();

    private readonly YamlText _doc;
    public int IndentUnit { get; }
    /// <summary>Column of a block list's '-' relative to its key (0 for "indentless" lists).</summary>
    public int SeqOffset { get; }
    public bool PreferFlowLists { get; set; }

    public YamlEditor(YamlText doc)
    {
        _doc = doc;
        (IndentUnit, SeqOffset, PreferFlowLists) = doc.Style ??= DetectStyle(doc); // once per text: a batch makes many editors of one text
    }

    private string Text => _doc.Text;
    private string Nl => _doc.Newline;

    private YamlText Splice(int start, int length, string insert) =>
        _doc.With(string.Concat(Text.AsSpan(0, start), insert, Text.AsSpan(start + length)));

    // ---- style detection ----

    private static (int Unit, int SeqOffset, bool FlowLists) DetectStyle(YamlText doc)
    {
        int unit = 0, seqOffset = -1, flow = 0, block = 0;
        void Walk(PNode n, int parentKeyCol)
        {
            switch (n)
            {
                case PMap m:
                    foreach (var e in m.Entries)
                    {
                        int col = doc.Column(e.Key.Start);
                        if (e.Value is PMap { Flow: false, Entries.Count: > 0 } child && unit == 0 && !m.Flow)
                        {
                            int d = doc.Column(child.Entries[0].Key.Start) - col;
                            if (d > 0) unit = d;
                        }
                        if (e.Value is PSeq s && s.Items.Count > 0 && !m.Flow)
                        {
                            if (s.Flow) flow++;
                            else
                            {
                                block++;
                                if (seqOffset < 0) seqOffset = Math.Max(0, DashColumn(doc, s.Items[0]) - col);
                            }
                        }
                        Walk(e.Value, col);
                    }
                    break;
                case PSeq seq:
                    foreach (var i in seq.Items) Walk(i, parentKeyCol);
                    break;
            }
        }
        if (doc.Root != null) Walk(doc.Root, 0);
        if (unit == 0) unit = 2;
        if (seqOffset < 0) seqOffset = unit;
        return (unit, seqOffset, flow > block);
    }

    private static int DashColumn(YamlText doc, PNode item)
    {
        int i = item.Start - 1;
        while (i >= 0 && doc.Text[i] == ' ') i--;
        return i >= 0 && doc.Text[i] == '-' ? doc.Column(i) : doc.Column(item.Start);
    }

    // ---- rendering ----

    private static readonly Regex PlainSafe = new(@"^[A-Za-z0-9_./][A-Za-z0-9_./+=<>!~@() -]*$", RegexOptions.CultureInvariant);
    private static readonly Regex PlainKey = new(@"^[A-Za-z0-9_./][A-Za-z0-9_./+=<>!~@()-]*(:[A-Za-z0-9_./+=<>!~@()-]+)*$", RegexOptions.CultureInvariant);
    private static readonly Regex Special = new(@"^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|no|No|on|On|off|Off|[-+]?[0-9_]+|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+|\.inf|\.nan)$", RegexOptions.CultureInvariant);

    /// <summary>
    /// A scalar as YAML: plain when that reads back as the same string, else double-quoted with the one
    /// escaping rule of the generated files (<see cref="Hsm.Compose.YamlEmitter.Quote"/>).
    /// </summary>
    public static string Scalar(string value) =>
        value.Length > 0 && PlainSafe.IsMatch(value) && !value.EndsWith(' ') && !Special.IsMatch(value) ? value : Hsm.Compose.YamlEmitter.Quote(value);

    /// <summary>A key of a block map: also plain when it holds ':' not followed by a space (service:qdrant).</summary>
    public static string Key(string key) => PlainKey.IsMatch(key) && !Special.IsMatch(key) ? key : Scalar(key);

    private static string ScalarLike(string value, PScalar? like)
    {
        if (like is { Style: ScalarStyle.SingleQuoted }) return "'" + value.Replace("'", "''") + "'";
        if (like is { Style: ScalarStyle.DoubleQuoted } && !value.Contains('"') && !value.Contains('\\')) return "\"" + value + "\"";
        return Scalar(value);
    }

    /// <summary>A value in flow style (one line).</summary>
    public static string Inline(object value) => value switch
    {
        string s => Scalar(s),
        YFlow f => Inline(f.Value),
        YNull => "null",
        YCommented c => Inline(c.Value),
        YList l => "[" + string.Join(", ", l.Select(Inline)) + "]",
        YMap m => m.Count == 0 ? "{}" : "{ " + string.Join(", ", m.Select(kv => Scalar(kv.Key) + ": " + Inline(kv.Value))) + " }",
        _ => throw new ArgumentException("Unsupported value " + value.GetType().Name),
    };

    private static string Pad(int n) => new(' ', n);

    /// <summary>The lines of `key: value` at column <paramref name="col"/>, each followed by a line break.</summary>
    private string EntryLines(string key, object value, int col, string? comment)
    {
        var sb = new StringBuilder();
        if (!string.IsNullOrWhiteSpace(comment))
            foreach (var line in comment.Trim().Split('\n'))
                sb.Append(Pad(col)).Append("# ").Append(line.TrimEnd('\r').Trim()).Append(Nl);
        sb.Append(Pad(col)).Append(Key(key)).Append(':').Append(ValueAfterKey(value, col)).Append(Nl);
        return sb.ToString();
    }

    /// <summary>What follows `key:` for a block entry at column <paramref name="col"/> (no final line break).</summary>
    private string ValueAfterKey(object value, int col)
    {
        switch (value)
        {
            case YList l when !PreferFlowLists && l.Count > 0:
            {
                var sb = new StringBuilder();
                foreach (var item in l) sb.Append(Nl).Append(Pad(col + SeqOffset)).Append("- ").Append(Inline(item));
                return sb.ToString();
            }
            case YMap m when m.Count > 0:
            {
                var sb = new StringBuilder();
                foreach (var (k, v) in m)
                {
                    var inner = v;
                    if (v is YCommented c)
                    {
                        inner = c.Value;
                        foreach (var line in CommentLines(c.Comment))
                            sb.Append(Nl).Append(Pad(col + IndentUnit)).Append(line);
                    }
                    sb.Append(Nl).Append(Pad(col + IndentUnit)).Append(Key(k)).Append(':').Append(ValueAfterKey(inner, col + IndentUnit));
                }
                return sb.ToString();
            }
            case YNull:
                return "";
            default:
                return " " + Inline(value);
        }
    }

    // ---- edits ----

    /// <summary>
    /// The value of <paramref name="entry"/>, a block list, becomes the empty flow list <c>[]</c> (its last item removed:
    /// `selection:` with nothing selected, not the default the missing key would mean).
    /// </summary>
    public YamlText EmptyBlockList(PEntry entry)
    {
        if (entry.Value is not PSeq { Flow: false } seq) throw new EditException("Not a block list.", entry.Value.Start);
        int afterColon = AfterColon(entry.Key.End);
        int end = _doc.LineEndAfter(seq.Items.Count > 0 && seq.Items[^1] is PMap { Flow: false } m ? m.End : seq.End);
        return Splice(afterColon, end - afterColon, end == Text.Length && !_doc.EndsWithNewline ? " []" : " []" + Nl);
    }

    /// <summary>Replaces a scalar (keeping its quoting style) or any node by the flow rendering of <paramref name="value"/>.</summary>
    public YamlText Replace(PNode node, object value)
    {
        if (node is PScalar { IsEmpty: true }) throw new EditException("Cannot replace an empty value in place.", node.Start);
        var text = value is string s ? ScalarLike(s, node as PScalar) : Inline(value);
        if (node is not PScalar && !node.Flow) throw new EditException("Replacing a block collection is not a splice.", node.Start);
        return Splice(node.Start, node.End - node.Start, text);
    }

    /// <summary>Sets map[key]: replaces a scalar value; fills a null value; inserts a missing entry (after the last one, or before <paramref name="before"/> keys).</summary>
    public YamlText Set(PMap map, string key, object value, string? comment = null, params string[] before)
    {
        var e = map.Get(key);
        if (e is null) return Insert(map, key, value, comment, before);
        if (e.Value is PScalar ps && ps.IsNull) return FillNull(map, e, value);
        if (e.Value is PScalar || e.Value.Flow) return Replace(e.Value, value);
        throw new EditException($"'{key}' holds a block {(e.Value is PSeq ? "list" : "map")}; it is not replaced as a whole.", e.Key.Start);
    }

    /// <summary>Gives an entry whose value is null (`key:`, `key: ~`) a value.</summary>
    public YamlText FillNull(PMap map, PEntry e, object value)
    {
        int afterColon = AfterColon(e.Key.End);
        int end = e.Value is PScalar { IsEmpty: true } ? afterColon : e.Value.End;
        string text = map.Flow ? " " + Inline(value) : ValueAfterKey(value, _doc.Column(e.Key.Start));
        return Splice(afterColon, end - afterColon, text);
    }

    private int AfterColon(int keyEnd)
    {
        int i = keyEnd;
        while (i < Text.Length && Text[i] != ':') i++;
        return Math.Min(i + 1, Text.Length);
    }

    /// <summary>Inserts a new entry into a map in the map's own style.</summary>
    public YamlText Insert(PMap map, string key, object value, string? comment = null, params string[] before)
    {
        if (map.Flow)
        {
            var entry = Scalar(key) + ": " + Inline(value);
            if (map.Entries.Count == 0) return Splice(map.Start + 1, map.End - 1 - (map.Start + 1), entry);
            return Splice(map.Entries[^1].End, 0, ", " + entry);
        }
        if (map.Entries.Count == 0) throw new EditException("Cannot insert into an empty block map.", map.Start);
        int col = _doc.Column(map.Entries[0].Key.Start);
        if (!_doc.OnlySpacesBefore(map.Entries[0].Key.Start) && map.Entries.Count > 0)
        {
            // A map that starts after "- " (a compact map in a list): its column is its first key's.
            col = _doc.Column(map.Entries[0].Key.Start);
        }
        var lines = EntryLines(key, value, col, comment);
        var next = map.Entries.FirstOrDefault(x => before.Contains(x.Key.Value));
        if (next != null && _doc.OnlySpacesBefore(next.Key.Start))
        {
            int at = CommentBlockStart(_doc.LineStart(next.Key.Start));
            return Splice(at, 0, lines);
        }
        int pos = _doc.LineEndAfter(map.End);
        if (pos == Text.Length && !_doc.EndsWithNewline)
            return Splice(pos, 0, Nl + lines[..^Nl.Length]);
        return Splice(pos, 0, lines);
    }

    /// <summary>The start of the comment lines directly above the line starting at <paramref name="lineStart"/>.</summary>
    private int CommentBlockStart(int lineStart)
    {
        int at = lineStart;
        while (at > 0)
        {
            int prev = _doc.LineStart(at - 1);
            var line = Text[prev..at].Trim();
            if (!line.StartsWith('#')) break;
            at = prev;
        }
        return at;
    }

    /// <summary>Removes map[key] (its lines in a block map, with a comment line above it equal to <paramref name="comment"/>).</summary>
    public YamlText Remove(PMap map, string key, string? comment = null)
    {
        int i = map.Entries.FindIndex(x => x.Key.Value == key);
        if (i < 0) throw new EditException($"'{key}' is not in this map.", map.Start);
        var e = map.Entries[i];
        if (map.Flow) return RemoveFlow(map.Start, map.End, map.Entries.Select(x => (x.Key.Start, x.End)).ToList(), i);
        if (!_doc.OnlySpacesBefore(e.Key.Start))
        {
            if (i == 0) throw new EditException($"'{key}' shares its line with the list item that holds it; edit it by hand.", e.Key.Start);
            return Splice(map.Entries[i - 1].End, e.End - map.Entries[i - 1].End, "");
        }
        int start = _doc.LineStart(e.Key.Start);
        if (!string.IsNullOrWhiteSpace(comment))
        {
            var lines = CommentLines(comment);
            int at = start;
            bool all = true;
            for (int k = lines.Length - 1; k >= 0; k--)
            {
                if (at == 0) { all = false; break; }
                int prev = _doc.LineStart(at - 1);
                if (Text[prev..at].Trim() != lines[k]) { all = false; break; }
                at = prev;
            }
            if (all) start = at;
        }
        return RemoveLines(start, _doc.LineEndAfter(e.End));
    }

    private YamlText RemoveLines(int start, int end)
    {
        if (end == Text.Length && !_doc.EndsWithNewline && start > 0)
        {
            // The last line of a file without a final line break: take the break before it instead.
            int nl = start - 1;
            if (nl > 0 && Text[nl - 1] == '\r') nl--;
            return Splice(nl, end - nl, "");
        }
        return Splice(start, end - start, "");
    }

    private YamlText RemoveFlow(int open, int end, List<(int Start, int End)> items, int i)
    {
        if (i > 0) return Splice(items[i - 1].End, items[i].End - items[i - 1].End, "");
        if (items.Count > 1) return Splice(items[0].Start, items[1].Start - items[0].Start, "");
        // The only item: the collection becomes [] / {}.
        return Splice(open + 1, end - 1 - (open + 1), "");
    }

    /// <summary>Appends an item to a list in its own style.</summary>
    public YamlText Append(PSeq seq, object value)
    {
        if (seq.Flow)
        {
            if (seq.Items.Count == 0) return Splice(seq.Start + 1, seq.End - 1 - (seq.Start + 1), Inline(value));
            return Splice(seq.Items[^1].End, 0, ", " + Inline(value));
        }
        if (seq.Items.Count == 0) throw new EditException("Cannot append to an empty block list.", seq.Start);
        var first = seq.Items[0];
        int dash = DashColumn(_doc, first);
        int gap = Math.Max(1, _doc.Column(first.Start) - dash - 1);
        if (!_doc.OnlySpacesBefore(dash + _doc.LineStart(first.Start)))
            throw new EditException("This list shares its first line with another node; edit it by hand.", first.Start);
        var line = Pad(dash) + "-" + Pad(gap) + Inline(value);
        int pos = _doc.LineEndAfter(seq.End);
        if (pos == Text.Length && !_doc.EndsWithNewline) return Splice(pos, 0, Nl + line);
        return Splice(pos, 0, line + Nl);
    }

    /// <summary>Removes a list item (its lines in a block list).</summary>
    public YamlText RemoveAt(PSeq seq, int index)
    {
        var item = seq.Items[index];
        if (seq.Flow) return RemoveFlow(seq.Start, seq.End, seq.Items.Select(x => (x.Start, x.End)).ToList(), index);
        int dashPos = _doc.LineStart(item.Start) + DashColumn(_doc, item);
        if (!_doc.OnlySpacesBefore(dashPos)) throw new EditException("This list item shares its line with another node; edit it by hand.", item.Start);
        int end = item is PMap { Flow: false } m ? m.End : item.End;
        return RemoveLines(_doc.LineStart(item.Start), _doc.LineEndAfter(end));
    }
}
