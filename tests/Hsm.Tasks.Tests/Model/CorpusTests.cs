using System.Diagnostics;
using System.Text;
using Hsm.Diagnostics;
using Hsm.Tests;
using Hsm.Tests.Safety;
using Xunit;

namespace Hsm.Tests.Model;

/// <summary>
/// The malformed-input corpus (Fixtures/model/corpus/*.cases): each case overlays files on the base
/// project (Fixtures/model/base) and lists the diagnostics it must produce as
/// <c>expect: CODE file line col</c>. The errors produced must be exactly the expected ones (so a
/// problem is reported once, at its node, and nothing else fails); expected warnings must be present.
/// Format: <c>### name</c>, then <c>expect:</c> lines, then <c>=== path</c> blocks with the file text
/// (<c>=== path !delete</c> removes a base file; <c>&lt;TAB&gt;</c> stands for a tab character).
/// Special files (design §9): <c>=== path !fifo</c>, <c>!socket</c>, <c>!dir</c>, <c>!symlink target</c> create
/// them instead of a file; <c>=== path !readonly</c> writes the text that follows and makes the file
/// read-only; <c>=== path !readonly-dir</c> makes a folder read-only. A case with <c>stage: true</c> also
/// stages and commits (uv off) when it resolves. Every case must leave the project exactly as it was
/// (same entries, kinds, bytes and times outside obj/), whatever it reports.
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
        /// <summary>(path, kind, argument): fifo | socket | dir | symlink | readonly | readonly-dir, applied after the files.</summary>
        public List<(string Path, string Kind, string? Arg)> Specials = new();
        public bool Stage;
        /// <summary>Codes that must not be reported at all (<c>absent: CODE</c>), e.g. a warning that allow_privileged silences.</summary>
        public List<string> Absent = new();
        /// <summary>Texts no diagnostic may contain (<c>hidden: TEXT</c>): secrets read from env files and external maps.</summary>
        public List<string> Hidden = new();
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
                    var bang = spec.IndexOf(" !", StringComparison.Ordinal);
                    var special = bang < 0 ? null : spec[(bang + 2)..].Trim();
                    var target = bang < 0 ? spec : spec[..bang].Trim();
                    if (special == "delete") c.Files.Add((target, null));
                    else if (special is null) block = (spec, new StringBuilder());
                    else
                    {
                        var parts = special.Split(' ', 2);
                        c.Specials.Add((target, parts[0], parts.Length > 1 ? parts[1] : null));
                        if (parts[0] == "readonly") block = (target, new StringBuilder());
                    }
                    continue;
                }
                if (block is { } bl) { bl.Text.Append(raw).Append('\n'); continue; }
                if (raw.StartsWith("expect:", StringComparison.Ordinal))
                {
                    var p = raw[7..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    c.Expects.Add(new Expect(p[0], string.Join(' ', p[1..^2]), int.Parse(p[^2]), int.Parse(p[^1])));
                }
                else if (raw.StartsWith("mode:", StringComparison.Ordinal)) c.Mode = raw[5..].Trim();
                else if (raw.StartsWith("stage:", StringComparison.Ordinal)) c.Stage = raw[6..].Trim() == "true";
                else if (raw.StartsWith("absent:", StringComparison.Ordinal)) c.Absent.Add(raw[7..].Trim());
                else if (raw.StartsWith("hidden:", StringComparison.Ordinal)) c.Hidden.Add(raw[7..].Trim());
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

    public static (List<Diagnostic> Diagnostics, TimeSpan Elapsed) RunCase(Case c) => RunCase(c, out _);

    /// <summary>Runs a case; <paramref name="changed"/> lists the project entries that differ afterwards (must be none).</summary>
    public static (List<Diagnostic> Diagnostics, TimeSpan Elapsed) RunCase(Case c, out List<string> changed)
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
            SpecialFiles.Apply(dir, c.Specials);
            var before = SpecialFiles.Snapshot(dir);
            var sw = Stopwatch.StartNew();
            var (stack, d) = ModelKit.Resolve(dir, c.Mode, wholeRegistry: true);
            if (c.Stage && stack != null && !d.HasErrors) SpecialFiles.StageAndCommit(dir, stack, d);
            var elapsed = sw.Elapsed;
            var after = SpecialFiles.Snapshot(dir);
            changed = before.Keys.Union(after.Keys).Where(k => before.GetValueOrDefault(k) != after.GetValueOrDefault(k))
                .Select(k => $"{k}: {before.GetValueOrDefault(k) ?? "(none)"} -> {after.GetValueOrDefault(k) ?? "(none)"}").ToList();
            return (d.Items.ToList(), elapsed);
        }
        finally { SpecialFiles.Restore(dir); ModelKit.TryDelete(dir); }
    }

    [Fact]
    public void Corpus_has_at_least_150_cases_each_with_an_expectation()
    {
        Assert.True(Cases.Value.Count >= 150, $"only {Cases.Value.Count} cases");
        Assert.All(Cases.Value.Values, c => Assert.True(c.Expects.Count + c.Absent.Count > 0, $"case '{c.Name}' asserts nothing"));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Malformed_input_gives_its_diagnostic_at_its_node(string name)
    {
        var c = Cases.Value[name];
        // Hang guard (a FIFO must never block): generous, and only there so a regression fails instead of hanging the run.
        var run = System.Threading.Tasks.Task.Run(() => { var r = RunCase(c, out var changed); return (r.Diagnostics, r.Elapsed, changed); });
        var (ds, elapsed, changedEntries) = await run.WaitAsync(TimeSpan.FromMinutes(2)); // TimeoutException: a blocking read
        Assert.True(changedEntries.Count == 0, $"case '{c.Name}' changed the project: {string.Join("; ", changedEntries)}");
        var got = ds.Select(x => new Expect(x.Code, x.Span.File ?? "", x.Span.Line, x.Span.Column)).ToList();
        var report = $"case '{c.Name}' ({c.Source}) produced:\n{ModelKit.Format(ds)}";
        foreach (var e in c.Expects) Assert.True(got.Contains(e), $"missing {e}; {report}");
        var unexpected = ds.Where(x => x.Severity == Severity.Error)
            .Select(x => new Expect(x.Code, x.Span.File ?? "", x.Span.Line, x.Span.Column))
            .Where(x => !c.Expects.Contains(x)).ToList();
        Assert.True(unexpected.Count == 0, $"unexpected errors {string.Join(", ", unexpected)}; {report}");
        Assert.True(elapsed < HangGuard.Limit, $"case '{c.Name}' took {elapsed}");
        Assert.DoesNotContain(ds, x => x.Code == Codes.Internal);
        foreach (var code in c.Absent) Assert.False(ds.Any(x => x.Code == code), $"{code} must not be reported; {report}");
        foreach (var text in c.Hidden) Assert.False(ds.Any(x => (x.Message + x.Span).Contains(text, StringComparison.Ordinal)), $"a diagnostic quotes '{text}'; {report}");
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
