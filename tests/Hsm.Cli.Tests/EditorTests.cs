using System.Text;
using Hsm.Cli.Editing;
using Hsm.Tests;
using Xunit;

namespace Hsm.Cli.Tests;

/// <summary>
/// The splicing editor: for every hsm.yaml of the repository (fixtures, samples, the template) and for
/// hostile styles (comments everywhere, flow and block lists, quoting, CRLF, BOM, odd indentation, no final
/// line break), every edit followed by its inverse gives back the original bytes, and one edit's diff
/// touches only the lines it must.
/// </summary>
public class EditorTests
{
    public static IEnumerable<string> RepositoryManifests() =>
        Directory.EnumerateFiles(SharedTools.RepoRoot, "hsm.yaml", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .OrderBy(p => p, StringComparer.Ordinal);

    public const string Hostile = """
        # top comment
        project:   # trailing comment
           name: 'hostile'   # single-quoted
           version: "1.0"

        # the libraries
        libraries:
           groups:
              # Group comment
              vector-db-client:
                 selection: "qdrant-adapter"   # selected

              metrics: { selection: [accuracy, 'latency'] }
           standalone:
           - langchain     # an indentless list
           -   { name: my-utils, mode: dev }
           - name: other
             mode: prod
        # between sections
        services: {standalone: [redis, 'postgres'], groups: {}}
        modes: {qdrant: prod}
        """;

    public const string BlockEverything = """
        project:
            name: four-spaces
        libraries:
            standalone:
                -   alpha
                # a comment between items
                -   beta
            groups:
                g:
                    selection:
                        - one
                        - two
        modes:
            alpha: dev
        """;

    public const string Minimal = "project:\n  name: minimal";

    // In a flow map, a new section is written flow, and the last entry of a flow list leaves `[]`: the
    // document has its sections so that each edit has an exact inverse.
    public const string FlowRoot = "{ project: { name: flow }, libraries: { standalone: [a], groups: { g: { selection: [x] } } }, services: { standalone: [], groups: {} }, modes: {} }\n";

    public static IEnumerable<object[]> Documents()
    {
        var docs = new List<(string Name, string Text)>();
        foreach (var p in RepositoryManifests())
            docs.Add((Path.GetRelativePath(SharedTools.RepoRoot, p).Replace('\\', '/'), File.ReadAllText(p)));
        docs.Add(("hostile", Hostile));
        docs.Add(("block-everything", BlockEverything));
        docs.Add(("minimal-no-final-newline", Minimal));
        docs.Add(("flow-root", FlowRoot));
        foreach (var (name, text) in docs)
        {
            var lf = text.Replace("\r\n", "\n");
            yield return new object[] { name, "lf", false, lf };
            yield return new object[] { name, "crlf+bom", true, lf.Replace("\n", "\r\n") };
        }
    }

    private static byte[] Bytes(string text, bool bom) => YamlText.ToBytes(text, bom);

    /// <summary>(description, edit, inverse) for a document.</summary>
    private static IEnumerable<(string What, Func<YamlText, YamlText> Edit, Func<YamlText, YamlText> Inverse)> Edits(YamlText doc)
    {
        yield return ("add/remove a standalone library", d => ManifestEditor.AddStandalone(d, "libraries", "zz-new"), d => ManifestEditor.RemoveStandalone(d, "libraries", "zz-new"));
        yield return ("add/remove a standalone service with a mode", d => ManifestEditor.AddStandalone(d, "services", "zz-svc", "dev", "default"), d => ManifestEditor.RemoveStandalone(d, "services", "zz-svc"));
        yield return ("add/remove a library group with its comment", d => ManifestEditor.AddGroup(d, "libraries", "zz-group", "opt", "Group for tests"), d => ManifestEditor.RemoveGroup(d, "libraries", "zz-group", "Group for tests"));
        yield return ("add/remove an M-of-N service group", d => ManifestEditor.AddGroup(d, "services", "zz-many", new YList { "a", "b" }, "Many\nlines"), d => ManifestEditor.RemoveGroup(d, "services", "zz-many", "Many\nlines"));
        yield return ("add/remove a group with no selection", d => ManifestEditor.AddGroup(d, "libraries", "zz-default", null, null), d => ManifestEditor.RemoveGroup(d, "libraries", "zz-default", null));
        yield return ("set/remove a modes key", d => ManifestEditor.SetModesKey(d, "zz-mode", "dev"), d => ManifestEditor.RemoveModesKey(d, "zz-mode"));
        // Append to and remove from every existing list selection.
        foreach (var section in new[] { "libraries", "services" })
        {
            var groups = ManifestEditor.Group(doc, section, "__none__").Groups;
            foreach (var g in groups?.Entries ?? new())
                if ((g.Value as PMap)?.Get("selection")?.Value is PSeq { Items.Count: > 0 })
                    yield return ($"append/remove an option of {section}.groups.{g.Key.Value}",
                        d => ManifestEditor.AddOption(d, section, g.Key.Value, "zz-option", null),
                        d => ManifestEditor.RemoveOption(d, section, g.Key.Value, "zz-option", null));
        }
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_edit_followed_by_its_inverse_gives_back_the_original_bytes(string name, string variant, bool bom, string text)
    {
        var original = Bytes(text, bom);
        var doc = YamlText.FromBytes(original);
        Assert.Equal(bom, doc.Bom);
        int count = 0;
        foreach (var (what, edit, inverse) in Edits(doc))
        {
            var edited = edit(doc);
            Assert.NotEqual(doc.Text, edited.Text);
            // The edited text is YAML that keeps the line ending style.
            Assert.NotNull(edited.Root);
            if (variant == "crlf+bom")
            {
                Assert.DoesNotMatch("[^\r]\n", edited.Text);
                Assert.True(edited.ToBytes().AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }), what);
            }
            var back = inverse(edited);
            Assert.True(original.AsSpan().SequenceEqual(back.ToBytes()), $"{name} ({variant}): {what} then its inverse changed the file:\n{UnifiedDiff.Create(doc.Text, back.Text, name)}");
            count++;
        }
        Assert.True(count >= 6, $"{name}: only {count} edits ran");
    }

    private static (int Removed, int Added) Changed(YamlText a, YamlText b)
    {
        var script = UnifiedDiff.Script(a.Text, b.Text);
        return (script.Count(o => o.Op == '-'), script.Count(o => o.Op == '+'));
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void One_edit_touches_only_the_lines_it_must(string name, string variant, bool bom, string text)
    {
        var doc = YamlText.FromBytes(Bytes(text, bom));
        Assert.True(doc.Root != null, $"{name} ({variant}) is not YAML");
        var (seq, _) = ManifestEditor.Standalone(doc, "libraries");
        if (seq is { Flow: false, Items.Count: > 0 })
            Assert.Equal((0, 1), Changed(doc, ManifestEditor.AddStandalone(doc, "libraries", "zz-new")));
        else if (seq is { Flow: true })
            Assert.Equal((1, 1), Changed(doc, ManifestEditor.AddStandalone(doc, "libraries", "zz-new")));

        var groups = ManifestEditor.Group(doc, "libraries", "__none__").Groups;
        if (groups is { Flow: false, Entries.Count: > 0 })
            Assert.Equal((0, 3), Changed(doc, ManifestEditor.AddGroup(doc, "libraries", "zz-group", "opt", "A comment")));

        foreach (var g in groups?.Entries ?? new())
        {
            if ((g.Value as PMap)?.Get("selection")?.Value is PScalar { IsNull: false } sel)
            {
                // 1-of-N: the selection is replaced in place, one line (and the rest of that line, a comment, kept).
                var edited = ManifestEditor.SelectOne(doc, "libraries", g.Key.Value, "zz-other", null);
                Assert.Equal((1, 1), Changed(doc, edited));
                var oldLine = doc.Text[doc.LineStart(sel.Start)..doc.LineEndAfter(sel.End)];
                int ls = doc.LineStart(sel.Start);
                var newLine = edited.Text[ls..(edited.Text.IndexOf('\n', ls) + 1)];
                Assert.Equal(oldLine.Replace(sel.Value, "zz-other"), newLine);
            }
        }

        if (ManifestEditor.IndexOfStandalone(doc, "libraries", "langchain") >= 0)
            Assert.Equal((1, 1), Changed(doc, ManifestEditor.SetStandaloneMode(doc, "libraries", "langchain", "dev")));
    }

    [Fact]
    public void Inserted_entries_follow_the_files_own_style()
    {
        // Flow lists stay flow, block lists get the file's dash column and gap, quoting is kept on replace.
        var doc = new YamlText(Hostile.Replace("\r\n", "\n"));
        var a = ManifestEditor.AddStandalone(doc, "services", "cache");
        Assert.Contains("services: {standalone: [redis, 'postgres', cache], groups: {}}", a.Text);
        var b = ManifestEditor.AddStandalone(doc, "libraries", "new-lib");
        Assert.Contains("   - name: other\n     mode: prod\n   - new-lib\n# between sections", b.Text);
        var c = ManifestEditor.SelectOne(doc, "libraries", "vector-db-client", "milvus-adapter", null);
        Assert.Contains("selection: \"milvus-adapter\"   # selected", c.Text);
        var d = ManifestEditor.AddOption(doc, "libraries", "metrics", "recall", null);
        Assert.Contains("metrics: { selection: [accuracy, 'latency', recall] }", d.Text);
        var e = ManifestEditor.AddGroup(doc, "libraries", "llm", "openai", "Group for LLM clients");
        Assert.Contains("      metrics: { selection: [accuracy, 'latency'] }\n      # Group for LLM clients\n      llm:\n         selection: openai\n", e.Text);
        var f = ManifestEditor.AddGroup(doc, "services", "db", "postgres", null);
        Assert.Contains("groups: {db: { selection: postgres }}", f.Text);
        var g = ManifestEditor.SetModesKey(doc, "redis", "dev");
        Assert.Contains("modes: {qdrant: prod, redis: dev}", g.Text);

        var block = new YamlText(BlockEverything.Replace("\r\n", "\n"));
        var h = ManifestEditor.AddOption(block, "libraries", "g", "three", null);
        Assert.Contains("\n                - two\n                - three\n", h.Text);
        var i = ManifestEditor.AddStandalone(block, "libraries", "gamma");
        Assert.Contains("\n        -   beta\n        -   gamma\n", i.Text);
    }

    [Fact]
    public void New_sections_go_where_the_usual_order_puts_them()
    {
        var doc = new YamlText("project:\n  name: x\n\n# services\nservices:\n  standalone:\n    - redis\n");
        var a = ManifestEditor.AddStandalone(doc, "libraries", "qdrant-adapter");
        Assert.Equal("project:\n  name: x\n\nlibraries:\n  standalone:\n    - qdrant-adapter\n# services\nservices:\n  standalone:\n    - redis\n", a.Text);
        Assert.Equal(doc.Text, ManifestEditor.RemoveStandalone(a, "libraries", "qdrant-adapter").Text);
    }

    [Fact]
    public void M_of_N_appends_and_1_of_N_replaces()
    {
        var doc = new YamlText("project: { name: x }\nlibraries:\n  groups:\n    metrics:\n      selection: [a]\n    db:\n      selection: pg\n");
        var many = ManifestEditor.AddOption(doc, "libraries", "metrics", "b", null);
        Assert.Contains("selection: [a, b]", many.Text);
        var one = ManifestEditor.SelectOne(doc, "libraries", "db", "mysql", null);
        Assert.Contains("selection: mysql", one.Text);
        Assert.DoesNotContain("pg", one.Text);
        // A scalar M-of-N selection becomes a list that keeps the old option.
        var scalar = new YamlText("project: { name: x }\nlibraries:\n  groups:\n    metrics:\n      selection: a\n");
        Assert.Contains("selection: [a, b]", ManifestEditor.AddOption(scalar, "libraries", "metrics", "b", null).Text);
        // select replaces a block list item by item: the list stays block.
        var block = new YamlText("project: { name: x }\nlibraries:\n  groups:\n    metrics:\n      selection:\n        - a\n        - b\n");
        var sel = ManifestEditor.SetGroupKey(block, "libraries", "metrics", "selection", new YList { "b", "c" });
        Assert.Equal("project: { name: x }\nlibraries:\n  groups:\n    metrics:\n      selection:\n        - b\n        - c\n", sel.Text);
    }

    /// <summary>
    /// Removing the last option of a block selection leaves `selection: []` (nothing selected; a missing key would mean
    /// the group's default) and keeps what follows; it was refused ("Replacing a block collection is not a splice").
    /// </summary>
    [Theory]
    [InlineData("\n", true)]
    [InlineData("\r\n", true)]
    [InlineData("\n", false)]
    public void The_last_option_of_a_block_selection_is_removed_to_an_empty_list(string nl, bool finalBreak)
    {
        string T(string s) => s.Replace("\n", nl);
        var tail = finalBreak ? T("      mode: prod\n") : "      mode: prod";
        var doc = new YamlText(T("project: { name: x }\nlibraries:\n  groups:\n    metrics:\n      selection:\n        - a   # mine\n") + tail);
        var removed = ManifestEditor.RemoveOption(doc, "libraries", "metrics", "a", null);
        Assert.Equal(T("project: { name: x }\nlibraries:\n  groups:\n    metrics:\n      selection: []\n") + tail, removed.Text);
        // select that drops every item does the same; at the end of a file without a final line break, none is added.
        var last = new YamlText(T("project: { name: x }\nlibraries:\n  groups:\n    metrics:\n      selection:\n      - a") + (finalBreak ? nl : ""));
        var selected = ManifestEditor.SetGroupKey(last, "libraries", "metrics", "selection", new YList { "b" });
        Assert.Equal(T("project: { name: x }\nlibraries:\n  groups:\n    metrics:\n      selection:\n      - b") + (finalBreak ? nl : ""), selected.Text);
        var emptied = ManifestEditor.RemoveOption(last, "libraries", "metrics", "a", null);
        Assert.Equal(T("project: { name: x }\nlibraries:\n  groups:\n    metrics:\n      selection: []") + (finalBreak ? nl : ""), emptied.Text);
        Assert.Contains("selection: [a]", ManifestEditor.AddOption(emptied, "libraries", "metrics", "a", null).Text);
    }

    /// <summary>A group's registry comment is written above it and found again when the group is removed, whatever line breaks it holds.</summary>
    [Theory]
    [InlineData("Vector clients")]
    [InlineData("Vector clients\nsecond line")]
    [InlineData("Vector clients\rmodes: { a: dev }")]
    [InlineData("Vector clients\u2028x: y\u001b[2K")]
    public void A_group_comment_is_removed_with_its_group(string comment)
    {
        var doc = new YamlText("project: { name: x }\n");
        var added = ManifestEditor.AddGroup(doc, "libraries", "vdb", "a", comment);
        Assert.DoesNotContain(added.Text, c => c is '\r' or '\u2028' or '\u001b');
        Assert.Equal(comment.Split('\n', '\r', '\u2028').Length, added.Text.Split('\n').Count(l => l.TrimStart().StartsWith('#')));
        var removed = ManifestEditor.RemoveGroup(added, "libraries", "vdb", comment);
        Assert.Equal(doc.Text, removed.Text);
    }

    [Fact]
    public void Mode_of_a_plain_entry_becomes_a_flow_map_and_a_map_entry_gets_a_key()
    {
        var doc = new YamlText("project: { name: x }\nlibraries:\n  standalone:\n    - a   # keep me\n    - name: b\n      profile: p\n");
        var a = ManifestEditor.SetStandaloneMode(doc, "libraries", "a", "dev");
        Assert.Contains("    - { name: a, mode: dev }   # keep me\n", a.Text);
        var b = ManifestEditor.SetStandaloneMode(doc, "libraries", "b", "prod");
        Assert.EndsWith("    - name: b\n      profile: p\n      mode: prod\n", b.Text);
        var b2 = ManifestEditor.SetStandaloneMode(b, "libraries", "b", "dev");
        Assert.EndsWith("      mode: dev\n", b2.Text);
    }

    [Fact]
    public void An_edit_the_layout_cannot_take_is_refused_not_mangled()
    {
        var doc = new YamlText("project: { name: x }\noptions:\n  - implies: { a: b }\n    name: q\n");
        var opt = (PMap)((PSeq)((PMap)doc.Root!).Get("options")!.Value).Items[0];
        var e = Assert.Throws<EditException>(() => new YamlEditor(doc).Remove(opt, "implies"));
        Assert.Contains("shares its line", e.Message);
    }

    [Fact]
    public void Unified_diff_has_hunks_with_context()
    {
        var a = string.Concat(Enumerable.Range(1, 20).Select(i => $"line{i}\n"));
        var b = a.Replace("line10\n", "line10\nnew\n");
        var diff = UnifiedDiff.Create(a, b, "f.yaml");
        Assert.Equal("--- a/f.yaml\n+++ b/f.yaml\n@@ -8,6 +8,7 @@\n line8\n line9\n line10\n+new\n line11\n line12\n line13\n", diff);
    }

    /// <summary>`hsm mode --all` applies its edits as one batch of splices of the file as read: the same bytes as
    /// making them one after another, in every layout of the style corpus (flow, block, CRLF, BOM, comments).</summary>
    [Theory]
    [MemberData(nameof(Documents))]
    public void Mode_all_as_one_batch_writes_what_the_edits_one_by_one_write(string name, string variant, bool bom, string text)
    {
        var doc = new YamlText(text, bom);
        var d = new Hsm.Diagnostics.DiagnosticBag();
        var root = Hsm.Yaml.SafeYamlLoader.LoadText(text, "hsm.yaml", d);
        var manifest = root is null ? null : Hsm.Manifest.ManifestReader.Read(root, "hsm.yaml", d);
        if (manifest is null) return;
        foreach (var mode in new[] { "dev", "prod" })
        {
            string Outcome(Func<YamlText> f) { try { return f().Text; } catch (EditException e) { return "EditException " + e.Message; } }
            var oneByOne = Outcome(() => ManifestEditor.ModeEdits(manifest, mode).Aggregate(doc, (t, f) => f(t)));
            Assert.True(oneByOne == Outcome(() => ManifestEditor.SetAllModes(doc, manifest, mode)), $"{name} ({variant}), mode {mode}");
            if (name == "block-everything") // the batch itself, not its fallback, made it
                Assert.NotNull(doc.WithAll(ManifestEditor.ModeEdits(manifest, mode).Select(f => f(doc))));
        }
    }

    [Fact]
    public void A_batch_whose_edits_touch_is_refused_and_one_that_does_not_is_applied()
    {
        var doc = new YamlText("a: 1\nb: 2\nc: 3\n");
        Assert.Equal("a: 9\nb: 2\nc: 8\n", doc.WithAll(new[] { doc.With("a: 9\nb: 2\nc: 3\n"), doc.With("a: 1\nb: 2\nc: 8\n") })!.Text);
        Assert.Null(doc.WithAll(new[] { doc.With("a: 9\nb: 2\nc: 3\n"), doc.With("a: 1\nb: 2\nc: 3\nd: 4\n"), doc.With("a: 1\nb: 2\nc: 3\ne: 5\n") }));
    }

    [Fact]
    public void The_edit_script_is_shortest_and_turns_one_text_into_the_other()
    {
        var r = new Random(7);
        for (int round = 0; round < 2000; round++)
        {
            string Text() => string.Concat(Enumerable.Range(0, r.Next(12)).Select(_ => "abcd"[r.Next(4)] + "\n"));
            var (a, b) = (Text(), Text());
            var script = UnifiedDiff.Script(a, b);
            Assert.Equal(UnifiedDiff.Lines(a), script.Where(o => o.Op != '+').Select(o => o.Line));
            Assert.Equal(UnifiedDiff.Lines(b), script.Where(o => o.Op != '-').Select(o => o.Line));
            var x = UnifiedDiff.Lines(a); var y = UnifiedDiff.Lines(b);
            var lcs = new int[x.Length + 1, y.Length + 1];
            for (int i = x.Length - 1; i >= 0; i--)
                for (int j = y.Length - 1; j >= 0; j--)
                    lcs[i, j] = x[i] == y[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            Assert.Equal(lcs[0, 0], script.Count(o => o.Op == ' '));
            // In every changed block the removals come first.
            for (int i = 1; i < script.Count; i++) Assert.False(script[i - 1].Op == '+' && script[i].Op == '-', $"{a}|{b}");
        }
    }

    [Fact]
    public void A_diff_of_a_large_file_is_quick_and_small_even_when_rewritten()
    {
        // 30,000 lines with changes at both ends, then every line changed: Myers' search, capped (no n×m table).
        var a = string.Concat(Enumerable.Range(0, 30000).Select(i => $"# line {i}\n"));
        var near = "mode: dev\n" + a + "mode: dev\n";
        var diff = UnifiedDiff.Create(near, near.Replace("mode: dev", "mode: prod"), "hsm.yaml");
        Assert.Equal(2, diff.Split('\n').Count(l => l.StartsWith("@@", StringComparison.Ordinal)));
        var all = UnifiedDiff.Script(a, a.Replace("# line", "# Line"));
        Assert.Equal(60000, all.Count);
        Assert.True(all.Take(30000).All(o => o.Op == '-') && all.Skip(30000).All(o => o.Op == '+'));
    }

    [Fact]
    public void A_changed_line_is_printed_as_the_removal_then_the_addition()
    {
        var diff = UnifiedDiff.Create("a\nmode: prod\nb\n", "a\nmode: dev\nb\n", "hsm.yaml");
        Assert.Equal("--- a/hsm.yaml\n+++ b/hsm.yaml\n@@ -1,3 +1,3 @@\n a\n-mode: prod\n+mode: dev\n b\n", diff);
    }
}
