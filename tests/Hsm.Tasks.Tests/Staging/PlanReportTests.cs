using System.Text;
using Hsm.Staging;
using Xunit;

namespace Hsm.Tests.Staging;

public sealed class PlanReportTests
{
    [Theory]
    [InlineData("libraries.groups.vector-db-client.selection", "selection")]
    [InlineData("services.standalone[0]", "standalone")]
    [InlineData("services.standalone.redis", "standalone")]
    [InlineData("library_groups/vector-db-client.yaml default", "default")]
    [InlineData("implies from library qdrant-adapter", "implies from library qdrant-adapter")]
    public void Rule_names_the_reason_of_a_selection(string origin, string rule) =>
        Assert.Equal(rule, PlanReport.Rule(new[] { origin }));

    [Fact]
    public void Service_blocks_and_env_keys_are_diffable()
    {
        var compose = "# Generated\nname: \"x\"\nservices:\n  milvus:\n    image: \"m\"\n  redis:\n    image: \"r\"\nvolumes:\n  data: {}\n";
        var blocks = ServiceBlocks(compose);
        Assert.Equal(new[] { "milvus", "redis" }, blocks.Keys.OrderBy(k => k));
        Assert.Equal("    image: \"m\"\n", blocks["milvus"]);
        Assert.Equal(new Dictionary<string, string> { ["A_HOST"] = "a", ["A_PORT"] = "1" }, PlanReport.EnvKeys("A_HOST=a\nA_PORT=1\n"));
        Assert.Equal("MY_SVC", Hsm.Compose.EnvRenderer.VariablePrefix("my-svc"));
    }

    /// <summary>The span form of the service blocks (issue 16: no string per line) gives the blocks the line-by-line form gave.</summary>
    [Theory]
    [InlineData("# Generated\nname: \"x\"\nservices:\n  milvus:\n    image: \"m\"\n  redis:\n    image: \"r\"\nvolumes:\n  data: {}\n")]
    [InlineData("services:\r\n  a:\r\n    image: \"m\"\r\n# c\r\n\r\n  \"b\":\r\n  c:\n    x: 1")]
    [InlineData("services:\n  a:\n    image: \"m\"\n")]
    [InlineData("services:\n  a:\n  b:\n    y: 2\n  a:\n    z: 3\nother:\n  a:\n")]
    [InlineData("services:  \n  a:   \n   x:\n\tq\n")]
    [InlineData("")]
    [InlineData("services:")]
    public void Service_blocks_by_span_match_the_line_by_line_blocks(string compose)
    {
        Assert.Equal(ServiceBlocksByLines(compose), ServiceBlocks(compose));
    }

    /// <summary>The blocks as strings (each line followed by '\n'), from the product's spans.</summary>
    private static Dictionary<string, string> ServiceBlocks(string text)
    {
        var (norm, spans) = PlanReport.BlockSpans(text);
        return spans.ToDictionary(kv => kv.Key, kv => kv.Value.Start < 0 ? "" : norm.Substring(kv.Value.Start, kv.Value.End - kv.Value.Start) + "\n", StringComparer.Ordinal);
    }

    [Fact]
    public void The_plan_carries_its_entries_and_an_older_plan_json_still_loads()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hsm-plan-" + Guid.NewGuid().ToString("N"));
        try
        {
            var path = Path.Combine(dir, "plan.json");
            var plan = new StagePlan { Version = StagePlan.CurrentVersion };
            plan.Files.Add(new PlannedFile { Target = Path.Combine(dir, "pyproject.toml"), Kind = ArtifactKind.Pyproject, Op = FileOp.Replace });
            plan.Entries.Add(new PlannedChange { Artifact = "pyproject.toml", Kind = ArtifactKind.Pyproject, Op = "+", Entry = "milvus-adapter>=2.4,<3", Reason = "selection" });
            plan.Entries.Add(new PlannedChange { Artifact = ".env.hsm", Kind = ArtifactKind.Env, Op = "+", Entry = "MILVUS_HOST", Reason = "selection" });
            plan.Entries.Add(new PlannedChange { Artifact = "hsm.lock", Kind = ArtifactKind.Lock, Op = "+", Entry = "library milvus-adapter [dev, local]", Reason = "selection" });
            plan.Save(path);
            // The enums keep plan.json's strings (readable by a plan of an earlier version and by people).
            var json = File.ReadAllText(path);
            Assert.Contains("\"op\": \"replace\"", json);
            Assert.Contains("\"kind\": \"pyproject\"", json);
            var loaded = StagePlan.Load(path);
            Assert.Equal(FileOp.Replace, loaded.Files[0].Op);
            Assert.Equal("hsm: pyproject.toml: + milvus-adapter>=2.4,<3 (selection)", PlanReport.Lines(loaded)[0]);
            Assert.Equal(new[] { "+ milvus-adapter>=2.4,<3 (selection)", "+ MILVUS_HOST in .env.hsm (selection)" },
                Hsm.Tasks.BuildOutputReport.ChangeLines(loaded, dir, Path.Combine(dir, "obj")));

            File.WriteAllText(path, "{ \"files\": [], \"uvProjects\": [], \"clones\": [], \"changes\": [\"hsm: a: + a\"] }");
            var old = StagePlan.Load(path);
            Assert.Equal(1, old.Version);
            Assert.Empty(old.Entries);
            Assert.Empty(Hsm.Tasks.BuildOutputReport.ChangeLines(old, dir, Path.Combine(dir, "obj")));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
    }

    /// <summary>The reference form of <see cref="ServiceBlocks"/> (line by line, a string per block), the form the plan report used before issue 16.</summary>
    private static Dictionary<string, string> ServiceBlocksByLines(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        bool inServices = false;
        string? current = null;
        var sb = new StringBuilder();
        foreach (var raw in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (raw.Length > 0 && raw[0] != ' ' && raw[0] != '#')
            {
                if (current != null) { result[current] = sb.ToString(); current = null; }
                inServices = raw.TrimEnd() == "services:";
                continue;
            }
            if (!inServices) continue;
            if (raw.StartsWith("  ", StringComparison.Ordinal) && raw.Length > 2 && raw[2] != ' ' && raw.TrimEnd().EndsWith(':'))
            {
                if (current != null) result[current] = sb.ToString();
                current = raw.Trim().TrimEnd(':').Trim('"');
                sb.Clear();
                continue;
            }
            if (current != null) sb.Append(raw).Append('\n');
        }
        if (current != null) result[current] = sb.ToString();
        return result;
    }
}
