using Hsm.Registry;
using Hsm.Diagnostics;
using Tomlyn.Syntax;
using static Hsm.Python.TomlText;
using DSpan = Hsm.Diagnostics.SourceSpan;

namespace Hsm.Python;

/// <summary>
/// Ownership-aware, format-preserving editing of pyproject.toml (design §5.1, §5.5).
///
/// The file is parsed with Tomlyn's lossless syntax tree, but it is never re-serialised from the tree:
/// every change is a text edit of the original string at offsets taken from the tree, so each byte outside
/// the managed entries stays as it was (comments, blank lines, quoting, CRLF, BOM, layout). The work is
/// done in small passes, each on a fresh parse of the previous pass's output, so edits never overlap:
/// <list type="number">
/// <item>rewrite, take over, restore and remove existing entries in place;</item>
/// <item>create what is missing and needed (the dependencies key, a [project] table, a [tool.uv.sources] table);</item>
/// <item>append new entries in the list's own layout (several new ones sorted by name);</item>
/// <item>remove structures hsm created that are empty again (recorded in <see cref="OwnedPyProject.Created"/>).</item>
/// </list>
/// Decisions (design §5.1): a missing [project] table is appended at the end of the file (after
/// one blank line) with <c>name</c>/<c>version</c> like a created file, because inserting it at the top would
/// separate leading comments from the table they describe; the dependencies key is added after the last key of
/// [project]; new dependency arrays are multi-line with a trailing comma (uv's own layout).
/// </summary>
public static class PyProjectEditor
{
    const string CreatedProject = "project";
    const string CreatedDependencies = "project.dependencies";
    const string CreatedSources = "tool.uv.sources";

    public static PyProjectEditResult Apply(string? originalText, IReadOnlyList<ManagedDependency> desired, OwnedPyProject? previouslyOwned,
        string fileLabel, string newProjectName, string newProjectVersion, DiagnosticBag diagnostics)
    {
        try
        {
            return ApplyCore(originalText, desired, previouslyOwned, fileLabel, newProjectName, newProjectVersion, diagnostics);
        }
        catch (Exception ex) when (ex is HsmException or InvalidOperationException)
        {
            // A bug of ours, never the user's input: report it and leave the file alone.
            diagnostics.Add(ex is HsmException h ? h.Diagnostic
                : new Diagnostic(Codes.Internal, Severity.Error, $"internal error while editing {fileLabel}: {ex.Message}", new DSpan(fileLabel, 0, 0)));
            return new PyProjectEditResult(null, false, previouslyOwned ?? new OwnedPyProject());
        }
    }

    static PyProjectEditResult ApplyCore(string? originalText, IReadOnlyList<ManagedDependency> desired, OwnedPyProject? previouslyOwned,
        string fileLabel, string newProjectName, string newProjectVersion, DiagnosticBag diagnostics)
    {
        var prev = previouslyOwned ?? new OwnedPyProject();
        var (want, wantByNorm) = Distinct(desired);

        if (want.Count == 0 && prev.Entries.Count == 0)
            return new PyProjectEditResult(originalText, false, new OwnedPyProject());
        if (originalText == null && want.Count == 0)
            return new PyProjectEditResult(null, false, new OwnedPyProject());

        var isNew = originalText == null;
        var bom = !isNew && originalText!.Length > 0 && originalText[0] == '\uFEFF';
        var text = isNew ? "" : bom ? originalText!.Substring(1) : originalText!;
        var nl = isNew ? "\n" : DetectNewLine(text);

        if (ScanValid(text, fileLabel, diagnostics) is not { } scan)
            return new PyProjectEditResult(null, false, prev);

        var owned = new OwnedPyProject { Created = new List<string>(prev.Created), AddedFinalNewline = prev.AddedFinalNewline };
        var takenReq = new Dictionary<string, string>(StringComparer.Ordinal);
        var takenSrc = new Dictionary<string, string>(StringComparer.Ordinal);
        var prevByNorm = new Dictionary<string, OwnedEntry>(StringComparer.Ordinal);
        foreach (var e in prev.Entries) prevByNorm.TryAdd(Requirements.NormalizeName(e.Name), e);

        // ---- pass 1: existing entries -------------------------------------------------------------------
        var edits = new List<TextEdit>();
        var restoreSources = new List<(string Key, string Value)>();
        EditExisting(scan, wantByNorm, prevByNorm, takenReq, takenSrc, restoreSources, fileLabel, diagnostics, edits);
        text = ReparseIfEdited(text, edits, fileLabel, ref scan);

        // ---- what has to be appended ----------------------------------------------------------------------
        var (newDeps, newSources) = ToAppend(scan, want, restoreSources);

        // ---- pass 2: create missing structures --------------------------------------------------------------
        edits.Clear();
        CreateStructures(scan, newDeps.Count > 0, newSources.Count > 0, isNew, owned, newProjectName, newProjectVersion, nl, edits);
        text = ReparseIfEdited(text, edits, fileLabel, ref scan);

        // ---- pass 3: append new entries -------------------------------------------------------------------
        edits.Clear();
        AppendEntries(scan, newDeps, newSources, nl, edits);
        text = ReparseIfEdited(text, edits, fileLabel, ref scan);

        // ---- pass 4: remove created structures that are empty again -----------------------------------------
        text = RemoveEmptyCreated(text, scan, fileLabel, owned, nl);

        // ---- result ---------------------------------------------------------------------------------------
        RecordOwned(want, prevByNorm, takenReq, takenSrc, owned);

        var final = (bom ? "\uFEFF" : "") + text;
        var changed = isNew || !string.Equals(final, originalText, StringComparison.Ordinal);
        return new PyProjectEditResult(final, changed, owned);
    }

    /// <summary>Same package twice: the first wins (compared by PEP 503 name).</summary>
    static (List<ManagedDependency> Want, Dictionary<string, ManagedDependency> ByNorm) Distinct(IReadOnlyList<ManagedDependency> desired)
    {
        var want = new List<ManagedDependency>();
        var wantByNorm = new Dictionary<string, ManagedDependency>(StringComparer.Ordinal);
        foreach (var d in desired)
            if (wantByNorm.TryAdd(Requirements.NormalizeName(d.Package), d)) want.Add(d);
        return (want, wantByNorm);
    }

    /// <summary>The scan of a file hsm can edit; null (reported) when it is not valid TOML or not editable.</summary>
    static PyProjectScan? ScanValid(string text, string fileLabel, DiagnosticBag diagnostics)
    {
        var doc = PyProjectScan.Parse(text, fileLabel);
        if (doc.HasErrors)
        {
            // Tomlyn lists parser errors before lexer errors: report the earliest one (positions are 0-based).
            var m = doc.Diagnostics.Where(x => x.Kind == DiagnosticMessageKind.Error)
                .OrderBy(x => x.Span.Start.Line).ThenBy(x => x.Span.Start.Column).FirstOrDefault();
            if (m != null)
                diagnostics.Error(Codes.PyProjectInvalid, new DSpan(fileLabel, m.Span.Start.Line + 1, m.Span.Start.Column + 1),
                    $"{fileLabel} is not valid TOML: {m.Message}");
            return null;
        }
        var scan = PyProjectScan.Scan(text, doc);
        return Validate(scan, fileLabel, diagnostics) ? scan : null;
    }

    /// <summary>The dependencies and the sources the file lacks (a deselected library's source of the user's put back), each sorted by name.</summary>
    static (List<ManagedDependency> Deps, List<(string Key, string Value)> Sources) ToAppend(PyProjectScan scan, List<ManagedDependency> want,
        List<(string Key, string Value)> restoreSources)
    {
        var presentDeps = scan.Deps.Where(d => d.Norm != null).Select(d => d.Norm!).ToHashSet(StringComparer.Ordinal);
        var newDeps = want.Where(d => !presentDeps.Contains(Requirements.NormalizeName(d.Package)))
            .OrderBy(d => Requirements.NormalizeName(d.Package), StringComparer.Ordinal).ToList();
        var newSources = want.Where(d => d.SourceTable != null && scan.FindSource(Requirements.NormalizeName(d.Package)) == null)
            .Select(d => (Key: Grammars.RequirementName(d.Requirement) ?? d.Package, Value: d.SourceTable!))
            .Concat(restoreSources.Where(r => scan.FindSource(Requirements.NormalizeName(r.Key)) == null))
            .OrderBy(s => Requirements.NormalizeName(s.Key), StringComparer.Ordinal).ToList();
        return (newDeps, newSources);
    }

    /// <summary>Pass 2: the dependencies key (and a [project] table) and a [tool.uv.sources] table where new entries need them.</summary>
    static void CreateStructures(PyProjectScan scan, bool newDeps, bool newSources, bool isNew, OwnedPyProject owned,
        string newProjectName, string newProjectVersion, string nl, List<TextEdit> edits)
    {
        var atEnd = new List<string>();
        if (newDeps && scan.DepsKv == null)
        {
            var block = "dependencies = [" + nl + "]" + nl;
            if (scan.ProjectTable != null)
                InsertLinesAfter(scan.Text, scan.LastProjectKv != null ? End(scan.LastProjectKv.Value!) : HeaderEnd(scan.ProjectTable), block, nl, edits);
            else if (scan.RootDottedProject && scan.LastProjectKv != null)
                InsertLinesAfter(scan.Text, End(scan.LastProjectKv.Value!), "project." + block, nl, edits);
            else
            {
                var name = Requirements.ToDistributionName(newProjectName);
                var version = Requirements.IsValidPep440(newProjectVersion) ? newProjectVersion.Trim() : "0.1.0";
                atEnd.Add("[project]" + nl + "name = " + Basic(name) + nl + "version = " + Basic(version) + nl + block);
                if (!isNew) AddOnce(owned.Created, CreatedProject);
            }
            AddOnce(owned.Created, CreatedDependencies);
        }
        if (newSources && !scan.HasSourcesContainer)
        {
            atEnd.Add("[tool.uv.sources]" + nl);
            AddOnce(owned.Created, CreatedSources);
        }
        if (atEnd.Count > 0)
        {
            var t = scan.Text;
            var sep = t.Length == 0 ? "" : EndsWithNewLine(t) ? nl : nl + nl;
            if (t.Length > 0 && !EndsWithNewLine(t)) owned.AddedFinalNewline = true;
            edits.Add(new TextEdit(t.Length, t.Length, sep + string.Join(nl, atEnd)));
        }
    }

    /// <summary>Pass 3: the new dependencies and sources, in the layout of the list or table they join.</summary>
    static void AppendEntries(PyProjectScan scan, List<ManagedDependency> newDeps, List<(string Key, string Value)> newSources, string nl, List<TextEdit> edits)
    {
        if (newDeps.Count > 0)
        {
            var style = scan.Deps.LastOrDefault(d => d.Value != null)?.Style ?? TokenKind.String;
            ListEdits.Append(scan.Text, scan.DepsShape!, newDeps.Select(d => Quote(d.Requirement, style)).ToList(), nl, edits);
        }
        if (newSources.Count == 0) return;
        var lines = newSources.Select(s => Key(s.Key) + " = " + s.Value).ToList();
        if (scan.SourcesTable != null)
        {
            var last = scan.SourcesTable.Items?.LastOrDefault();
            InsertLinesAfter(scan.Text, last != null ? End(last.Value!) : HeaderEnd(scan.SourcesTable), string.Concat(lines.Select(l => l + nl)), nl, edits);
        }
        else if (scan.SourcesInline != null)
            ListEdits.Append(scan.Text, ListShape.Of(scan.SourcesInline), lines, nl, edits);
        else
        {
            var lastKv = scan.LastDottedSourceKv!;
            var keyStart = Start(lastKv.Key!);
            var lastSeg = lastKv.Key!.DotKeys!.Last().Key!;
            var prefix = scan.Text.Substring(keyStart, Start(lastSeg) - keyStart);
            var indent = IndentAt(scan.Text, keyStart);
            InsertLinesAfter(scan.Text, End(lastKv.Value!), string.Concat(lines.Select(l => indent + prefix + l + nl)), nl, edits);
        }
    }

    /// <summary>The entries hsm owns now, with what each took over (kept from before, or taken in this edit).</summary>
    static void RecordOwned(List<ManagedDependency> want, Dictionary<string, OwnedEntry> prevByNorm,
        Dictionary<string, string> takenReq, Dictionary<string, string> takenSrc, OwnedPyProject owned)
    {
        foreach (var d in want)
        {
            var norm = Requirements.NormalizeName(d.Package);
            prevByNorm.TryGetValue(norm, out var o);
            owned.Entries.Add(new OwnedEntry
            {
                Name = d.Package,
                Requirement = d.Requirement,
                Source = d.SourceTable,
                TakenOverRequirement = o?.TakenOverRequirement ?? (takenReq.TryGetValue(norm, out var r) ? r : null),
                TakenOverSource = o?.TakenOverSource ?? (takenSrc.TryGetValue(norm, out var s) ? s : null),
            });
        }
        owned.Entries.Sort((a, b) => string.CompareOrdinal(Requirements.NormalizeName(a.Name), Requirements.NormalizeName(b.Name)));
        if (owned.Created.Count == 0) owned.AddedFinalNewline = false;
    }

    static bool Validate(PyProjectScan scan, string fileLabel, DiagnosticBag diagnostics)
    {
        var ok = true;
        if (scan.InlineProjectKv != null)
        {
            diagnostics.Error(Codes.PyProjectInvalid, At(fileLabel, scan.InlineProjectKv),
                $"{fileLabel}: [project] is written as an inline table; hsm can only edit a [project] table or `project.` keys");
            ok = false;
        }
        if (scan.DynamicKv?.Value is ArraySyntax dyn && dyn.Items != null)
            foreach (var it in dyn.Items)
                if (it.Value is StringValueSyntax { Value: "dependencies" } sv)
                {
                    diagnostics.Error(Codes.DynamicDependencies, At(fileLabel, sv),
                        $"{fileLabel}: [project].dynamic lists \"dependencies\"; hsm manages [project].dependencies and cannot edit dependencies a build backend computes. Remove \"dependencies\" from dynamic.");
                    ok = false;
                }
        if (scan.DepsKv != null && scan.DepsKv.Value is not ArraySyntax)
        {
            diagnostics.Error(Codes.PyProjectInvalid, At(fileLabel, scan.DepsKv.Value!), $"{fileLabel}: [project].dependencies must be an array of strings");
            ok = false;
        }
        return ok;
    }

    static DSpan At(string file, SyntaxNodeBase n) => new(file, n.Span.Start.Line + 1, n.Span.Start.Column + 1);

    static void EditExisting(PyProjectScan scan, Dictionary<string, ManagedDependency> want, Dictionary<string, OwnedEntry> prev,
        Dictionary<string, string> takenReq, Dictionary<string, string> takenSrc, List<(string, string)> restoreSources,
        string file, DiagnosticBag diagnostics, List<TextEdit> edits)
    {
        if (scan.DepsShape != null) EditDependencies(scan, want, prev, takenReq, file, diagnostics, edits);
        EditSources(scan, want, prev, takenSrc, file, diagnostics, edits);

        // Deselected entries whose taken-over source no longer has an entry: put the user's source back.
        foreach (var (norm, o) in prev)
            if (!want.ContainsKey(norm) && o.TakenOverSource != null && scan.FindSource(norm) == null)
                restoreSources.Add((Grammars.RequirementName(o.TakenOverRequirement ?? o.Requirement) ?? o.Name, o.TakenOverSource));
    }

    /// <summary>[project].dependencies: rewrite, take over, restore and remove existing entries in place.</summary>
    static void EditDependencies(PyProjectScan scan, Dictionary<string, ManagedDependency> want, Dictionary<string, OwnedEntry> prev,
        Dictionary<string, string> takenReq, string file, DiagnosticBag diagnostics, List<TextEdit> edits)
    {
        var remove = new HashSet<int>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in scan.Deps)
        {
            if (item.Norm == null || item.Value == null || !seen.Add(item.Norm)) continue;
            var span = scan.DepsShape!.Items[item.Index];
            want.TryGetValue(item.Norm, out var d);
            prev.TryGetValue(item.Norm, out var o);
            if (d != null)
            {
                ReportDependencyChange(item.Value, item.Norm, d, o, new DSpan(file, item.Line, item.Column), takenReq, file, diagnostics);
                if (item.Value != d.Requirement)
                    edits.Add(new TextEdit(span.Start, span.End, Quote(d.Requirement, item.Style)));
            }
            else if (o != null)
            {
                if (o.TakenOverRequirement != null)
                {
                    if (item.Value != o.TakenOverRequirement)
                        edits.Add(new TextEdit(span.Start, span.End, Quote(o.TakenOverRequirement, item.Style)));
                }
                else remove.Add(item.Index);
            }
        }
        ListEdits.Remove(scan.Text, scan.DepsShape!, remove, edits);
    }

    /// <summary>A managed dependency found in the file: warns when hsm's entry was edited, or records (and warns) that hsm takes the user's over.</summary>
    static void ReportDependencyChange(string value, string norm, ManagedDependency d, OwnedEntry? o, DSpan where,
        Dictionary<string, string> takenReq, string file, DiagnosticBag diagnostics)
    {
        if (o != null)
        {
            if (value != o.Requirement && value != d.Requirement)
                diagnostics.Warning(Codes.OwnedEntryEdited, where,
                    $"{file}: the dependency \"{value}\" that hsm manages was edited (hsm wrote \"{o.Requirement}\"); it is rewritten to \"{d.Requirement}\". Change the registry or hsm.yaml instead.");
            return;
        }
        takenReq[norm] = value;
        diagnostics.Warning(Codes.TakeOver, where,
            $"{file}: hsm takes over the dependency \"{value}\" because the stack provides {d.Package}; it becomes \"{d.Requirement}\" (the original is restored when the library is deselected).");
    }

    /// <summary>[tool.uv.sources]: rewrite, take over, restore and remove existing entries in place.</summary>
    static void EditSources(PyProjectScan scan, Dictionary<string, ManagedDependency> want, Dictionary<string, OwnedEntry> prev,
        Dictionary<string, string> takenSrc, string file, DiagnosticBag diagnostics, List<TextEdit> edits)
    {
        var t = scan.Text;
        var inlineRemove = new HashSet<int>();
        var lineRemovals = new List<(int Start, int End)>();
        var seenSrc = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in scan.Sources)
        {
            if (!seenSrc.Add(e.Norm)) continue;
            var cur = t.Substring(e.ValueStart, e.ValueEnd - e.ValueStart);
            want.TryGetValue(e.Norm, out var d);
            prev.TryGetValue(e.Norm, out var o);
            var (replacement, delete) = d != null ? WantedSource(e, cur, d, o, takenSrc, file, diagnostics) : DeselectedSource(cur, o);
            if (replacement != null) edits.Add(new TextEdit(e.ValueStart, e.ValueEnd, replacement));
            if (delete)
            {
                if (e.Kind == SourceKind.Inline) inlineRemove.Add(e.ItemIndex);
                else lineRemovals.Add((LineStart(t, Start(e.Kv)), NextLineStart(t, e.ValueEnd)));
            }
        }
        AddLineRemovals(t, lineRemovals, edits);
        if (inlineRemove.Count > 0) ListEdits.Remove(t, ListShape.Of(scan.SourcesInline!), inlineRemove, edits);
    }

    /// <summary>The source entry of a wanted package: what replaces it, or whether it goes (a PyPI source has none).</summary>
    static (string? Replacement, bool Delete) WantedSource(SourceEntry e, string cur, ManagedDependency d, OwnedEntry? o,
        Dictionary<string, string> takenSrc, string file, DiagnosticBag diagnostics)
    {
        var where = new DSpan(file, e.Line, e.Column);
        if (o?.Source != null)
        {
            if (d.SourceTable != null && cur != o.Source && cur != d.SourceTable)
                diagnostics.Warning(Codes.OwnedEntryEdited, where,
                    $"{file}: the source of {e.Key} that hsm manages was edited (hsm wrote {o.Source}); it is rewritten to {d.SourceTable}.");
        }
        else
        {
            if (o?.TakenOverSource == null) takenSrc[e.Norm] = cur;
            diagnostics.Warning(Codes.TakeOver, where,
                $"{file}: hsm takes over the source of {e.Key} ({cur}) because the stack provides {d.Package}" +
                (d.SourceTable != null ? $"; it becomes {d.SourceTable}" : " from PyPI; the source is removed") + " (the original is restored when the library is deselected).");
        }
        if (d.SourceTable == null) return (null, true);
        return (cur != d.SourceTable ? d.SourceTable : null, false);
    }

    /// <summary>The source entry of a package no longer wanted: the user's original back, or removed when hsm added it.</summary>
    static (string? Replacement, bool Delete) DeselectedSource(string cur, OwnedEntry? o)
    {
        if (o?.Source == null) return (null, false);
        if (o.TakenOverSource != null) return (cur != o.TakenOverSource ? o.TakenOverSource : null, false);
        return (null, true);
    }

    /// <summary>
    /// Removes whole lines; adjacent ranges are merged first, and a range that ends the file without a final
    /// newline takes the newline before it instead (so "a\nb" minus line b is "a").
    /// </summary>
    static void AddLineRemovals(string t, List<(int Start, int End)> ranges, List<TextEdit> edits)
    {
        var merged = new List<(int Start, int End)>();
        foreach (var r in ranges.OrderBy(r => r.Start))
            if (merged.Count > 0 && r.Start <= merged[^1].End) merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, r.End));
            else merged.Add(r);
        foreach (var (start, end) in merged)
        {
            var s = start;
            if (end == t.Length && !EndsWithNewLine(t) && s > 0)
            {
                s--;
                if (s > 0 && t[s - 1] == '\r') s--;
            }
            edits.Add(new TextEdit(s, end, ""));
        }
    }

    /// <summary>The whole line(s) of a key/value from its key to its value's end (and trailing comment).</summary>
    static TextEdit LineRemoval(string t, int keyStart, int valueEnd)
    {
        var s = LineStart(t, keyStart);
        var e = NextLineStart(t, valueEnd);
        if (e == t.Length && !EndsWithNewLine(t) && s > 0)
        {
            // last line without a newline: take the newline before it instead
            s--;
            if (s > 0 && t[s - 1] == '\r') s--;
        }
        return new TextEdit(s, e, "");
    }

    /// <summary>Inserts whole lines after the line holding <paramref name="pos"/> (end of a key/value or header).</summary>
    static void InsertLinesAfter(string t, int pos, string lines, string nl, List<TextEdit> edits)
    {
        var at = NextLineStart(t, pos);
        if (at == t.Length && t.Length > 0 && !EndsWithNewLine(t))
        {
            // the file ends on that line without a newline: keep it that way
            var body = lines.EndsWith(nl, StringComparison.Ordinal) ? lines.Substring(0, lines.Length - nl.Length) : lines;
            edits.Add(new TextEdit(at, at, nl + body));
        }
        else edits.Add(new TextEdit(at, at, lines));
    }

    static int HeaderEnd(TableSyntaxBase table) => End(table.CloseBracket!);

    /// <summary>A pass's edits applied and the result parsed again; with no edit the text and its scan are those of the pass before (no parse).</summary>
    static string ReparseIfEdited(string text, List<TextEdit> edits, string fileLabel, ref PyProjectScan scan)
    {
        if (edits.Count == 0) return text;
        return Reparse(TextEdits.Apply(text, edits), fileLabel, out scan);
    }

    static string Reparse(string text, string fileLabel, out PyProjectScan scan)
    {
        var doc = PyProjectScan.Parse(text, fileLabel);
        if (doc.HasErrors)
            throw new HsmException(Codes.Internal, new DSpan(fileLabel, 0, 0),
                $"hsm produced invalid TOML while editing {fileLabel}: {doc.Diagnostics.FirstOrDefault()}");
        scan = PyProjectScan.Scan(text, doc);
        return text;
    }

    static void AddOnce(List<string> list, string value) { if (!list.Contains(value)) list.Add(value); }

    /// <summary>Pass 4: remove what hsm created and is now empty (each removal on a fresh parse).</summary>
    static string RemoveEmptyCreated(string text, PyProjectScan scan, string fileLabel, OwnedPyProject owned, string nl)
    {
        var removedAny = false;
        if (owned.Created.Contains(CreatedDependencies))
        {
            if (scan.DepsKv == null) owned.Created.Remove(CreatedDependencies);
            else if (scan.DepsShape!.Items.Count == 0 && !HasComment(text, Start(scan.DepsKv), End(scan.DepsKv.Value!)))
            {
                text = TextEdits.Apply(text, new List<TextEdit> { LineRemoval(text, Start(scan.DepsKv), End(scan.DepsKv.Value!)) });
                owned.Created.Remove(CreatedDependencies);
                removedAny = true;
                Reparse(text, fileLabel, out scan);
            }
        }
        if (owned.Created.Contains(CreatedSources))
        {
            if (scan.SourcesTable == null) owned.Created.Remove(CreatedSources);
            else if ((scan.SourcesTable.Items == null || scan.SourcesTable.Items.ChildrenCount == 0) && TryRemoveTable(ref text, scan, scan.SourcesTable))
            {
                owned.Created.Remove(CreatedSources);
                removedAny = true;
                Reparse(text, fileLabel, out scan);
            }
        }
        if (owned.Created.Contains(CreatedProject))
        {
            if (scan.ProjectTable == null) owned.Created.Remove(CreatedProject);
            else if (scan.DepsKv == null && (scan.ProjectTable.Items?.All(kv => PyProjectScan.KeyPath(kv.Key) is [var k] && k is "name" or "version") ?? true)
                     && TryRemoveTable(ref text, scan, scan.ProjectTable))
            {
                owned.Created.Remove(CreatedProject);
                removedAny = true;
                Reparse(text, fileLabel, out scan);
            }
        }
        if (removedAny && owned.Created.Count == 0 && owned.AddedFinalNewline && text.EndsWith(nl, StringComparison.Ordinal))
        {
            text = text.Substring(0, text.Length - nl.Length);
            owned.AddedFinalNewline = false;
        }
        return text;
    }

    static bool HasComment(string t, int from, int to) => t.IndexOf('#', from, to - from) >= 0;

    /// <summary>Removes a table that holds nothing hsm did not write: its header line, its keys, and one blank line.</summary>
    static bool TryRemoveTable(ref string text, PyProjectScan scan, TableSyntax table)
    {
        var t = text;
        var hs = LineStart(t, Start(table));
        var lastKv = table.Items?.LastOrDefault();
        var end = NextLineStart(t, lastKv != null ? End(lastKv.Value!) : HeaderEnd(table));
        // A comment anywhere up to the next table means the user wrote into it: keep the table.
        var next = scan.Doc.Tables?.Select(x => Start(x)).Where(x => x > Start(table)).DefaultIfEmpty(t.Length).Min() ?? t.Length;
        if (HasComment(t, hs, Math.Max(end, next))) return false;
        var restBlank = t.Substring(end).All(char.IsWhiteSpace);
        TextEdit edit;
        if (restBlank)
        {
            var blank = BlankLineBefore(t, hs);
            edit = new TextEdit(blank >= 0 ? blank : hs, t.Length, "");
        }
        else
        {
            // followed by more content: also take one blank line that separated it from what follows
            var e = end;
            var ne = NextLineStart(t, e);
            var lineEnd = ne > e && t[ne - 1] == '\n' ? ne - 1 : ne;
            if (lineEnd > e && t[lineEnd - 1] == '\r') lineEnd--;
            if (ne < t.Length && IsBlank(t, e, lineEnd)) e = ne;
            edit = new TextEdit(hs, e, "");
        }
        text = TextEdits.Apply(t, new List<TextEdit> { edit });
        return true;
    }

    /// <summary>
    /// For the uv solvability check on a staged copy: every [tool.uv.sources] <c>path = "rel"</c> becomes absolute
    /// against <paramref name="baseDir"/> (forward slashes). Everything else is kept byte for byte.
    /// </summary>
    /// <param name="redirects">Absolute path (forward slashes) → the path to use instead, e.g. a fresh clone not yet moved into place.</param>
    public static string AbsolutizePathSources(string text, string baseDir, IReadOnlyDictionary<string, string>? redirects = null)
    {
        var bom = text.Length > 0 && text[0] == '\uFEFF';
        var t = bom ? text.Substring(1) : text;
        var doc = PyProjectScan.Parse(t, "pyproject.toml");
        if (doc.HasErrors) return text;
        var scan = PyProjectScan.Scan(t, doc);
        var edits = new List<TextEdit>();
        foreach (var e in scan.Sources)
            foreach (var inline in InlineTables(e.Kv.Value!))
                if (inline.Items != null)
                    foreach (var item in inline.Items)
                        if (PyProjectScan.KeyPath(item.KeyValue?.Key) is ["path"] && item.KeyValue!.Value is StringValueSyntax { Value: { } rel } sv)
                        {
                            var abs = Absolute(baseDir, rel);
                            if (redirects != null && redirects.TryGetValue(abs.TrimEnd('/'), out var redirected)) abs = redirected;
                            if (abs != rel) edits.Add(new TextEdit(Start(sv), End(sv), Basic(abs)));
                        }
        return (bom ? "\uFEFF" : "") + TextEdits.Apply(t, edits);
    }

    static IEnumerable<InlineTableSyntax> InlineTables(ValueSyntax v)
    {
        if (v is InlineTableSyntax it) yield return it;
        else if (v is ArraySyntax a && a.Items != null)
            foreach (var item in a.Items)
                if (item.Value is InlineTableSyntax x) yield return x;
    }

    static string Absolute(string baseDir, string rel)
    {
        if (Hsm.Paths.ProjectPaths.IsAbsolute(rel)) return rel;
        return Path.GetFullPath(Path.Combine(baseDir, rel)).Replace('\\', '/');
    }
}
