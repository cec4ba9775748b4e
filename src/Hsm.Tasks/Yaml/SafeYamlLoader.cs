using System.Text;
using Hsm.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Hsm.Yaml;

/// <summary>
/// Reads YAML defensively into <see cref="YNode"/>s that keep file(line,col) (design §8): a file over
/// 1 MiB, invalid UTF-8, nesting deeper than 64, more than 10,000 alias expansions, a merge key
/// <c>&lt;&lt;</c>, a cyclic alias and duplicate keys are HSM1xxx errors at the position where they are
/// detected; one syntax error per file. Aliases share the anchored node (no copy is made).
/// </summary>
public static class SafeYamlLoader
{
    public const int MaxBytes = 1024 * 1024;
    public const int MaxDepth = 64;
    public const int MaxAliasExpansions = 10_000;
    private const int SmallMap = 8; // up to this many keys, duplicates are found by a scan of the entries

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Loads a file. Returns null (with diagnostics) when it cannot be read as YAML.</summary>
    /// <param name="maxBytes">Size limit; <see cref="MaxBytes"/> for hand-written files (hsm.yaml, the registry),
    /// more for files hsm generates itself and whose size grows with the stack (hsm.lock).</param>
    public static YNode? LoadFile(string path, string label, DiagnosticBag diagnostics, int maxBytes = MaxBytes)
    {
        // The one guarded opener (design §9): a FIFO, socket, device or directory is refused before it is opened.
        var read = IO.GuardedFile.Read(path, maxBytes);
        if (read.Kind is not (IO.FileKind.Regular or IO.FileKind.Missing))
        {
            diagnostics.Error(Codes.NotRegularFile, new SourceSpan(label, 0, 0), IO.GuardedFile.NotRegularMessage(label, read.Kind, "a YAML file"));
            return null;
        }
        if (read.TooLarge)
        {
            diagnostics.Error(Codes.FileTooLarge, new SourceSpan(label, 1, 1), $"'{label}' is {read.Size:N0} bytes; Hsm reads YAML files of at most {maxBytes:N0} bytes{(maxBytes == MaxBytes ? " (1 MiB)" : "")}.");
            return null;
        }
        if (read.Bytes is not { } bytes)
        {
            diagnostics.Error(Codes.CommitIo, new SourceSpan(label, 0, 0), $"Cannot read '{label}': {read.Error ?? "it does not exist"}");
            return null;
        }
        return LoadBytes(bytes, label, diagnostics, maxBytes);
    }

    public static YNode? LoadBytes(byte[] bytes, string label, DiagnosticBag diagnostics, int maxBytes = MaxBytes)
    {
        if (bytes.Length > maxBytes)
        {
            diagnostics.Error(Codes.FileTooLarge, new SourceSpan(label, 1, 1), $"'{label}' is {bytes.Length:N0} bytes; Hsm reads YAML files of at most {maxBytes:N0} bytes{(maxBytes == MaxBytes ? " (1 MiB)" : "")}.");
            return null;
        }
        string text;
        try
        {
            int offset = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
            text = StrictUtf8.GetString(bytes, offset, bytes.Length - offset);
        }
        catch (DecoderFallbackException e)
        {
            var (line, col) = PositionOfInvalidByte(bytes, e.Index);
            diagnostics.Error(Codes.InvalidUtf8, new SourceSpan(label, line, col), $"'{label}' is not valid UTF-8 (byte 0x{(e.BytesUnknown?.FirstOrDefault() ?? 0):X2}). Save the file as UTF-8.");
            return null;
        }
        return LoadText(text, label, diagnostics);
    }

    public static YNode? LoadText(string text, string label, DiagnosticBag diagnostics)
    {
        // The fast path (issue 16) reads the simple block YAML Hsm's files use; anything else goes to YamlDotNet,
        // which also reports every diagnostic. YamlDotNet is referenced only from LoadWithYamlDotNet and below, so
        // its assembly is not even loaded while every file takes the fast path.
        try
        {
            if (FastYamlReader.TryRead(text, label, out var root)) return root;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A defect of the fast path (FastYamlTests look for them directly): YamlDotNet decides, as for any bail.
        }
        return LoadWithYamlDotNet(text, label, diagnostics);
    }

    /// <summary>The YamlDotNet path: every file outside the fast path's subset, and every diagnostic.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    internal static YNode? LoadWithYamlDotNet(string text, string label, DiagnosticBag diagnostics)
    {
        var builder = new Builder(label, diagnostics);
        try
        {
            return builder.Build(new Parser(new StringReader(text)));
        }
        catch (BuilderStop)
        {
            return null;
        }
        catch (YamlException e)
        {
            var msg = e.InnerException is not null && e.Message.Contains("See inner") ? e.InnerException.Message : e.Message;
            var line = (int)Math.Max(1, e.End.Line > 0 && e.Start.Line == 0 ? e.End.Line : e.Start.Line);
            var col = (int)Math.Max(1, e.Start.Column);
            if (FirstIndentTab(text, msg.Contains("tab", StringComparison.OrdinalIgnoreCase) ? int.MaxValue : line) is { } tab)
            {
                diagnostics.Error(Codes.YamlSyntax, new SourceSpan(label, tab.Line, tab.Col), "YAML syntax error: a tab is used for indentation; YAML allows only spaces there.");
                return null;
            }
            diagnostics.Error(Codes.YamlSyntax, new SourceSpan(label, line, col), $"YAML syntax error: {CleanMessage(msg)}{SyntaxHints.For(msg, text, line)}");
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Never let a parser defect escape as a stack trace (design §7).
            if (SyntaxHints.UnclosedBracket(text) is { } open)
            {
                diagnostics.Error(Codes.YamlSyntax, new SourceSpan(label, open.Line, open.Col), $"YAML syntax error: the '{open.Bracket}' opened here is never closed. Hint: close it with '{(open.Bracket == '[' ? ']' : '}')}', or write the list or map in block style (one item per line).");
                return null;
            }
            diagnostics.Error(Codes.YamlSyntax, new SourceSpan(label, 1, 1), $"'{label}' cannot be read as YAML: {e.Message}");
            return null;
        }
    }

    /// <summary>The first tab in the leading whitespace of a line up to <paramref name="maxLine"/> (the likely cause of a syntax error).</summary>
    private static (int Line, int Col)? FirstIndentTab(string text, int maxLine)
    {
        int line = 1, col = 1;
        bool leading = true;
        foreach (var ch in text)
        {
            if (ch == '\n')
            {
                if (line >= maxLine) break;
                line++; col = 1; leading = true;
                continue;
            }
            if (leading && ch == '\t') return (line, col);
            if (ch != ' ') leading = false;
            col++;
        }
        return null;
    }

    private static string CleanMessage(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: ...): " — the position is already in the span.
        var i = message.IndexOf("): ", StringComparison.Ordinal);
        var m = message.StartsWith("(Line", StringComparison.Ordinal) && i > 0 ? message[(i + 3)..] : message;
        return m.TrimEnd('.') + ".";
    }

    private static (int Line, int Col) PositionOfInvalidByte(byte[] bytes, int index)
    {
        int line = 1, col = 1;
        for (int i = 0; i < Math.Min(index, bytes.Length); i++)
        {
            if (bytes[i] == (byte)'\n') { line++; col = 1; }
            else if ((bytes[i] & 0xC0) != 0x80) col++;
        }
        return (line, col);
    }

    private sealed class BuilderStop : Exception { }

    private sealed class Builder
    {
        private readonly string _file;
        private readonly DiagnosticBag _diagnostics;
        private readonly Dictionary<string, YNode> _anchors = new(StringComparer.Ordinal);
        private readonly HashSet<string> _openAnchors = new(StringComparer.Ordinal);
        private readonly Dictionary<YNode, long> _expansions = new(ReferenceEqualityComparer.Instance);
        private IParser _parser = null!;

        public Builder(string file, DiagnosticBag diagnostics) { _file = file; _diagnostics = diagnostics; }

        private void Fail(string code, Mark at, string message)
        {
            _diagnostics.Error(code, new SourceSpan(_file, (int)at.Line, (int)at.Column), message);
            throw new BuilderStop();
        }

        public YNode? Build(IParser parser)
        {
            _parser = parser;
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                return null; // empty file: the caller decides whether that is an error
            }
            parser.Consume<DocumentStart>();
            YNode? root = parser.Accept<DocumentEnd>(out _) ? null : ReadNode(1);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
            {
                var next = parser.Current!;
                Fail(Codes.YamlSyntax, next.Start, "The file holds more than one YAML document ('---'); Hsm reads exactly one.");
            }
            // Only nodes reached through aliases count as expansions (counted per alias use in ReadNode):
            // a long plain list is not an alias bomb.
            return root;
        }

        private long Expansions(YNode node)
        {
            if (_expansions.TryGetValue(node, out var n)) return n;
            _expansions[node] = 0; // guards against pathological recursion (cycles are rejected earlier)
            long total = node switch
            {
                YMapping m => m.Entries.Sum(e => 1 + Expansions(e.Value)),
                YSequence s => s.Items.Sum(i => 1 + Expansions(i)),
                _ => 0,
            };
            total = Math.Min(total, long.MaxValue / 4);
            _expansions[node] = total;
            return total;
        }

        private YNode ReadNode(int depth)
        {
            if (depth > MaxDepth)
                Fail(Codes.NestingTooDeep, _parser.Current!.Start, $"The YAML is nested deeper than {MaxDepth} levels.");
            var ev = _parser.Current!;
            switch (ev)
            {
                case AnchorAlias alias: return ReadAlias(alias);
                case Scalar s:
                {
                    _parser.MoveNext();
                    var node = new YScalar { File = _file, Line = (int)s.Start.Line, Column = (int)s.Start.Column, Value = s.Value, Plain = s.Style == ScalarStyle.Plain && s.Tag.IsEmpty };
                    Register(s.Anchor, node);
                    return node;
                }
                case SequenceStart ss:
                {
                    _parser.MoveNext();
                    var node = new YSequence { File = _file, Line = (int)ss.Start.Line, Column = (int)ss.Start.Column };
                    Open(ss.Anchor);
                    while (!_parser.TryConsume<SequenceEnd>(out _)) node.Items.Add(ReadNode(depth + 1));
                    Close(ss.Anchor, node);
                    return node;
                }
                case MappingStart ms: return ReadMapping(ms, depth);
                default:
                    Fail(Codes.YamlSyntax, ev.Start, $"Unexpected YAML event {ev.GetType().Name}.");
                    throw new BuilderStop();
            }
        }

        private YNode ReadAlias(AnchorAlias alias)
        {
            _parser.MoveNext();
            var name = alias.Value.Value;
            if (_openAnchors.Contains(name)) Fail(Codes.AliasProblem, alias.Start, $"Alias '*{name}' refers to a node that contains it (a cyclic alias).");
            if (!_anchors.TryGetValue(name, out var target)) Fail(Codes.AliasProblem, alias.Start, $"Alias '*{name}' refers to no anchor '&{name}' defined before it.");
            // Count the expansion: an alias stands for every node of its target.
            _aliasUses += 1 + Expansions(target!);
            if (_aliasUses > MaxAliasExpansions)
                Fail(Codes.AliasProblem, alias.Start, $"Aliases expand to more than {MaxAliasExpansions:N0} nodes (an alias bomb?); Hsm refuses to expand them.");
            return target!;
        }

        private YMapping ReadMapping(MappingStart ms, int depth)
        {
            _parser.MoveNext();
            var node = new YMapping { File = _file, Line = (int)ms.Start.Line, Column = (int)ms.Start.Column };
            Open(ms.Anchor);
            // Duplicate keys: a scan of the entries while the map is small (most are), a dictionary once it
            // grows (issue 16: one dictionary per map was a large share of the registry's allocations).
            Dictionary<string, YScalar>? seen = null;
            while (!_parser.TryConsume<MappingEnd>(out _))
            {
                var keyEvent = _parser.Current!;
                if (ReadNode(depth + 1) is not YScalar key)
                {
                    Fail(Codes.WrongType, keyEvent.Start, "A map key must be a plain value, not a list or map.");
                    throw new BuilderStop();
                }
                if (key.Value == "<<" && key.Plain)
                    Fail(Codes.AliasProblem, keyEvent.Start, "Merge keys ('<<') are not supported in Hsm files; write the entries out.");
                var value = ReadNode(depth + 1);
                if (FirstKey(node, seen, key.Value) is { } first)
                {
                    _diagnostics.Error(Codes.DuplicateKey, key.Span, $"Key '{key.Value}' appears twice in this map (first at line {first.Line}).");
                    continue;
                }
                node.Entries.Add(new(key, value));
                if (seen is not null) seen[key.Value] = key;
                else if (node.Entries.Count > SmallMap)
                {
                    seen = new Dictionary<string, YScalar>(node.Entries.Count * 2, StringComparer.Ordinal);
                    foreach (var e in node.Entries) seen[e.Key.Value] = e.Key;
                }
            }
            Close(ms.Anchor, node);
            return node;
        }

        /// <summary>The earlier key of this name in the map, if any (the dictionary once the map is large, else a scan).</summary>
        private static YScalar? FirstKey(YMapping node, Dictionary<string, YScalar>? seen, string key)
        {
            if (seen is not null) return seen.TryGetValue(key, out var first) ? first : null;
            foreach (var e in node.Entries)
                if (string.Equals(e.Key.Value, key, StringComparison.Ordinal)) return e.Key;
            return null;
        }

        private long _aliasUses;

        private void Register(AnchorName anchor, YNode node)
        {
            if (!anchor.IsEmpty) _anchors[anchor.Value] = node;
        }

        private void Open(AnchorName anchor)
        {
            if (!anchor.IsEmpty) _openAnchors.Add(anchor.Value);
        }

        private void Close(AnchorName anchor, YNode node)
        {
            if (anchor.IsEmpty) return;
            _openAnchors.Remove(anchor.Value);
            _anchors[anchor.Value] = node;
        }
    }
}
