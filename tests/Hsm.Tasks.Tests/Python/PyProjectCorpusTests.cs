using System.Text.Json;
using Hsm.Diagnostics;
using Hsm.Python;
using Xunit;
using Xunit.Abstractions;
using static Hsm.Tests.Python.PyProjectTestSupport;

namespace Hsm.Tests.Python;

/// <summary>
/// The corpus of real-world pyproject.toml styles (Fixtures/pyproject/*.toml). For each: apply a dev path source,
/// a git tag source and a PyPI specifier with extras and markers, then prove that nothing else changed.
/// </summary>
public class PyProjectCorpusTests
{
    readonly ITestOutputHelper _out;
    public PyProjectCorpusTests(ITestOutputHelper output) => _out = output;

    public static IEnumerable<object[]> Fixtures() =>
        Directory.GetFiles(FixtureDir, "*.toml").Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal).Select(f => new object[] { f! });

    [SkippableFact]
    public void Corpus_has_at_least_twenty_styles() => Assert.True(Fixtures().Count() >= 20);

    [SkippableTheory]
    [MemberData(nameof(Fixtures))]
    public void Style_is_preserved(string fixture)
    {
        var problems = CheckStyle(fixture);
        Assert.True(problems.Count == 0, fixture + ":\n" + string.Join("\n", problems));
    }

    [SkippableFact]
    public void All_styles_preserved_summary()
    {
        var files = Fixtures().Select(f => (string)f[0]).ToList();
        var failed = new List<string>();
        foreach (var f in files)
        {
            var p = CheckStyle(f);
            if (p.Count > 0) failed.Add(f + ": " + string.Join(" | ", p));
        }
        var summary = $"{files.Count - failed.Count}/{files.Count} styles preserved";
        _out.WriteLine(summary);
        Console.WriteLine("pyproject corpus: " + summary);
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "pyproject-corpus-result.txt"), summary + "\n" + string.Join("\n", failed) + "\n");
        Assert.True(failed.Count == 0, summary + "\n" + string.Join("\n", failed));
    }

    static List<string> CheckStyle(string fixture)
    {
        var problems = new List<string>();
        var original = ReadRaw(Path.Combine(FixtureDir, fixture));

        // 1. apply
        var bag = new DiagnosticBag();
        var r1 = Apply(original, Standard, null, bag);
        if (bag.Items.Count > 0) problems.Add("diagnostics on apply: " + string.Join("; ", bag.Items));
        if (r1.NewText == null) { problems.Add("no text"); return problems; }
        var applied = r1.NewText;
        if (!r1.Changed) problems.Add("apply reported no change");
        if (original.StartsWith('\uFEFF') != applied.StartsWith('\uFEFF')) problems.Add("BOM not preserved");
        if (original.Contains("\r\n") && applied.Replace("\r\n", "").Contains('\n')) problems.Add("LF written into a CRLF file");

        // 2a. only insertions: the original is a subsequence of the result
        if (!IsSubsequence(original, applied)) problems.Add("original bytes were changed, not only added to");

        // 2b. byte-for-byte round trip: removing exactly the managed entries gives the original back
        var bag2 = new DiagnosticBag();
        var r2 = Apply(applied, Array.Empty<ManagedDependency>(), r1.Owned, bag2);
        if (bag2.Items.Count > 0) problems.Add("diagnostics on removal: " + string.Join("; ", bag2.Items));
        if (r2.NewText != original)
            problems.Add("round trip differs:\n--- original\n" + original + "\n--- after removal\n" + r2.NewText + "\n--- applied\n" + applied);
        if (r2.Owned.Entries.Count != 0 || r2.Owned.Created.Count != 0) problems.Add("something still owned after removal");

        // 2c. idempotent
        var bag3 = new DiagnosticBag();
        var r3 = Apply(applied, Standard, r1.Owned, bag3);
        if (r3.Changed || r3.NewText != applied || bag3.Items.Count > 0) problems.Add("second apply is not a no-op: " + string.Join("; ", bag3.Items));

        // 3. Python's view: tomllib, PEP 621/508, uv schema (check-pyproject), and a semantic diff
        var (ok, output) = Check(applied);
        if (!ok) problems.Add("check-pyproject: " + output + "\n" + applied);
        var sem = SemanticDiff(original, applied);
        if (sem != null) problems.Add("semantic diff: " + sem);
        return problems;
    }

    static string? SemanticDiff(string original, string applied)
    {
        SharedTools.Require(SharedTools.SharedDir != null, "../shared");
        var dir = Path.Combine(Path.GetTempPath(), "hsm-sem-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "a.toml"), original, Utf8);
            File.WriteAllText(Path.Combine(dir, "b.toml"), applied, Utf8);
            var managed = JsonSerializer.Serialize(new
            {
                requirements = Standard.Select(d => d.Requirement).ToArray(),
                sources = Standard.Where(d => d.SourceTable != null).ToDictionary(d => d.Package, d => d.SourceTable),
            });
            var (code, output) = SharedTools.Run("/usr/bin/python3",
                new[] { Path.Combine(FixtureDir, "semantic_diff.py"), Path.Combine(dir, "a.toml"), Path.Combine(dir, "b.toml"), managed });
            return code == 0 ? null : output;
        }
        finally { try { Directory.Delete(dir, true); } catch { } }
    }
}
