using System.Reflection;
using System.Text.RegularExpressions;
using Hsm.Diagnostics;
using Xunit;

namespace Hsm.Tests.Model;

/// <summary>docs/errors/HSMnnnn.md exists for every code of Codes.cs, and every page has a code.</summary>
public class DocsTests
{
    private static readonly string Docs = Path.Combine(SharedTools.RepoRoot, "docs");

    private static Dictionary<string, string> CodeValues() => typeof(Codes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);

    [Fact]
    public void Codes_are_unique_and_well_formed()
    {
        var values = CodeValues().Values.ToList();
        Assert.Equal(values.Count, values.Distinct().Count());
        Assert.All(values, v => Assert.Matches("^HSM[1-9][0-9]{3}$", v));
    }

    [Fact]
    public void Every_code_has_a_page_with_cause_example_and_fix()
    {
        foreach (var (name, code) in CodeValues())
        {
            var page = Path.Combine(Docs, "errors", code + ".md");
            Assert.True(File.Exists(page), $"{name} ({code}) has no page {page}");
            var text = File.ReadAllText(page);
            Assert.StartsWith($"# {code}", text);
            foreach (var section in new[] { "## Cause", "## Example", "## Fix" }) Assert.Contains(section, text);
        }
    }

    /// <summary>Each page's Example shows a real message of its code (no `...` placeholder message, no `(...)`) and its Fix says what to do.</summary>
    [Fact]
    public void Every_page_has_a_real_example_and_fix()
    {
        var bad = new List<string>();
        foreach (var page in Directory.EnumerateFiles(Path.Combine(Docs, "errors"), "HSM*.md").OrderBy(p => p, StringComparer.Ordinal))
        {
            var code = Path.GetFileNameWithoutExtension(page);
            var text = File.ReadAllText(page);
            var example = Section(text, "## Example");
            var fix = Section(text, "## Fix");
            if (!Regex.IsMatch(example, $@"\b(error|warning|message) {code}: \S")) bad.Add($"{code}: the example shows no {code} message");
            if (Regex.IsMatch(example, $@"{code}: \.\.\.|\(\.\.\.\)|^\s*\.\.\.\s*$", RegexOptions.Multiline)) bad.Add($"{code}: placeholder '...' in the example");
            if (fix.Trim().Length < 20 || fix.Trim() == "...") bad.Add($"{code}: no real fix");
        }
        Assert.True(bad.Count == 0, string.Join("\n", bad));
        Assert.Contains("adopt", File.ReadAllText(Path.Combine(Docs, "errors", "HSM2011.md")));
    }

    private static string Section(string text, string heading)
    {
        var i = text.IndexOf(heading, StringComparison.Ordinal);
        if (i < 0) return "";
        var rest = text[(i + heading.Length)..];
        var next = rest.IndexOf("\n## ", StringComparison.Ordinal);
        return next < 0 ? rest : rest[..next];
    }

    [Fact]
    public void Every_page_has_a_code()
    {
        var codes = CodeValues().Values.ToHashSet();
        foreach (var page in Directory.EnumerateFiles(Path.Combine(Docs, "errors"), "HSM*.md"))
            Assert.Contains(Path.GetFileNameWithoutExtension(page), codes);
    }

    [Fact]
    public void Manifest_and_registry_docs_describe_every_schema_field()
    {
        var manifest = File.ReadAllText(Path.Combine(Docs, "manifest.md"));
        var registry = File.ReadAllText(Path.Combine(Docs, "registry.md"));
        foreach (var (schema, doc) in new[] { ("hsm", manifest), ("library", registry), ("service", registry), ("library_group", registry), ("service_group", registry) })
        {
            var json = File.ReadAllText(Path.Combine(Docs, "schemas", schema + ".schema.json"));
            foreach (Match m in Regex.Matches(json, "\"([a-z_]+)\": \\{"))
            {
                var field = m.Groups[1].Value;
                if (field is "properties" or "definitions" or "patternProperties" or "not" or "items" or "additionalProperties" or "name" or "source" or "profile" or "implies" or "entry" or "mode" or "groups" or "standalone" or "groupSelection") continue;
                Assert.True(doc.Contains($"`{field}`"), $"docs for {schema} do not describe `{field}`");
            }
        }
    }
}
