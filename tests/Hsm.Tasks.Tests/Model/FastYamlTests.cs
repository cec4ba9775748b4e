using System.Text;
using Hsm.Benchmarks;
using Hsm.Diagnostics;
using Hsm.Yaml;
using Xunit;
using Xunit.Abstractions;

namespace Hsm.Tests.Model;

/// <summary>
/// The YAML fast path (issue 16) against the YamlDotNet path: for every input it either bails or builds the
/// very same tree (values, styles, files, lines, columns, entry order), and it never succeeds where
/// YamlDotNet reports anything. Inputs: every YAML file of the repository, the YAML blocks of the docs and the
/// malformed-input corpus, a generated stack with its hsm.lock, and thousands of mutations of those.
/// </summary>
public sealed class FastYamlTests
{
    private readonly ITestOutputHelper _out;
    public FastYamlTests(ITestOutputHelper output) { _out = output; }

    /// <summary>Null when the property holds; Fast says whether the fast path read the text.</summary>
    internal static (bool Fast, string? Problem) Check(string text, string label)
    {
        var d = new DiagnosticBag();
        var slow = SafeYamlLoader.LoadWithYamlDotNet(text, label, d);
        bool ok;
        YNode? fast;
        try { ok = FastYamlReader.TryRead(text, label, out fast); }
        catch (Exception e) { return (false, $"the fast path threw {e}"); }
        if (!ok) return (false, null);
        if (d.Items.Count > 0)
            return (true, "the fast path read a text where YamlDotNet reports: " + string.Join("; ", d.Items.Select(x => $"{x.Span} {x.Code} {x.Message}")));
        return (true, Diff(fast, slow, "$"));
    }

    /// <summary>The first difference between two trees, or null.</summary>
    internal static string? Diff(YNode? a, YNode? b, string path)
    {
        if (a is null || b is null) return a is null && b is null ? null : $"{path}: fast {Show(a)}, YamlDotNet {Show(b)}";
        if (a.GetType() != b.GetType() || a.File != b.File || a.Line != b.Line || a.Column != b.Column)
            return $"{path}: fast {Show(a)}, YamlDotNet {Show(b)}";
        switch (a)
        {
            case YScalar sa:
            {
                var sb = (YScalar)b;
                return sa.Value == sb.Value && sa.Plain == sb.Plain ? null : $"{path}: fast {Show(a)}, YamlDotNet {Show(b)}";
            }
            case YSequence qa:
            {
                var qb = (YSequence)b;
                if (qa.Items.Count != qb.Items.Count) return $"{path}: fast {qa.Items.Count} items, YamlDotNet {qb.Items.Count}";
                for (int i = 0; i < qa.Items.Count; i++)
                    if (Diff(qa.Items[i], qb.Items[i], $"{path}[{i}]") is { } d) return d;
                return null;
            }
            default:
            {
                var ma = (YMapping)a; var mb = (YMapping)b;
                if (ma.Entries.Count != mb.Entries.Count) return $"{path}: fast {ma.Entries.Count} entries, YamlDotNet {mb.Entries.Count}";
                for (int i = 0; i < ma.Entries.Count; i++)
                {
                    if (Diff(ma.Entries[i].Key, mb.Entries[i].Key, $"{path}.key{i}") is { } dk) return dk;
                    if (Diff(ma.Entries[i].Value, mb.Entries[i].Value, $"{path}.{ma.Entries[i].Key.Value}") is { } dv) return dv;
                }
                return null;
            }
        }
    }

    private static string Show(YNode? n) => n switch
    {
        null => "null",
        YScalar s => $"scalar {(s.Plain ? "plain" : "quoted")} '{s.Value}' at {s.File}({s.Line},{s.Column})",
        _ => $"{n.KindName} at {n.File}({n.Line},{n.Column})",
    };

    /// <summary>Every YAML text of the repository: files, the docs' yaml blocks, the corpus's YAML files.</summary>
    internal static List<(string Label, string Text)> RepositoryTexts()
    {
        var root = SharedTools.RepoRoot;
        var result = new List<(string, string)>();
        var skip = new[] { "/bin/", "/obj/", "/.git/", "/node_modules/" };
        foreach (var f in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var rel = Path.GetRelativePath(root, f).Replace('\\', '/');
            if (skip.Any(s => ("/" + rel).Contains(s, StringComparison.Ordinal))) continue;
            var ext = Path.GetExtension(f);
            if (ext is ".yaml" or ".yml" || Path.GetFileName(f) == "hsm.lock")
                result.Add((rel, File.ReadAllText(f).TrimStart('\uFEFF')));
            else if (ext == ".md")
            {
                // ```yaml blocks of the docs
                var lines = File.ReadAllLines(f);
                for (int i = 0; i < lines.Length; i++)
                {
                    if (!lines[i].TrimStart().StartsWith("```yaml", StringComparison.Ordinal)) continue;
                    var fence = lines[i].Length - lines[i].TrimStart().Length;
                    var sb = new StringBuilder();
                    int j = i + 1;
                    for (; j < lines.Length && !lines[j].TrimStart().StartsWith("```", StringComparison.Ordinal); j++)
                        sb.Append(lines[j].Length >= fence ? lines[j][fence..] : lines[j].TrimStart()).Append('\n');
                    result.Add(($"{rel}:{i + 1}", sb.ToString()));
                    i = j;
                }
            }
        }
        foreach (var c in CorpusTests.LoadCases())
            foreach (var (path, text) in c.Files)
                if (text is not null && (path.EndsWith(".yaml", StringComparison.Ordinal) || path.EndsWith(".yml", StringComparison.Ordinal) || path.EndsWith("hsm.lock", StringComparison.Ordinal)))
                    result.Add(($"corpus:{c.Name}:{path}", text));
        var shared = Path.GetFullPath(Path.Combine(root, "..", "shared", "reference"));
        if (Directory.Exists(shared))
            foreach (var f in Directory.EnumerateFiles(shared, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                if (Path.GetExtension(f) is ".yaml" or ".yml") result.Add((f, File.ReadAllText(f)));
        return result;
    }

    /// <summary>A generated stack of 100 (every registry file, hsm.yaml, and the hsm.lock and Compose file of a pipeline run).</summary>
    internal static List<(string Label, string Text)> GeneratedTexts(string dir, int n)
    {
        var g = StackGenerator.Generate(dir, n, 42);
        new InProcessPipeline(g.Directory, Path.Combine(dir, "obj-hsm")).RunAll(new DiagnosticBag());
        return Directory.EnumerateFiles(g.Directory, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetExtension(f) is ".yaml" or ".yml" || Path.GetFileName(f) == "hsm.lock")
            .Order(StringComparer.Ordinal)
            .Select(f => (Path.GetRelativePath(g.Directory, f).Replace('\\', '/'), File.ReadAllText(f)))
            .ToList();
    }

    [Fact]
    public void Repository_yaml_either_bails_or_reads_the_same_tree()
    {
        var texts = RepositoryTexts();
        int fast = 0;
        var problems = new List<string>();
        foreach (var (label, text) in texts)
        {
            var (f, problem) = Check(text, label);
            if (f) fast++;
            if (problem is not null) problems.Add($"{label}: {problem}");
        }
        _out.WriteLine($"{texts.Count} texts: {fast} read by the fast path, {texts.Count - fast} bailed");
        foreach (var (label, text) in texts)
            if (!label.StartsWith("corpus:", StringComparison.Ordinal) && !FastYamlReader.TryRead(text, label, out _)) _out.WriteLine("bailed: " + label);
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
        Assert.True(texts.Count > 300 && fast > 100, $"{texts.Count} texts, {fast} fast");
    }

    [Fact]
    public void Generated_stack_is_read_by_the_fast_path_with_the_same_tree()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hsm-fastyaml-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var texts = GeneratedTexts(dir, 100);
            int fast = 0;
            foreach (var (label, text) in texts)
            {
                var (f, problem) = Check(text, label);
                Assert.True(problem is null, $"{label}: {problem}");
                if (f) fast++;
                else if (label.StartsWith("hsm-registry/", StringComparison.Ordinal) || label is "hsm.yaml" or "hsm.lock")
                    Assert.Fail($"{label} is not read by the fast path:\n{text}");
            }
            _out.WriteLine($"{texts.Count} generated texts: {fast} read by the fast path");
            Assert.Contains(texts, t => t.Label == "hsm.lock");
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    private const string Alphabet = ":-#'\"&*!|>[]{},?% \t\r\n\\<~.abcxyz019é—\u00A0\u3000/_$=";
    private static readonly string[] Snippets =
    {
        "- ", ": ", " #", "#", "'", "\"", "''", "&a ", "*a", "!!str ", "|\n", ">-\n", "<<: ", "? ", "---\n", "...\n", "[", "{", "}", "]",
        "  ", "\t", "\r\n", "\r", "\n", "- - ", "-\n", ":\n", "key: ", "a: b\n", "\"x\": ", "'y': ", "%YAML 1.2\n", "\uFEFF", "\u0085", "\u2028",
        "\\n", "\\\"", "@", "`", "x:y", "-1", ": -", "#c\n", "   # c\n", "\n\n",
    };

    /// <summary>One random edit: a character or snippet inserted, deleted or replaced, a line re-indented, duplicated, swapped or removed.</summary>
    internal static string Mutate(string text, Random r)
    {
        int pos = text.Length == 0 ? 0 : r.Next(text.Length + 1);
        switch (r.Next(9))
        {
            case 0: return text.Insert(pos, Alphabet[r.Next(Alphabet.Length)].ToString());
            case 1: return text.Insert(pos, Snippets[r.Next(Snippets.Length)]);
            case 2: return text.Length == 0 ? text : text.Remove(Math.Min(pos, text.Length - 1), 1 + r.Next(Math.Min(3, text.Length - Math.Min(pos, text.Length - 1))));
            case 3: return text.Length == 0 ? text : text.Remove(Math.Min(pos, text.Length - 1), 1).Insert(Math.Min(pos, text.Length - 1), Alphabet[r.Next(Alphabet.Length)].ToString());
        }
        var lines = text.Split('\n').ToList();
        int i = r.Next(lines.Count);
        switch (r.Next(5))
        {
            case 0: lines[i] = new string(' ', 1 + r.Next(4)) + lines[i]; break;
            case 1: lines[i] = lines[i].TrimStart(' ').PadLeft(lines[i].TrimStart(' ').Length + Math.Max(0, lines[i].Length - lines[i].TrimStart(' ').Length - 1 - r.Next(2))); break;
            case 2: lines.Insert(i, lines[i]); break;
            case 3: if (i + 1 < lines.Count) (lines[i], lines[i + 1]) = (lines[i + 1], lines[i]); break;
            default: lines.RemoveAt(i); break;
        }
        return string.Join('\n', lines);
    }

    internal static (int Cases, int Fast, List<string> Problems) Fuzz(List<(string Label, string Text)> seeds, int cases, int seed)
    {
        var r = new Random(seed);
        int fast = 0;
        var problems = new List<string>();
        for (int c = 0; c < cases; c++)
        {
            var (label, text) = seeds[r.Next(seeds.Count)];
            int edits = 1 + r.Next(3);
            for (int e = 0; e < edits; e++) text = Mutate(text, r);
            var (f, problem) = Check(text, label);
            if (f) fast++;
            if (problem is not null && problems.Count < 10)
                problems.Add($"case {c} (from {label}): {problem}\n--- text ---\n{text}\n------------");
        }
        return (cases, fast, problems);
    }

    private static readonly string[] Words = { "a", "name", "x1", "service:svc-1", "lib-00001", "https://h/p", "-p", "a b", "é", "~", "null", "1.0", "k=v", "$X", "<2" };

    private static string RandomScalar(Random r, bool key, int suffix = -1)
    {
        var w = Words[r.Next(Words.Length)] + (suffix >= 0 ? suffix.ToString() : "");
        return r.Next(6) switch
        {
            0 => $"\"{w}\"",
            1 => $"'{w}'",
            2 when !key => $"{{ {Words[r.Next(3)]}: {w}, q: [1, \"2\"] }}",
            3 when !key => $"[{w}, x]",
            4 when !key => "",
            _ => w,
        };
    }

    /// <summary>A random document of the subset's shapes (nested and compact maps, indented and indentless sequences, flow values).</summary>
    internal static string RandomDocument(Random r)
    {
        var sb = new StringBuilder();
        void Node(int ind, int depth, bool inSeq)
        {
            if (depth > 4 || r.Next(3) == 0) { sb.Append(' ').Append(RandomScalar(r, false)).Append(r.Next(5) == 0 ? "  # c\n" : "\n"); return; }
            if (r.Next(2) == 0) Map(ind + 1 + r.Next(3), depth, false);
            else Seq(ind + (r.Next(2) == 0 && !inSeq ? 0 : 1 + r.Next(2)), depth);
        }
        void Map(int ind, int depth, bool inline)
        {
            if (!inline) sb.Append('\n');
            int n = 1 + r.Next(3);
            for (int i = 0; i < n; i++)
            {
                if (!(inline && i == 0)) sb.Append(' ', ind);
                sb.Append(RandomScalar(r, true, i)).Append(':');
                Node(ind, depth + 1, false);
            }
        }
        void Seq(int ind, int depth)
        {
            sb.Append('\n');
            int n = 1 + r.Next(3);
            for (int i = 0; i < n; i++)
            {
                sb.Append(' ', ind).Append('-');
                if (r.Next(3) == 0) { sb.Append(' '); Map(ind + 2, depth + 1, inline: true); }
                else Node(ind, depth + 1, true);
            }
        }
        Map(0, 0, inline: true);
        return r.Next(4) == 0 ? sb.ToString().Replace("\n", "\r\n") : sb.ToString();
    }

    /// <summary>Seeds for the fuzzer: the repository's texts the fast path reads, random documents of the subset, and a few generated registry files and a lock.</summary>
    private static List<(string Label, string Text)> FuzzSeeds(string dir)
    {
        var seeds = RepositoryTexts().Where(t => t.Text.Length < 4000 && FastYamlReader.TryRead(t.Text, t.Label, out _)).ToList();
        var r = new Random(7);
        for (int i = 0; i < 200; i++) seeds.Add(($"random-{i}.yaml", RandomDocument(r)));
        var gen = GeneratedTexts(dir, 30);
        seeds.AddRange(gen.Where(t => t.Label.StartsWith("hsm-registry/", StringComparison.Ordinal)).Take(40));
        seeds.AddRange(gen.Where(t => t.Label is "hsm.yaml" or "hsm.lock"));
        return seeds;
    }

    [Fact]
    public void Random_documents_of_the_subset_are_read_by_the_fast_path_with_the_same_tree()
    {
        var r = new Random(3);
        int fast = 0, n = 2000;
        for (int i = 0; i < n; i++)
        {
            var text = RandomDocument(r);
            var (f, problem) = Check(text, "random.yaml");
            Assert.True(problem is null, $"{problem}\n--- text ---\n{text}");
            if (f) fast++;
        }
        _out.WriteLine($"{n} random documents: {fast} read by the fast path");
        Assert.True(fast > n * 9 / 10, $"only {fast} of {n} read by the fast path");
    }

    [Fact]
    public void Mutated_yaml_either_bails_or_reads_the_same_tree()
    {
        // HSM_YAML_FUZZ=<cases> runs more locally (the committed count keeps the test fast).
        int cases = int.TryParse(Environment.GetEnvironmentVariable("HSM_YAML_FUZZ"), out var n) ? n : 4000;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("HSM_YAML_FUZZ_SEED"), out var s) ? s : 16;
        var dir = Path.Combine(Path.GetTempPath(), "hsm-fastyaml-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var seeds = FuzzSeeds(dir);
            var (total, fast, problems) = Fuzz(seeds, cases, seed);
            _out.WriteLine($"{seeds.Count} seeds, {total} mutated cases (seed {seed}): {fast} read by the fast path, {total - fast} bailed");
            Assert.True(problems.Count == 0, string.Join("\n", problems));
            Assert.True(fast > total / 10 && total - fast > total / 10, $"fast {fast} of {total}: the mutations should exercise both paths");
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("a: 1\n")]
    [InlineData("a:\n  b: 1\n  c:\n  - x\n  - y: 1\n    z: '2'\n")]
    [InlineData("# only a comment\n")]
    [InlineData("")]
    [InlineData("a:\r\n  - \"q\"\r\n  -\r\n  - 'it''s'\r\nb: # c\r\n")]
    [InlineData("- a\n- b: c\n  d:\n    - e\n-\n  f: g\n")]
    [InlineData("  a: 1\n  b: x y # c\n")]
    [InlineData("k: -1\nl: a:b\nm: x #y\nn: é—ü\n")]
    [InlineData("a: [1, \"2\", [x, {}], {b: c, 'd': [e]}]\nb: { x: 1, y: ' z ' }  # c\n")]
    [InlineData("- { name: a, mode: dev }\n- [a]\n- []\n")]
    [InlineData("a: \"x\\ny\\t\\\"q\\\" \\\\ \\/\"\n")]
    [InlineData("a: { type: git, url: https://git.example.invalid/org/x.git, tag: v1.3.0, p: 80:80 }\n")]
    public void Simple_files_take_the_fast_path(string text)
    {
        var (fast, problem) = Check(text, "t.yaml");
        Assert.Null(problem);
        Assert.True(fast);
    }

    [Theory]
    [InlineData("a: &x 1\nb: *x\n")]
    [InlineData("a: [1, 2,]\n")]
    [InlineData("a: {b: 1\n")]
    [InlineData("a: [b: 1]\n")]
    [InlineData("a: [x: y]\n")]
    [InlineData("a: |\n  x\n")]
    [InlineData("a: >\n  x\n")]
    [InlineData("a: b\n  c\n")]
    [InlineData("a: 1\na: 2\n")]
    [InlineData("<<: x\n")]
    [InlineData("---\na: 1\n")]
    [InlineData("a: 1\n...\n")]
    [InlineData("? a\n: 1\n")]
    [InlineData("a:\tb\n")]
    [InlineData("a: !!str 1\n")]
    [InlineData("a: \"x\\uy\"\n")]
    [InlineData("a: 'x\n  y'\n")]
    [InlineData("%YAML 1.2\n---\na: 1\n")]
    [InlineData("a: b: c\n")]
    [InlineData("a:\n    b: 1\n  c: 2\n")]
    [InlineData("- - a\n")]
    [InlineData("plain scalar\n")]
    public void Other_yaml_bails(string text)
    {
        var (fast, problem) = Check(text, "t.yaml");
        Assert.Null(problem);
        Assert.False(fast);
    }

    [Fact]
    public void Nesting_at_the_depth_limit_bails()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < SafeYamlLoader.MaxDepth + 2; i++) sb.Append(new string(' ', i)).Append("k:\n");
        var (fast, problem) = Check(sb.ToString(), "t.yaml");
        Assert.Null(problem);
        Assert.False(fast);
        var d = new DiagnosticBag();
        Assert.Null(SafeYamlLoader.LoadText(sb.ToString(), "t.yaml", d));
        Assert.Contains(d.Items, x => x.Code == Codes.NestingTooDeep);
    }
}
