using Hsm.Registry;
using Tomlyn.Syntax;
using static Hsm.Python.TomlText;

namespace Hsm.Python;

/// <summary>An item of an array or inline table: [Start, End) of its text and the offset of its comma (-1 if none).</summary>
internal readonly record struct ListItem(int Start, int End, int Comma)
{
    public int EndWithComma => Comma >= 0 ? Comma + 1 : End;
}

/// <summary>The shape of an array or inline table: offsets of its brackets and of its items.</summary>
internal sealed class ListShape
{
    public int Open;   // offset of '[' or '{'
    public int Close;  // offset of ']' or '}'
    public bool IsInlineTable;
    public List<ListItem> Items = new();

    public static ListShape Of(ArraySyntax a)
    {
        var s = new ListShape { Open = Start(a.OpenBracket!), Close = Start(a.CloseBracket!) };
        if (a.Items != null)
            foreach (var it in a.Items)
                s.Items.Add(new ListItem(Start(it.Value!), End(it.Value!), it.Comma != null ? Start(it.Comma) : -1));
        return s;
    }

    public static ListShape Of(InlineTableSyntax t)
    {
        var s = new ListShape { Open = Start(t.OpenBrace!), Close = Start(t.CloseBrace!), IsInlineTable = true };
        if (t.Items != null)
            foreach (var it in t.Items)
                s.Items.Add(new ListItem(Start(it.KeyValue!.Key!), End(it.KeyValue.Value!), it.Comma != null ? Start(it.Comma) : -1));
        return s;
    }
}

/// <summary>A dependency string of [project].dependencies.</summary>
internal sealed class DepItem
{
    public int Index;
    public string? Value;       // decoded string, null when the item is not a string
    public string? Norm;        // PEP 503 name, null when none
    public TokenKind Style;
    public int Line, Column;    // 1-based
}

internal enum SourceKind { Line, Inline }

/// <summary>An entry of [tool.uv.sources] in any of its spellings.</summary>
internal sealed class SourceEntry
{
    public string Key = "";
    public string Norm = "";
    public KeyValueSyntax Kv = null!;
    public SourceKind Kind;
    public int ItemIndex;       // Inline: index in the inline table
    public int Line, Column;
    public int ValueStart => Start(Kv.Value!);
    public int ValueEnd => End(Kv.Value!);
}

/// <summary>What the editor needs to know about one parse of pyproject.toml.</summary>
internal sealed class PyProjectScan
{
    public string Text = "";
    public DocumentSyntax Doc = null!;
    public TableSyntax? ProjectTable;
    public bool RootDottedProject;
    public KeyValueSyntax? InlineProjectKv;      // project = { ... } (not editable)
    public KeyValueSyntax? LastProjectKv;         // last key of [project] (table or root dotted keys)
    public KeyValueSyntax? DepsKv;
    public KeyValueSyntax? DynamicKv;
    public TableSyntax? SourcesTable;
    public KeyValueSyntax? SourcesInlineKv;
    public KeyValueSyntax? LastDottedSourceKv;
    public List<SourceEntry> Sources = new();
    public List<DepItem> Deps = new();
    public ListShape? DepsShape;

    public ArraySyntax? DepsArray => DepsKv?.Value as ArraySyntax;
    public InlineTableSyntax? SourcesInline => SourcesInlineKv?.Value as InlineTableSyntax;

    /// <summary>
    /// The syntax tree of a TOML text; its Diagnostics hold every problem. Past its nesting limit (64 arrays or
    /// inline tables) Tomlyn throws instead of reporting: that (or any TomlException) becomes an error of the tree
    /// like any syntax error.
    /// </summary>
    public static DocumentSyntax Parse(string text, string label)
    {
        try { return Tomlyn.Parsing.SyntaxParser.Parse(text, label); }
        catch (Tomlyn.TomlException e)
        {
            var doc = new DocumentSyntax();
            var at = new Tomlyn.Syntax.TextPosition(e.Offset ?? 0, Math.Max(0, (e.Line ?? 1) - 1), Math.Max(0, (e.Column ?? 1) - 1));
            doc.Diagnostics.Error(new Tomlyn.Syntax.SourceSpan(label, at, at), e.Message.Contains("maximum depth", StringComparison.OrdinalIgnoreCase)
                ? "values are nested deeper than 64 levels (arrays and inline tables)" : e.Message);
            return doc;
        }
    }

    public static List<string> KeyPath(KeySyntax? k)
    {
        var list = new List<string>();
        if (k == null) return list;
        list.Add(KeyPart(k.Key));
        if (k.DotKeys != null) foreach (var d in k.DotKeys) list.Add(KeyPart(d.Key));
        return list;
    }

    static string KeyPart(BareKeyOrStringValueSyntax? s) => s switch
    {
        BareKeySyntax b => b.Key?.Text ?? "",
        StringValueSyntax sv => sv.Value ?? "",
        _ => "",
    };

    // Loops, not LINQ: called several times for every key of every parse of the file.
    static bool Is(List<string> path, params string[] expected) => path.Count == expected.Length && StartsWith(path, expected);

    static bool StartsWith(List<string> path, params string[] prefix)
    {
        if (path.Count < prefix.Length) return false;
        for (int i = 0; i < prefix.Length; i++) if (path[i] != prefix[i]) return false;
        return true;
    }

    public static PyProjectScan Scan(string text, DocumentSyntax doc)
    {
        var s = new PyProjectScan { Text = text, Doc = doc };
        if (doc.KeyValues != null) s.Visit(doc.KeyValues, new List<string>(), null);
        if (doc.Tables != null)
            foreach (var tb in doc.Tables)
            {
                if (tb is not TableSyntax table) continue; // [[array.of.tables]] never hold what we manage
                var path = KeyPath(table.Name);
                if (Is(path, "project")) s.ProjectTable = table;
                if (Is(path, "tool", "uv", "sources")) s.SourcesTable ??= table;
                if (table.Items != null) s.Visit(table.Items, path, table);
            }
        if (s.DepsArray is { } arr)
        {
            s.DepsShape = ListShape.Of(arr);
            var i = 0;
            foreach (var it in arr.Items!)
            {
                var d = new DepItem { Index = i++, Line = it.Value!.Span.Start.Line + 1, Column = it.Value.Span.Start.Column + 1 };
                if (it.Value is StringValueSyntax sv && sv.Value != null)
                {
                    d.Value = sv.Value;
                    d.Style = sv.Token?.TokenKind ?? TokenKind.String;
                    var name = Grammars.RequirementName(sv.Value);
                    d.Norm = name == null ? null : Requirements.NormalizeName(name);
                }
                s.Deps.Add(d);
            }
        }
        return s;
    }

    void Visit(IEnumerable<KeyValueSyntax> kvs, List<string> prefix, TableSyntax? table)
    {
        foreach (var kv in kvs)
        {
            var own = KeyPath(kv.Key);
            var path = new List<string>(prefix.Count + own.Count);
            path.AddRange(prefix);
            path.AddRange(own);
            if (table == null && path.Count > 1 && path[0] == "project") { RootDottedProject = true; LastProjectKv = kv; }
            if (table != null && table == ProjectTable) LastProjectKv = kv;
            if (Is(path, "project")) InlineProjectKv = kv;
            if (Is(path, "project", "dependencies")) DepsKv = kv;
            if (Is(path, "project", "dynamic")) DynamicKv = kv;
            if (path.Count == 4 && StartsWith(path, "tool", "uv", "sources"))
            {
                AddSource(path[3], kv, SourceKind.Line, 0);
                if (table == null || table != SourcesTable) LastDottedSourceKv = kv;
            }
            if (Is(path, "tool", "uv", "sources") && kv.Value is InlineTableSyntax inline && SourcesInlineKv == null)
            {
                SourcesInlineKv = kv;
                var i = 0;
                if (inline.Items != null)
                    foreach (var item in inline.Items)
                    {
                        var p = KeyPath(item.KeyValue?.Key);
                        if (p.Count == 1 && item.KeyValue!.Value != null) AddSource(p[0], item.KeyValue, SourceKind.Inline, i);
                        i++;
                    }
            }
        }
    }

    void AddSource(string key, KeyValueSyntax kv, SourceKind kind, int index)
    {
        if (kv.Value == null) return;
        Sources.Add(new SourceEntry
        {
            Key = key, Norm = Requirements.NormalizeName(key), Kv = kv, Kind = kind, ItemIndex = index,
            Line = kv.Span.Start.Line + 1, Column = kv.Span.Start.Column + 1,
        });
    }

    private Dictionary<string, SourceEntry>? _sourceByNorm;

    /// <summary>The first source entry of a PEP 503 name (one lookup, not a scan per name: the editor asks once per wanted library).</summary>
    public SourceEntry? FindSource(string norm)
    {
        if (_sourceByNorm is null)
        {
            _sourceByNorm = new Dictionary<string, SourceEntry>(Sources.Count, StringComparer.Ordinal);
            foreach (var e in Sources) _sourceByNorm.TryAdd(e.Norm, e);
        }
        return _sourceByNorm.TryGetValue(norm, out var found) ? found : null;
    }
    public bool HasSourcesContainer => SourcesTable != null || SourcesInlineKv != null || LastDottedSourceKv != null;
}
