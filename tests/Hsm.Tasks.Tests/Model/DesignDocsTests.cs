using System.Text.RegularExpressions;
using Xunit;

namespace Hsm.Tests.Model;

/// <summary>
/// docs/design.md is the contract the code cites as "design §n": every section cited in src/ and tests/ is a
/// heading there, and no comment cites the external specification any more.
/// </summary>
public class DesignDocsTests
{
    private static readonly string[] Extensions = { ".cs", ".csproj", ".props", ".targets", ".cases" };

    private static IEnumerable<(string File, string Text)> SourceFiles()
    {
        foreach (var folder in new[] { "src", "tests" })
            foreach (var f in Directory.EnumerateFiles(Path.Combine(SharedTools.RepoRoot, folder), "*", SearchOption.AllDirectories))
            {
                var rel = Path.GetRelativePath(SharedTools.RepoRoot, f).Replace('\\', '/');
                if (rel.Contains("/bin/") || rel.Contains("/obj/") || !Extensions.Contains(Path.GetExtension(f))) continue;
                yield return (rel, File.ReadAllText(f));
            }
    }

    [Fact]
    public void Every_cited_section_is_a_heading_of_design_md()
    {
        var design = File.ReadAllText(Path.Combine(SharedTools.RepoRoot, "docs", "design.md"));
        var headings = Regex.Matches(design, @"^#{2,3} §(?<n>[0-9]+(?:\.[0-9]+)?) ", RegexOptions.Multiline)
            .Select(m => m.Groups["n"].Value).ToHashSet();
        for (var n = 1; n <= 12; n++) Assert.Contains(n.ToString(), headings);

        var missing = new List<string>();
        foreach (var (file, text) in SourceFiles())
            foreach (Match m in Regex.Matches(text, @"[Dd]esign §(?<n>[0-9]+(?:\.[0-9]+)?)"))
                if (!headings.Contains(m.Groups["n"].Value)) missing.Add($"{file}: §{m.Groups["n"].Value}");
        Assert.Empty(missing);
    }

    [Fact]
    public void No_comment_cites_the_external_specification()
    {
        var stale = SourceFiles()
            .Where(f => Regex.IsMatch(f.Text, @"\b[Ss]pec\s§|hsm-spec\.md"))
            .Select(f => f.File).ToList();
        Assert.Empty(stale);
    }
}
