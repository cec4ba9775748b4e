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
                Schemas[kind] = s = JsonSchema.FromFileAsync(Path.Combine(SchemaDir, kind + ".schema.json")).GetAwaiter().GetResult(); // resolves compose-spec.json beside it
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

    internal static List<string> Validate(string kind, byte[] bytes, string label)
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
    [InlineData("hsm", "project: {name: x}\nlibraries:\n  groups:\n    g:\n      profile: gpu\n")]
    [InlineData("hsm", "project: {name: x}\nlibraries:\n  standalone:\n    - { name: a, profile: gpu }\n")]
    [InlineData("service", "compose:\n  restrat: always\n")]
    [InlineData("service", "healthcheck:\n  test: [CMD, x]\n  interval: 5\n  retries: many\n")]
    public void Schema_rejects_what_the_loader_rejects(string kind, string yaml)
    {
        Assert.NotEmpty(Validate(kind, Encoding.UTF8.GetBytes(yaml), "x.yaml"));
    }

    [Theory]
    [InlineData("hsm", "project: {name: x}\nservices:\n  groups:\n    g:\n      profile: gpu\n")]
    [InlineData("service", "compose:\n  restart: unless-stopped\n  x-note: kept\n")]
    [InlineData("service", "healthcheck:\n  test: [CMD, x]\n  interval: 5s\n  retries: 3\n")]
    public void Schema_accepts_what_the_loader_accepts(string kind, string yaml)
    {
        Assert.Empty(Validate(kind, Encoding.UTF8.GetBytes(yaml), "x.yaml"));
    }

    /// <summary>The loader's structural errors: a file the schema accepts must not get one of these.</summary>
    private static readonly HashSet<string> StructuralCodes = new()
    {
        Codes.UnknownKey, Codes.WrongType, Codes.InvalidMode, Codes.InvalidName, Codes.InvalidSource, Codes.InvalidValue,
    };

    [Fact]
    public void Corpus_files_the_schema_accepts_load_without_structural_errors()
    {
        int checkedFiles = 0;
        var failures = new List<string>();
        foreach (var c in CorpusTests.LoadCases())
        {
            var (ds, _) = CorpusTests.RunCase(c);
            foreach (var (path, text) in c.Files)
            {
                if (text is null || KindOf(path) is not { } kind) continue;
                var bytes = Encoding.UTF8.GetBytes(text);
                if (SafeYamlLoader.LoadBytes(bytes, path, new DiagnosticBag()) is null) continue; // not YAML: no schema applies
                if (Validate(kind, bytes, path).Count > 0) continue; // the schema rejects it too
                checkedFiles++;
                // A registry file's name is no content a schema sees.
                foreach (var x in ds.Where(x => x.Severity == Severity.Error && x.Span.File == path && StructuralCodes.Contains(x.Code) && !x.Message.StartsWith("Registry file name", StringComparison.Ordinal)))
                    failures.Add($"{c.Name} {path}({x.Span.Line},{x.Span.Column}): {x.Code} {x.Message}");
            }
        }
        Assert.True(failures.Count == 0, "schema-valid files the loader rejects:\n" + string.Join("\n", failures));
        Assert.True(checkedFiles > 20, $"only {checkedFiles} schema-valid corpus files checked");
    }

    /// <summary>The keys the loader accepts with a warning (legacy HSM1011, ignored HSM1012) are `deprecated` in the schema.</summary>
    [Theory]
    [InlineData("hsm", "/properties/project/properties/manager")]
    [InlineData("hsm", "/properties/project/properties/description")]
    [InlineData("hsm", "/properties/dependencies")]
    [InlineData("hsm", "/properties/services/properties/containers")]
    [InlineData("hsm", "/properties/services/properties/container_groups")]
    [InlineData("hsm", "/definitions/libraryGroupSelection/properties/type")]
    [InlineData("hsm", "/definitions/serviceGroupSelection/properties/comment")]
    [InlineData("hsm", "/definitions/serviceEntry/anyOf/1/properties/version")]
    [InlineData("library", "/properties/type")]
    [InlineData("library", "/properties/entrypoints")]
    [InlineData("service", "/properties/library_groups")]
    [InlineData("service", "/definitions/profile/properties/ports")]
    [InlineData("library_group", "/properties/description")]
    [InlineData("service_group", "/properties/description")]
    public void Legacy_and_ignored_keys_are_deprecated(string kind, string pointer)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(SchemaDir, kind + ".schema.json")))!;
        foreach (var part in pointer.Trim('/').Split('/'))
            node = node is System.Text.Json.Nodes.JsonArray a ? a[int.Parse(part)]! : node[part] ?? throw new Xunit.Sdk.XunitException($"{kind}: no {pointer}");
        Assert.True(node["deprecated"]?.GetValue<bool>() == true, $"{kind} {pointer} is not deprecated");
    }

    public const string IdBase = "https://raw.githubusercontent.com/hsm-sdk/hsm/main/docs/schemas/";

    [Fact]
    public void Schemas_have_stable_ids_and_the_sample_maps_each_onto_its_files()
    {
        foreach (var f in Directory.EnumerateFiles(SchemaDir, "*.json"))
        {
            var id = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(f))!["$id"]!.GetValue<string>();
            Assert.Equal(IdBase + Path.GetFileName(f), id);
        }
        var map = SampleSchemaMap();
        Assert.Equal(new[] { "hsm", "library", "library_group", "service", "service_group" }, map.Keys.Select(k => k[IdBase.Length..].Replace(".schema.json", "")).OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (url, globs) in map)
        {
            Assert.True(File.Exists(Path.Combine(SchemaDir, url[IdBase.Length..])), url);
            Assert.NotEmpty(globs);
        }
        // No relative modeline that breaks when the sample is copied.
        Assert.DoesNotContain("$schema=", File.ReadAllText(Path.Combine(SharedTools.RepoRoot, "samples", "quickstart", "hsm.yaml")));
    }

    /// <summary>samples/quickstart/.vscode/settings.json `yaml.schemas`: schema URL → glob patterns.</summary>
    public static Dictionary<string, List<string>> SampleSchemaMap()
    {
        var path = Path.Combine(SharedTools.RepoRoot, "samples", "quickstart", ".vscode", "settings.json");
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path), new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return doc.RootElement.GetProperty("yaml.schemas").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.ValueKind == System.Text.Json.JsonValueKind.Array ? p.Value.EnumerateArray().Select(e => e.GetString()!).ToList() : new List<string> { p.Value.GetString()! });
    }

    [Fact]
    public void The_schemastore_catalog_entry_names_every_schema_by_its_id()
    {
        var path = Path.Combine(SharedTools.RepoRoot, "docs", "schemastore-catalog.json");
        var entries = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!["schemas"]!.AsArray();
        var urls = entries.Select(e => e!["url"]!.GetValue<string>()).ToList();
        foreach (var f in Directory.EnumerateFiles(SchemaDir, "*.schema.json")) Assert.Contains(IdBase + Path.GetFileName(f), urls);
        Assert.Contains(entries, e => e!["fileMatch"]!.AsArray().Any(m => m!.GetValue<string>() == "hsm.yaml"));
        Assert.Contains(entries, e => e!["fileMatch"]!.AsArray().Any(m => m!.GetValue<string>() == "**/hsm-registry/libraries/*.yaml"));
    }
}
