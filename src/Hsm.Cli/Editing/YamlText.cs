using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Hsm.Cli.Editing;

/// <summary>A node of a YAML file with the character range the parser reported (End exclusive).</summary>
public abstract class PNode
{
    public int Start { get; init; }
    public int End { get; set; }
    public bool Flow { get; init; }
}

public sealed class PScalar : PNode
{
    public string Value { get; init; } = "";
    public ScalarStyle Style { get; init; }
    /// <summary>A plain empty scalar (`key:` with nothing after it): its marks are not where the text is.</summary>
    public bool IsEmpty => Style == ScalarStyle.Plain && Value.Length == 0;
    public bool IsNull => Style == ScalarStyle.Plain && Value is "" or "~" or "null" or "Null" or "NULL";
}

public sealed class PSeq : PNode
{
    public List<PNode> Items { get; } = new();
}

public sealed class PMap : PNode
{
    public List<PEntry> Entries { get; } = new();
    public PEntry? Get(string key) => Entries.FirstOrDefault(e => e.Key.Value == key);
}

public sealed class PEntry
{
    public PScalar Key { get; init; } = null!;
    public PNode Value { get; init; } = null!;
    /// <summary>End of the entry's text: the value's end, or just after the ':' when the value is empty.</summary>
    public int End { get; set; }
}

/// <summary>
/// The text of a YAML file and the positions of its nodes, as YamlDotNet's parser reports them. Edits
/// (<see cref="YamlEditor"/>) are splices of this text; the byte-order mark and the line ending style
/// are kept.
/// </summary>
public sealed class YamlText
{
    public string Text { get; }
    public bool Bom { get; }
    public string Newline { get; }
    /// <summary>The parsed tree, made on first use: a text that is only spliced again (a batch of edits) is never parsed.</summary>
    public PNode? Root => _parsed ? _root : ParseOnce();
    private PNode? _root;
    private bool _parsed;

    /// <summary>The indentation style <see cref="YamlEditor"/> detected in this text (cached: it walks the whole tree).</summary>
    internal (int Unit, int SeqOffset, bool FlowLists)? Style { get; set; }

    public YamlText(string text, bool bom = false)
    {
        Text = text;
        Bom = bom;
        Newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
    }

    private PNode? ParseOnce()
    {
        _root = Parse(Text);
        _parsed = true;
        return _root;
    }

    /// <summary>How many characters at the end of a and b are equal (at most <paramref name="max"/>), compared in
    /// vectorised blocks: the edits of a batch are spread over the whole file.</summary>
    private static int CommonSuffixLength(ReadOnlySpan<char> a, ReadOnlySpan<char> b, int max)
    {
        const int Block = 64;
        int s = 0;
        while (s + Block <= max && a.Slice(a.Length - s - Block, Block).SequenceEqual(b.Slice(b.Length - s - Block, Block))) s += Block;
        while (s < max && a[a.Length - s - 1] == b[b.Length - s - 1]) s++;
        return s;
    }

    /// <summary>
    /// Several edits of this text made independently (each a splice of this text, found as the one changed span
    /// between this text and the edit's result), applied together: one text, no parse in between. Null when two
    /// of them touch the same span (the caller then applies them one after another).
    /// </summary>
    public YamlText? WithAll(IEnumerable<YamlText> edits)
    {
        var splices = new List<(int Start, int Length, string Insert)>();
        foreach (var e in edits)
        {
            if (e.Text == Text) continue;
            int max = Math.Min(Text.Length, e.Text.Length);
            int pre = Text.AsSpan().CommonPrefixLength(e.Text);
            int suf = CommonSuffixLength(Text, e.Text, max - pre);
            splices.Add((pre, Text.Length - pre - suf, e.Text.Substring(pre, e.Text.Length - pre - suf)));
        }
        splices.Sort((a, b) => a.Start.CompareTo(b.Start));
        for (int i = 1; i < splices.Count; i++)
            if (splices[i].Start <= splices[i - 1].Start + splices[i - 1].Length) return null; // touching or overlapping: ambiguous
        var sb = new StringBuilder(Text.Length + splices.Sum(s => s.Insert.Length - s.Length));
        int at = 0;
        foreach (var (start, length, insert) in splices)
        {
            sb.Append(Text, at, start - at).Append(insert);
            at = start + length;
        }
        sb.Append(Text, at, Text.Length - at);
        return With(sb.ToString());
    }

    public static YamlText FromBytes(byte[] bytes)
    {
        bool bom = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF;
        var text = new UTF8Encoding(false, true).GetString(bytes, bom ? 3 : 0, bytes.Length - (bom ? 3 : 0));
        return new YamlText(text, bom);
    }

    public byte[] ToBytes() => ToBytes(Text, Bom);

    public static byte[] ToBytes(string text, bool bom)
    {
        var body = Encoding.UTF8.GetBytes(text);
        if (!bom) return body;
        var all = new byte[body.Length + 3];
        all[0] = 0xEF; all[1] = 0xBB; all[2] = 0xBF;
        body.CopyTo(all, 3);
        return all;
    }

    public YamlText With(string text) => new(text, Bom);

    // ---- line helpers ----

    /// <summary>Start of the line holding <paramref name="pos"/>.</summary>
    public int LineStart(int pos)
    {
        int i = Math.Min(pos, Text.Length);
        while (i > 0 && Text[i - 1] != '\n') i--;
        return i;
    }

    /// <summary>The position after the line break of the line in which a node ending at <paramref name="end"/> ends (text length at EOF).</summary>
    public int LineEndAfter(int end)
    {
        if (end > 0 && end <= Text.Length && Text[end - 1] == '\n') return end;
        int i = end;
        while (i < Text.Length && Text[i] != '\n') i++;
        return i < Text.Length ? i + 1 : i;
    }

    public int Column(int pos) => pos - LineStart(pos);

    public bool OnlySpacesBefore(int pos)
    {
        for (int i = LineStart(pos); i < pos; i++) if (Text[i] != ' ' && Text[i] != '\t') return false;
        return true;
    }

    public bool EndsWithNewline => Text.Length > 0 && Text[^1] == '\n';

    // ---- parsing ----

    private static PNode? Parse(string text)
    {
        var parser = new Parser(new StringReader(text));
        parser.Consume<StreamStart>();
        if (parser.Accept<StreamEnd>(out _)) return null;
        parser.Consume<DocumentStart>();
        if (parser.Accept<DocumentEnd>(out _)) return null;
        var root = Read(parser, text);
        return root;
    }

    private static PNode Read(IParser parser, string text)
    {
        var ev = parser.Current!;
        parser.MoveNext();
        switch (ev)
        {
            case Scalar s:
            {
                int start = (int)s.Start.Index, end = (int)s.End.Index;
                // A block scalar (| or >) ends after its line break(s); keep the end on its last content line.
                if (s.Style is ScalarStyle.Literal or ScalarStyle.Folded)
                    while (end > start && (text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == ' ')) end--;
                return new PScalar { Start = start, End = end, Value = s.Value, Style = s.Style };
            }
            case AnchorAlias a:
                return new PScalar { Start = (int)a.Start.Index, End = (int)a.End.Index, Value = "*" + a.Value.Value, Style = ScalarStyle.Plain };
            case SequenceStart ss:
            {
                bool flow = ss.Style == SequenceStyle.Flow;
                var seq = new PSeq { Start = (int)ss.Start.Index, Flow = flow };
                while (!parser.Accept<SequenceEnd>(out var end))
                    seq.Items.Add(Read(parser, text));
                var se = parser.Consume<SequenceEnd>();
                seq.End = flow ? (int)se.Start.Index + 1 : seq.Items.Count > 0 ? seq.Items.Max(NodeEnd) : seq.Start;
                return seq;
            }
            case MappingStart ms:
            {
                bool flow = ms.Style == MappingStyle.Flow;
                var map = new PMap { Start = (int)ms.Start.Index, Flow = flow };
                while (!parser.Accept<MappingEnd>(out _))
                {
                    var keyNode = Read(parser, text);
                    var value = Read(parser, text);
                    var key = keyNode as PScalar ?? new PScalar { Start = keyNode.Start, End = keyNode.End, Value = "" };
                    var entry = new PEntry { Key = key, Value = value };
                    entry.End = value is PScalar { IsEmpty: true } ? AfterColon(text, key.End) : NodeEnd(value);
                    map.Entries.Add(entry);
                }
                var me = parser.Consume<MappingEnd>();
                map.End = flow ? (int)me.Start.Index + 1 : map.Entries.Count > 0 ? map.Entries.Max(e => e.End) : map.Start;
                return map;
            }
            default:
                throw new YamlException(ev.Start, ev.End, $"Unexpected YAML event {ev.GetType().Name}.");
        }
    }

    private static int NodeEnd(PNode n) => n is PScalar { IsEmpty: true } ? n.Start : n.End;

    private static int AfterColon(string text, int keyEnd)
    {
        int i = keyEnd;
        while (i < text.Length && text[i] != ':' && text[i] != '\n') i++;
        return i < text.Length && text[i] == ':' ? i + 1 : keyEnd;
    }
}
