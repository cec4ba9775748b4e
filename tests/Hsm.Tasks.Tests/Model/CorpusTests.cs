using System.Diagnostics;
using System.Text;
using Hsm.Diagnostics;
using Xunit;

namespace Hsm.Tests.Model;

/// <summary>
/// The malformed-input corpus (Fixtures/model/corpus/*.cases): each case overlays files on the base
/// project (Fixtures/model/base) and lists the diagnostics it must produce as
/// <c>expect: CODE file line col</c>. The errors produced must be exactly the expected ones (so a
/// problem is reported once, at its node, and nothing else fails); expected warnings must be present.
/// Format: <c>### name</c>, then <c>expect:</c> lines, then <c>=== path</c> blocks with the file text
/// (<c>=== path !delete</c> removes a base file; <c>&lt;TAB&gt;</c> stands for a tab character).
/// </summary>
public class CorpusTests
{
    public sealed record Expect(string Code, string File, int Line, int Column)
    {
        public override string ToString() => $"{Code} {File}({Line},{Column})";
    }

    public sealed class Case
    {
        public string Name = "";
        public string Source = "";
        public List<Expect> Expects = new();
        public List<(string Path, string? Text)> Files = new();
        public string? Mode;
        public override string ToString() => Name;
    }

    public static IEnumerable<Case> LoadCases()
    {
        var dir = Path.Combine(ModelKit.FixtureRoot, "corpus");
        foreach (var file in Directory.EnumerateFiles(dir, "*.cases").OrderBy(f => f, StringComparer.Ordinal))
        {
            Case? c = null;
            (string Path, StringBuilder Text)? block = null;
            void EndBlock()
            {
                if (block is { } b && c != null)
                {
                    var text = b.Text.ToString().Replace("<TAB>", "\t");
                    c.Files.Add((b.Path, text));
                }
                block = null;
            }
            foreach (var raw in File.ReadAllLines(file))
            {
                if (raw.StartsWith("### ", StringComparison.Ordinal))
                {
                    EndBlock();
                    if (c != null) yield return c;
                    c = new Case { Name = raw[4..].Trim(), Source = Path.GetFileName(file) };
                    continue;
                }
                if (c is null) continue;
                if (raw.StartsWith("=== ", StringComparison.Ordinal))
                {
                    EndBlock();
                    var spec = raw[4..].Trim();
                    if (spec.EndsWith(" !delete", StringComparison.Ordinal)) c.Files.Add((spec[..^8].Trim(), null));
                    else block = (spec, new StringBuilder());
                    continue;
                }
                if (block is { } bl) { bl.Text.Append(raw).Append('\n'); continue; }
                if (raw.StartsWith("expect:", StringComparison.Ordinal))
                {
                    var p = raw[7..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    c.Expects.Add(new Expect(p[0], string.Join(' ', p[1..^2]), int.Parse(p[^2]), int.Parse(p[^1])));
                }
                else if (raw.StartsWith("mode:", StringComparison.Ordinal)) c.Mode = raw[5..].Trim();
            }
            EndBlock();
            if (c != null) yield return c;
        }
    }

    private static readonly Lazy<Dictionary<string, Case>> Cases = new(() =>
    {
        var all = new Dictionary<string, Case>(StringComparer.Ordinal);
        foreach (var c in LoadCases())
            if (!all.TryAdd(c.Name, c)) throw new InvalidOperationException($"Corpus case '{c.Name}' is defined twice.");
        return all;
    });

    public static IEnumerable<object[]> CaseNames() => Cases.Value.Keys.OrderBy(k => k, StringComparer.Ordinal).Select(k => new object[] { k });

    public static (List<Diagnostic> Diagnostics, TimeSpan Elapsed) RunCase(Case c)
    {
        var dir = ModelKit.Project("base");
        try
        {
            foreach (var (path, text) in c.Files)
            {
                var full = Path.Combine(dir, path);
                if (text is null) { if (Directory.Exists(full)) Directory.Delete(full, true); else File.Delete(full); continue; }
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllText(full, text, new UTF8Encoding(false));
            }
            var sw = Stopwatch.StartNew();
            var (_, d) = ModelKit.Resolve(dir, c.Mode, wholeRegistry: true);
            return (d.Items.ToList(), sw.Elapsed);
        }
        finally { ModelKit.TryDelete(dir); }
    }

    [Fact]
    public void Corpus_has_at_least_150_cases_each_with_an_expectation()
    {
        Assert.True(Cases.Value.Count >= 150, $"only {Cases.Value.Count} cases");
        Assert.All(Cases.Value.Values, c => Assert.NotEmpty(c.Expects));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Malformed_input_gives_its_diagnostic_at_its_node(string name)
    {
        var c = Cases.Value[name];
        var (ds, elapsed) = RunCase(c);
        var got = ds.Select(x => new Expect(x.Code, x.Span.File ?? "", x.Span.Line, x.Span.Column)).ToList();
        var report = $"case '{c.Name}' ({c.Source}) produced:\n{ModelKit.Format(ds)}";
        foreach (var e in c.Expects) Assert.True(got.Contains(e), $"missing {e}; {report}");
        var unexpected = ds.Where(x => x.Severity == Severity.Error)
            .Select(x => new Expect(x.Code, x.Span.File ?? "", x.Span.Line, x.Span.Column))
            .Where(x => !c.Expects.Contains(x)).ToList();
        Assert.True(unexpected.Count == 0, $"unexpected errors {string.Join(", ", unexpected)}; {report}");
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"case '{c.Name}' took {elapsed}");
        Assert.DoesNotContain(ds, x => x.Code == Codes.Internal);
    }

    [Fact]
    public void Base_project_resolves_cleanly()
    {
        var dir = ModelKit.Project("base");
        try
        {
            var (stack, d) = ModelKit.Resolve(dir);
            Assert.False(d.HasErrors, ModelKit.Format(d.Items));
            Assert.NotNull(stack);
            Assert.Equal(new[] { "langchain", "qdrant-adapter" }, stack!.Libraries.Select(l => l.Name));
            Assert.Equal(new[] { "qdrant", "redis" }, stack.Services.Select(s => s.Name));
        }
        finally { ModelKit.TryDelete(dir); }
    }
}
