using System.Text;
using Hsm.Diagnostics;
using Hsm.Yaml;
using NJsonSchema;
using Xunit;

namespace Hsm.Tests.Model;

/// <summary>
/// docs/schemas/*.schema.json and the loader agree: every sample and fixture file that the loader
/// accepts (no error located in it) validates against its schema.
/// </summary>
public class SchemaTests
{
    private static readonly string SchemaDir = Path.Combine(SharedTools.RepoRoot, "docs", "schemas");
    private static readonly Dictionary<string, JsonSchema> Schemas = new();

    private static JsonSchema Schema(string kind)
    {
        lock (Schemas)
        {
            if (!Schemas.TryGetValue(kind, out var s))
                Schemas[kind] = s = JsonSchema.FromJsonAsync(File.ReadAllText(Path.Combine(SchemaDir, kind + ".schema.json"))).GetAwaiter().GetResult();
            return s;
        }
    }

    /// <summary>Schema kind of a project-relative YAML path, or null when it is not an Hsm file.</summary>
    public static string? KindOf(string relPath)
    {
        var p = relPath.Replace('\\', '/');
        if (Path.GetFileName(p) == "hsm.yaml") return "hsm";
        var parts = p.Split('/');
        if (parts.Length < 2 || !p.EndsWith(".yaml", StringComparison.Ordinal)) return null;
        return parts[^2] switch
        {
            "libraries" => "library",
            "services" => "service",
            "library_groups" => "library_group",
            "service_groups" => "service_group",
            _ => null,
        };
    }

    private static List<string> Validate(string kind, byte[] bytes, string label)
    {
        var d = new DiagnosticBag();
        var node = SafeYamlLoader.LoadBytes(bytes, label, d);
        if (node is null) return new();
        var json = node.ToJson()?.ToJsonString() ?? "null";
        return Schema(kind).Validate(json).Select(e => $"{e.Path}: {e.Kind}").ToList();
    }

    public static IEnumerable<object[]> FixtureFiles()
    {
        var roots = new[]
        {
            Path.Combine(SharedTools.RepoRoot, "samples"),
            Path.Combine(ModelKit.FixtureRoot, "base"),
            Path.Combine(ModelKit.FixtureRoot, "upstream"),
        };
        foreach (var root in roots.Where(Directory.Exists))
            foreach (var f in Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories).OrderBy(x => x, StringComparer.Ordinal))
                if (KindOf(f) != null) yield return new object[] { Path.GetRelativePath(SharedTools.RepoRoot, f).Replace('\\', '/') };
    }

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void Accepted_fixture_validates_against_its_schema(string relPath)
    {
        var full = Path.Combine(SharedTools.RepoRoot, relPath);
        if (!File.Exists(full)) full = Path.Combine(AppContext.BaseDirectory, relPath);
        var errors = Validate(KindOf(relPath)!, File.ReadAllBytes(full), relPath);
        Assert.True(errors.Count == 0, $"{relPath}:\n{string.Join("\n", errors)}");
    }

    [Fact]
    public void Corpus_files_the_loader_accepts_validate_against_their_schema()
    {
        int checkedFiles = 0;
        var failures = new List<string>();
        foreach (var c in CorpusTests.LoadCases())
        {
            var (ds, _) = CorpusTests.RunCase(c);
            foreach (var (path, text) in c.Files)
            {
                if (text is null || KindOf(path) is not { } kind) continue;
                if (ds.Any(x => x.Severity == Severity.Error && x.Span.File == path)) continue; // rejected by the loader
                if (ds.Any(x => x.Severity == Severity.Error && x.Code is Codes.RegistryMissing)) continue;
                checkedFiles++;
                foreach (var e in Validate(kind, Encoding.UTF8.GetBytes(text), path)) failures.Add($"{c.Name} {path}: {e}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(checkedFiles > 20, $"only {checkedFiles} accepted corpus files checked");
    }

    [Theory]
    [InlineData("hsm", "project:\n  name: x\n  colour: red\n")]
    [InlineData("hsm", "libraries: {}\n")]
    [InlineData("hsm", "project: {name: x}\nmodes:\n  a: develop\n")]
    [InlineData("library", "sources:\n  prod: { type: pip }\n")]
    [InlineData("library", "sources:\n  prod: { type: git, url: https://x, ref: -x }\n")]
    [InlineData("service", "sources:\n  prod: { type: docker-image }\n")]
    [InlineData("service", "deployment_profiles:\n  default: { mode: manged }\n")]
    [InlineData("library_group", "name: g\n")]
    [InlineData("service_group", "options: [\"../x\"]\n")]
    [InlineData("library", "implies:\n  servce:x: {}\n")]
    public void Schema_rejects_what_the_loader_rejects(string kind, string yaml)
    {
        Assert.NotEmpty(Validate(kind, Encoding.UTF8.GetBytes(yaml), "x.yaml"));
    }

    [Fact]
    public void Sample_manifest_points_at_the_schema()
    {
        var text = File.ReadAllText(Path.Combine(SharedTools.RepoRoot, "samples", "quickstart", "hsm.yaml"));
        Assert.StartsWith("# yaml-language-server: $schema=../../docs/schemas/hsm.schema.json", text);
        Assert.True(File.Exists(Path.Combine(SchemaDir, "hsm.schema.json")));
    }
}
