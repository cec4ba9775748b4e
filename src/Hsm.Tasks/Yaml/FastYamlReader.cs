namespace Hsm.Yaml;

/// <summary>
/// The fast path of <see cref="SafeYamlLoader"/> (issue 16): a hand-written reader for the block-YAML subset
/// that registry files, hsm.yaml and hsm.lock use, building the same <see cref="YNode"/> tree as the
/// YamlDotNet path (same values, styles, positions and entry order) without a token or event object per node.
/// <para>
/// The subset: block mappings and sequences (compact <c>- key: v</c> maps, indentless sequences under a key),
/// single-line plain scalars, single-line single-quoted scalars, single-line double-quoted scalars whose only
/// escapes are <c>\\ \" \/ \n \t \r</c>, flow sequences and maps that open and close on one line (of plain
/// scalars of ordinary characters, quoted scalars and nested flow collections, no trailing comma), comments,
/// blank lines, LF and CRLF. Anything else — a tab, an anchor, alias or tag, a block scalar, a multi-line
/// scalar or flow collection, a directive, <c>---</c> or <c>...</c>, a <c>?</c> key, a merge key, a duplicate
/// key, nesting near the depth limit, a control or unusual character, a plain key with an indicator in it,
/// odd indentation, any syntax error — makes it <b>bail</b> (return false), and the YamlDotNet path reads the
/// text and reports whatever there is to report. This reader never reports a diagnostic. FastYamlTests holds
/// it to YamlDotNet's trees (every YAML text of the repository, generated stacks, random documents, mutations).
/// </para>
/// </summary>
internal sealed class FastYamlReader
{
    private const int MaxKeyLength = 1000; // YamlDotNet's simple keys stop at 1024 characters
    private const int SmallMap = 32; // up to this many keys, duplicates are found by a scan of the entries

    private string _t = "";
    private string _file = "";
    private bool _bail;

    // The current content line (not blank, not a comment): its start, end (before "\r\n" or "\n"),
    // the start of the next line, its 1-based number and its indentation; _eof when there is none.
    private int _ls, _le, _next, _line, _ind;
    private bool _eof;

    // Entries and items are collected in these lists (one per open map or sequence, reused from file to file)
    // and copied into a list of the final size when the map or sequence ends (issue 16: fewer allocations).
    private readonly List<List<KeyValuePair<YScalar, YNode>>> _entryLists = new();
    private readonly List<List<YNode>> _itemLists = new();
    private int _openMaps, _openSequences;

    [ThreadStatic] private static FastYamlReader? _cached;

    private FastYamlReader() { }

    /// <summary>Reads <paramref name="text"/>; false when it is outside the subset (the caller then uses YamlDotNet).</summary>
    public static bool TryRead(string text, string file, out YNode? root)
    {
        root = null;
        if (!AllCharactersSimple(text)) return false;
        var r = _cached ?? new FastYamlReader();
        _cached = null; // not shared while in use
        try
        {
            r._t = text; r._file = file;
            r._bail = false; r._eof = false; r._next = 0; r._line = 0; r._openMaps = 0; r._openSequences = 0;
            r.NextContentLine();
            if (r._bail) return false;
            if (r._eof) return true; // empty, or only comments: null, as YamlDotNet's path returns
            var node = r.ParseBlock(1);
            if (r._bail || node is null || !r._eof) return false;
            root = node;
            return true;
        }
        finally
        {
            foreach (var l in r._entryLists) l.Clear();
            foreach (var l in r._itemLists) l.Clear();
            r._t = ""; r._file = "";
            _cached = r;
        }
    }

    private List<KeyValuePair<YScalar, YNode>> OpenMap()
    {
        if (_openMaps == _entryLists.Count) _entryLists.Add(new());
        return _entryLists[_openMaps++];
    }

    private List<KeyValuePair<YScalar, YNode>> CloseMap(List<KeyValuePair<YScalar, YNode>> scratch)
    {
        _openMaps--;
        var entries = new List<KeyValuePair<YScalar, YNode>>(scratch.Count);
        entries.AddRange(scratch);
        scratch.Clear();
        return entries;
    }

    private List<YNode> OpenSequence()
    {
        if (_openSequences == _itemLists.Count) _itemLists.Add(new());
        return _itemLists[_openSequences++];
    }

    private List<YNode> CloseSequence(List<YNode> scratch)
    {
        _openSequences--;
        var items = new List<YNode>(scratch.Count);
        items.AddRange(scratch);
        scratch.Clear();
        return items;
    }

    /// <summary>True when <paramref name="key"/> is already a key of the map being read (a scan while it is small).</summary>
    private static bool IsDuplicate(List<KeyValuePair<YScalar, YNode>> entries, ref HashSet<string>? seen, string key)
    {
        if (seen is not null) return !seen.Add(key);
        foreach (var e in entries)
            if (string.Equals(e.Key.Value, key, StringComparison.Ordinal)) return true;
        if (entries.Count >= SmallMap)
        {
            seen = new HashSet<string>(entries.Count * 2, StringComparer.Ordinal);
            foreach (var e in entries) seen.Add(e.Key.Value);
            seen.Add(key);
        }
        return false;
    }

    /// <summary>Only LF, CRLF and printable characters whose column YamlDotNet counts as one (no tab, no BOM, no surrogate, no NEL/LS/PS).</summary>
    private static bool AllCharactersSimple(string t)
    {
        for (int i = 0; i < t.Length; i++)
        {
            char c = t[i];
            if (c >= ' ' && c <= '~') continue;
            if (c == '\n') continue;
            if (c == '\r') { if (i + 1 < t.Length && t[i + 1] == '\n') continue; return false; }
            if (c >= '\u00A0' && c <= '\uD7FF' && c != '\u2028' && c != '\u2029') continue;
            if (c >= '\uE000' && c <= '\uFFFD' && c != '\uFEFF') continue;
            return false;
        }
        return true;
    }

    /// <summary>Moves to the next line that holds content; sets _eof at the end of the text.</summary>
    private void NextContentLine()
    {
        while (_next < _t.Length)
        {
            int start = _next;
            int nl = _t.IndexOf('\n', start);
            int end;
            if (nl < 0) { end = _t.Length; _next = _t.Length; }
            else { end = nl; _next = nl + 1; }
            if (end > start && _t[end - 1] == '\r') end--;
            _line++;
            int p = start;
            while (p < end && _t[p] == ' ') p++;
            if (p == end || _t[p] == '#') continue; // blank or comment line
            _ls = start; _le = end; _ind = p - start;
            if (_ind == 0 && end - start >= 3
                && ((_t[p] == '-' && _t[p + 1] == '-' && _t[p + 2] == '-') || (_t[p] == '.' && _t[p + 1] == '.' && _t[p + 2] == '.')))
                _bail = true; // a document marker (or something that looks like one)
            _eof = false;
            return;
        }
        _eof = true;
    }

    /// <summary>True when the current line has "-" followed by a space or the end of the line at column <paramref name="ind"/>.</summary>
    private bool IsEntryAt(int ind)
    {
        int p = _ls + ind;
        return p < _le && _t[p] == '-' && (p + 1 == _le || _t[p + 1] == ' ');
    }

    /// <summary>A block node whose first line is the current one, at its indentation.</summary>
    private YNode? ParseBlock(int depth)
    {
        if (IsEntryAt(_ind)) return ParseSequence(_ind, depth);
        return ParseMapping(_ind, _ls + _ind, depth);
    }

    private YSequence? ParseSequence(int ind, int depth)
    {
        if (depth + 1 >= SafeYamlLoader.MaxDepth) { _bail = true; return null; }
        int seqLine = _line;
        var items = OpenSequence();
        while (true)
        {
            if (!IsEntryAt(ind)) { _bail = true; return null; }
            int dash = _ls + ind;
            int q = dash + 1;
            while (q < _le && _t[q] == ' ') q++;
            YNode? item;
            if (q == _le || _t[q] == '#')
            {
                // "-" alone: the item is on the next lines (more indented), or empty (a null scalar after the "-").
                int line = _line;
                NextContentLine();
                if (_bail) return null;
                if (!_eof && _ind > ind) item = ParseBlock(depth + 1);
                else item = new YScalar { File = _file, Line = line, Column = ind + 2, Value = "", Plain = true };
            }
            else if (_t[q] == '-' && (q + 1 == _le || _t[q + 1] == ' '))
            {
                _bail = true; return null; // "- - x": a compact nested sequence
            }
            else if (IsKeyAt(q))
            {
                item = ParseMapping(q - _ls, q, depth + 1);
            }
            else
            {
                item = ParseInlineValue(q, ind, depth + 1);
                if (item is null) return null;
            }
            if (_bail || item is null) { _bail = true; return null; }
            items.Add(item);
            if (_ind > ind && !_eof) { _bail = true; return null; }
            // An indentless sequence ends at its map's next key; elsewhere the caller bails.
            if (_eof || _ind < ind || !IsEntryAt(ind))
                return new YSequence(CloseSequence(items)) { File = _file, Line = seqLine, Column = ind + 1 };
        }
    }

    /// <summary>A value on its entry's own line; a next line indented deeper than the entry would continue it (bail).</summary>
    private YNode? ParseInlineValue(int q, int ind, int depth)
    {
        var value = ParseValue(q, depth);
        if (value is null) return null;
        NextContentLine();
        if (_bail) return null;
        if (!_eof && _ind > ind) { _bail = true; return null; } // a continuation line
        return value;
    }

    private YMapping? ParseMapping(int ind, int keyPos, int depth)
    {
        if (depth + 1 >= SafeYamlLoader.MaxDepth) { _bail = true; return null; }
        int mapLine = _line;
        var entries = OpenMap();
        HashSet<string>? seen = null;
        while (true)
        {
            var key = ParseKey(keyPos, out int colon);
            if (key is null) { _bail = true; return null; }
            if (key.Plain && key.Value == "<<") { _bail = true; return null; }
            if (IsDuplicate(entries, ref seen, key.Value)) { _bail = true; return null; }
            int q = colon + 1;
            while (q < _le && _t[q] == ' ') q++;
            YNode? value;
            if (q == _le || _t[q] == '#')
            {
                int line = _line, column = colon - _ls + 2; // an empty value sits right after the ':'
                NextContentLine();
                if (_bail) return null;
                if (!_eof && _ind > ind) value = ParseBlock(depth + 1);
                else if (!_eof && _ind == ind && IsEntryAt(ind)) value = ParseSequence(ind, depth + 1); // indentless
                else value = new YScalar { File = _file, Line = line, Column = column, Value = "", Plain = true };
            }
            else
            {
                value = ParseInlineValue(q, ind, depth + 1);
                if (value is null) return null;
            }
            if (_bail || value is null) { _bail = true; return null; }
            entries.Add(new(key, value));
            if (_eof || _ind < ind) return new YMapping(CloseMap(entries)) { File = _file, Line = mapLine, Column = ind + 1 };
            if (_ind > ind || IsEntryAt(ind)) { _bail = true; return null; }
            keyPos = _ls + ind;
        }
    }

    /// <summary>True when a key (a plain or quoted scalar, then ':' and a space or the end of the line) starts at <paramref name="p"/>.</summary>
    private bool IsKeyAt(int p)
    {
        char c = _t[p];
        if (c is '[' or '{') return false; // a flow collection (as a key, ParseValue bails at its ':')
        if (c is '"' or '\'')
        {
            int close = FindClosingQuote(p);
            return close > 0 && close + 1 < _le && _t[close + 1] == ':' && (close + 2 == _le || _t[close + 2] == ' ');
        }
        for (int i = p; i < _le; i++)
        {
            char d = _t[i];
            if (d == ':' && (i + 1 == _le || _t[i + 1] == ' ')) return true;
            if (d == '#' && i > p && _t[i - 1] == ' ') return false;
        }
        return false;
    }

    /// <summary>The key at <paramref name="p"/> on the current line, and the position of its ':'; null to bail.</summary>
    private YScalar? ParseKey(int p, out int colon)
    {
        colon = -1;
        char c = _t[p];
        if (c is '"' or '\'')
        {
            int close = FindClosingQuote(p);
            if (close < 0 || close + 1 >= _le || _t[close + 1] != ':' || (close + 2 < _le && _t[close + 2] != ' ')) return null;
            if (close - p > MaxKeyLength) return null;
            colon = close + 1;
            return new YScalar { File = _file, Line = _line, Column = p - _ls + 1, Value = QuotedValue(p, close), Plain = false };
        }
        if (!IsPlainStart(p)) return null;
        int i = p;
        for (; i < _le; i++)
        {
            char d = _t[i];
            if (d == ':' && (i + 1 == _le || _t[i + 1] == ' ')) break;
            // Only ordinary characters in a plain key: YamlDotNet reads "a *b: c" as one scalar, for one.
            if (!IsOrdinary(d) && d != ':') return null;
        }
        if (i == _le || i - p > MaxKeyLength) return null;
        colon = i;
        int end = i;
        while (end > p && _t[end - 1] == ' ') end--;
        return new YScalar { File = _file, Line = _line, Column = p - _ls + 1, Value = Str(p, end - p), Plain = true };
    }

    /// <summary>A value that fills the rest of the current line (a comment may follow): a scalar, or a flow
    /// collection that closes on this line; null to bail.</summary>
    private YNode? ParseValue(int p, int depth)
    {
        if (_t[p] is not ('[' or '{')) return ParseScalarValue(p, depth);
        int end = p;
        var node = ParseFlow(p, depth, ref end);
        if (node is null) { _bail = true; return null; }
        if (end < _le && _t[end] != ' ') { _bail = true; return null; }
        while (end < _le && _t[end] == ' ') end++;
        if (end < _le && _t[end] != '#') { _bail = true; return null; }
        return node;
    }

    private int SkipSpaces(int i)
    {
        while (i < _le && _t[i] == ' ') i++;
        return i;
    }

    /// <summary>A flow sequence or mapping opening at <paramref name="p"/> and closing on the current line
    /// (<paramref name="end"/>: after its closing bracket); null to bail. Items: plain scalars (without
    /// ':', '#', '?' or brackets), quoted scalars and nested flow collections; no trailing comma, no empty entry,
    /// no single-pair map in a sequence.</summary>
    private YNode? ParseFlow(int p, int depth, ref int end)
    {
        if (depth + 1 >= SafeYamlLoader.MaxDepth || _le - p > MaxKeyLength) return null; // (a key in it could pass YamlDotNet's 1,024-character limit)
        bool isMap = _t[p] == '{';
        char close = isMap ? '}' : ']';
        var items = isMap ? null : OpenSequence();
        var entries = isMap ? OpenMap() : null;
        YNode Finish() => isMap
            ? new YMapping(CloseMap(entries!)) { File = _file, Line = _line, Column = p - _ls + 1 }
            : new YSequence(CloseSequence(items!)) { File = _file, Line = _line, Column = p - _ls + 1 };
        int i = SkipSpaces(p + 1);
        if (i < _le && _t[i] == close) { end = i + 1; return Finish(); }
        while (true)
        {
            if (i >= _le) return null;
            if (isMap)
            {
                var key = FlowScalar(ref i, depth + 1, isKey: true);
                if (key is null || i >= _le || _t[i] != ':' || i + 1 >= _le || _t[i + 1] != ' ') return null;
                if (key.Plain && key.Value == "<<") return null;
                HashSet<string>? seen = null;
                if (IsDuplicate(entries!, ref seen, key.Value) || seen is not null) return null; // (a flow map of 32 keys bails)
                i = SkipSpaces(i + 1);
                if (i >= _le) return null;
                var value = FlowItem(ref i, depth + 1);
                if (value is null) return null;
                entries!.Add(new(key, value));
            }
            else
            {
                var item = FlowItem(ref i, depth + 1);
                if (item is null || (i < _le && _t[i] == ':')) return null;
                items!.Add(item);
            }
            i = SkipSpaces(i);
            if (i >= _le) return null;
            if (_t[i] == close) { end = i + 1; return Finish(); }
            if (_t[i] != ',') return null;
            i = SkipSpaces(i + 1);
            if (i >= _le || _t[i] is ',' or ']' or '}') return null;
        }
    }

    /// <summary>An item of a flow collection at <paramref name="i"/>; <paramref name="i"/> moves past it (and the spaces after it).</summary>
    private YNode? FlowItem(ref int i, int depth)
    {
        if (_t[i] is '[' or '{')
        {
            int end = i;
            var node = ParseFlow(i, depth, ref end);
            i = SkipSpaces(end);
            return node;
        }
        return FlowScalar(ref i, depth, isKey: false);
    }

    /// <summary>A scalar inside a flow collection; <paramref name="i"/> moves past it and the spaces after it.</summary>
    private YScalar? FlowScalar(ref int i, int depth, bool isKey)
    {
        if (depth >= SafeYamlLoader.MaxDepth) return null;
        int p = i;
        char c = _t[p];
        if (c is '"' or '\'')
        {
            int closeQuote = FindClosingQuote(p);
            if (closeQuote < 0) return null;
            i = SkipSpaces(closeQuote + 1);
            return new YScalar { File = _file, Line = _line, Column = p - _ls + 1, Value = QuotedValue(p, closeQuote), Plain = false };
        }
        // A conservative plain scalar: starts with a letter, digit or one of a few safe characters, holds no
        // indicator that could end it or change its meaning in a flow context.
        if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '/' or '$' or '(' or ')' or '=' or '<' or '~' or '^' or '+' or ';' || c >= '\u00A0'
              || (c == '-' && p + 1 < _le && char.IsAsciiLetterOrDigit(_t[p + 1]))))
            return null;
        int j = p;
        for (; j < _le; j++)
        {
            char d = _t[j];
            if (d is ',' or ']' or '}') break;
            if (d != ':' && !IsOrdinary(d)) return null;
            if (d == ':')
            {
                if (j + 1 < _le && _t[j + 1] == ' ') break;
                if (j + 1 < _le && (char.IsAsciiLetterOrDigit(_t[j + 1]) || _t[j + 1] == '/')) continue; // "https://x", "a:1"
                return null;
            }
            if (d is '#' or '?' or '[' or '{' or '"' or '\'') return null;
        }
        int e = j;
        while (e > p && _t[e - 1] == ' ') e--;
        i = SkipSpaces(j);
        return new YScalar { File = _file, Line = _line, Column = p - _ls + 1, Value = Str(p, e - p), Plain = true };
    }

    /// <summary>A scalar value that fills the rest of the current line (a comment may follow); null to bail.</summary>
    private YScalar? ParseScalarValue(int p, int depth)
    {
        if (depth >= SafeYamlLoader.MaxDepth) { _bail = true; return null; }
        char c = _t[p];
        if (c is '"' or '\'')
        {
            int close = FindClosingQuote(p);
            if (close < 0) { _bail = true; return null; }
            int r = close + 1;
            if (r < _le && _t[r] != ' ') { _bail = true; return null; }
            while (r < _le && _t[r] == ' ') r++;
            if (r < _le && _t[r] != '#') { _bail = true; return null; }
            return new YScalar { File = _file, Line = _line, Column = p - _ls + 1, Value = QuotedValue(p, close), Plain = false };
        }
        if (!IsPlainStart(p)) { _bail = true; return null; }
        int i = p;
        for (; i < _le; i++)
        {
            char d = _t[i];
            if (d == ':' && (i + 1 == _le || _t[i + 1] == ' ')) { _bail = true; return null; }
            if (d == '#' && _t[i - 1] == ' ') break;
        }
        int end = i;
        while (end > p && _t[end - 1] == ' ') end--;
        return new YScalar { File = _file, Line = _line, Column = p - _ls + 1, Value = Str(p, end - p), Plain = true };
    }

    /// <summary>A character that means nothing to YAML inside a plain key or a flow scalar (letters, digits, space and a few more).</summary>
    private static bool IsOrdinary(char d) =>
        char.IsAsciiLetterOrDigit(d) || d is ' ' or '_' or '.' or '-' or '/' or '$' or '(' or ')' or '=' or '<' or '>' or '~' or '^' or '+' or ';' or '@' || d >= '\u00A0';

    /// <summary>Whether a plain scalar may start at <paramref name="p"/> (no indicator; "-" only before a non-space).</summary>
    private bool IsPlainStart(int p)
    {
        char c = _t[p];
        switch (c)
        {
            case '-':
                return p + 1 < _le && _t[p + 1] != ' ';
            case '?': case ':': case ',': case '[': case ']': case '{': case '}': case '#': case '&': case '*':
            case '!': case '|': case '>': case '\'': case '"': case '%': case '@': case '`': case ' ':
                return false;
            default:
                return true;
        }
    }

    /// <summary>The closing quote of the quoted scalar opening at <paramref name="p"/> on the current line, or -1
    /// (not closed on this line, or a backslash in a double-quoted scalar).</summary>
    private int FindClosingQuote(int p)
    {
        char quote = _t[p];
        for (int i = p + 1; i < _le; i++)
        {
            char d = _t[i];
            if (quote == '"')
            {
                if (d == '\\')
                {
                    // The escapes hsm writes (hsm.lock); any other bails.
                    if (i + 1 < _le && _t[i + 1] is '\\' or '"' or '/' or 'n' or 't' or 'r') { i++; continue; }
                    return -1;
                }
                if (d == '"') return i;
            }
            else if (d == '\'')
            {
                if (i + 1 < _le && _t[i + 1] == '\'') { i++; continue; }
                return i;
            }
        }
        return -1;
    }

    private string QuotedValue(int open, int close)
    {
        if (_t[open] == '"' && _t.AsSpan(open + 1, close - open - 1).Contains('\\')) return Unescape(open + 1, close);
        var s = Str(open + 1, close - open - 1);
        return _t[open] == '\'' && s.Contains("''", StringComparison.Ordinal) ? s.Replace("''", "'", StringComparison.Ordinal) : s;
    }

    /// <summary>The text of a double-quoted scalar between <paramref name="start"/> and <paramref name="end"/> with the escapes FindClosingQuote accepts.</summary>
    private string Unescape(int start, int end)
    {
        var sb = new System.Text.StringBuilder(end - start);
        for (int i = start; i < end; i++)
        {
            char c = _t[i];
            if (c != '\\') { sb.Append(c); continue; }
            c = _t[++i];
            sb.Append(c switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => c });
        }
        return sb.ToString();
    }

    // The keys and values that recur in every registry file, hsm.yaml and hsm.lock, shared instead of one
    // string per occurrence (issue 16).
    private static readonly string[] Common =
    {
        "name", "version", "description", "sources", "prod", "dev", "type", "path", "editable", "url", "tag", "image",
        "implies", "params", "env", "healthcheck", "test", "interval", "retries", "timeout", "compose", "restart",
        "deployment_profiles", "default", "mode", "runtime", "volumes", "ports", "depends_on", "options", "strategy",
        "selection", "command", "env_file", "conflicts", "port", "host", "external", "comment", "network_aliases",
        "dockerfile", "context", "build", "markers", "extras", "profile", "profiles", "container_name", "collection",
        "libraries", "services", "groups", "standalone", "project", "modes", "package_manager", "container_engine",
        "owned", "entries", "requirement", "source", "created", "files", "origin", "service", "library",
        "service_group", "library_group", "pypi", "git", "local", "docker-image", "managed", "docker", "podman",
        "true", "false", "null", "1-of-N", "M-of-N", "unless-stopped", "always", "no", "uv", "CMD", "CMD-SHELL",
        "INFO", "DEBUG", "LOG_LEVEL", "Dockerfile", "external-prod", "chain", "pyproject.toml", "tool.uv.sources",
    };

    private const int TableMask = 511;
    private static readonly string?[] Table = BuildTable();

    private static int Hash(ReadOnlySpan<char> s) => (s.Length * 31 + s[0] * 7 + s[s.Length - 1] * 13 + s[s.Length / 2] * 3) & TableMask;

    private static string?[] BuildTable()
    {
        var table = new string?[TableMask + 1];
        foreach (var c in Common)
        {
            int h = Hash(c);
            while (table[h] is not null && table[h] != c) h = (h + 1) & TableMask;
            table[h] = c;
        }
        return table;
    }

    /// <summary>The text at <paramref name="start"/>: a shared string when it is a common one, else a new one.</summary>
    private string Str(int start, int length)
    {
        if (length == 0) return "";
        if (length <= 24)
        {
            var span = _t.AsSpan(start, length);
            for (int h = Hash(span); Table[h] is { } c; h = (h + 1) & TableMask)
                if (span.SequenceEqual(c)) return c;
        }
        return _t.Substring(start, length);
    }
}
