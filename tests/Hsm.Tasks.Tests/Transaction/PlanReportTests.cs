using Hsm.Transaction;
using Xunit;

namespace Hsm.Tests.Transaction;

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
        var blocks = PlanReport.ServiceBlocks(compose);
        Assert.Equal(new[] { "milvus", "redis" }, blocks.Keys.OrderBy(k => k));
        Assert.Equal("    image: \"m\"\n", blocks["milvus"]);
        Assert.Equal(new Dictionary<string, string> { ["A_HOST"] = "a", ["A_PORT"] = "1" }, PlanReport.EnvKeys("A_HOST=a\nA_PORT=1\n"));
        Assert.Equal("MY_SVC", Hsm.Compose.EnvRenderer.VariablePrefix("my-svc"));
    }
}
