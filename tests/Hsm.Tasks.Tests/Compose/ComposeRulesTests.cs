using Hsm.Compose;
using Hsm.Registry;
using Xunit;

namespace Hsm.Tests.Compose;

public class ComposeRulesTests
{
    /// <summary>The service keys hsm lets through a registry's compose: block are exactly compose-spec's (docs/schemas/compose-spec.json).</summary>
    [Fact]
    public void The_compose_service_keys_are_the_compose_specs()
    {
        var spec = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Hsm.Tests.SharedTools.RepoRoot, "docs", "schemas", "compose-spec.json")))!;
        var keys = spec["definitions"]!["service"]!["properties"]!.AsObject().Select(p => p.Key).OrderBy(k => k, StringComparer.Ordinal);
        Assert.Equal(keys, ComposeBlock.ServiceKeys.OrderBy(k => k, StringComparer.Ordinal));
    }

    [SkippableFact]
    public void MergeVolumes_ByTarget_LaterWins_FirstSeenOrder()
    {
        var merged = ComposeRules.MergeVolumes(
            new[] { "data:/var/lib/data", "./conf:/etc/app:ro", "/cache" },
            new[] { "./dev-data:/var/lib/data", "logs:/var/log" });
        Assert.Equal(new[] { "./dev-data:/var/lib/data", "./conf:/etc/app:ro", "/cache", "logs:/var/log" }, merged);
    }

    [SkippableFact]
    public void MergeList_KeepsOrder_DropsExactDuplicates()
    {
        Assert.Equal(new[] { "80:80", "443:443", "8080:80" }, ComposeRules.MergeList(new[] { "80:80", "443:443" }, new[] { "80:80", "8080:80" }));
    }

    [SkippableTheory]
    [InlineData("qdrant_data:/qdrant/storage", true, "qdrant_data")]
    [InlineData("my.vol-1:/x:ro", true, "my.vol-1")]
    [InlineData("./data:/x", false, "")]
    [InlineData("/abs:/x", false, "")]
    [InlineData("~/x:/x", false, "")]
    [InlineData("/anonymous", false, "")]
    [InlineData("a:/x", false, "")] // Compose's pattern needs two characters
    [InlineData("${DATA}:/x", false, "")]
    [InlineData("C:\\data:/x", false, "")]
    public void IsNamedVolume(string spec, bool named, string name)
    {
        Assert.Equal(named, ComposeRules.IsNamedVolume(spec, out var n));
        Assert.Equal(name, n);
    }

    [SkippableTheory]
    [InlineData("https://github.com/o/r.git", "v1", "docker", "https://github.com/o/r.git#v1:docker")]
    [InlineData("https://github.com/o/r.git", "v1", null, "https://github.com/o/r.git#v1")]
    [InlineData("https://github.com/o/r.git", null, "./sub/", "https://github.com/o/r.git#:sub")]
    [InlineData("git@github.com:o/r.git", null, null, "git@github.com:o/r.git")]
    public void GitContext(string url, string? gitRef, string? sub, string expected) =>
        Assert.Equal(expected, ComposeRules.GitContext(url, gitRef, sub));

    [SkippableTheory]
    [InlineData("8080:80", null, 8080, 8080, 80, "tcp")]
    [InlineData("127.0.0.1:8000-8010:80-90/UDP", "127.0.0.1", 8000, 8010, 80, "udp")]
    [InlineData("[::1]:9000:90", "::1", 9000, 9000, 90, "tcp")]
    [InlineData("::1:9000:90", "::1", 9000, 9000, 90, "tcp")]
    [InlineData("6379", null, null, null, 6379, "tcp")]
    public void PortSpec_Parse(string raw, string? ip, int? hs, int? he, int cs, string proto)
    {
        var p = PortSpec.Parse(raw)!;
        Assert.Equal((ip, hs, he, cs, proto), (p.HostIp, p.HostStart, p.HostEnd, p.ContainerStart!.Value, p.Protocol));
    }
}

public class ComposeHarnessTests
{
    [SkippableFact]
    public void RealComposeParser_RejectsABrokenFile()
    {
        // Guards the other tests: the parser really runs and really fails on a bad file.
        using var dir = new TempDir();
        var f = dir.Write("docker-compose.hsm.yml", "services:\n  a:\n    image: \"x\"\n    ports: 6333\n");
        Assert.False(SharedTools.ComposeConfig(dir.Path, f).Ok);
        var g = dir.Write("ok.yml", "services:\n  a:\n    image: \"x\"\n    env_file: [\"missing.env\"]\n");
        Assert.False(SharedTools.ComposeConfig(dir.Path, g).Ok);
    }
}
