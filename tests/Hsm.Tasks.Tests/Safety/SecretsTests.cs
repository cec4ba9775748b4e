using Hsm.Compose;
using Hsm.Diagnostics;
using Hsm.Tests.Model;
using Xunit;

namespace Hsm.Tests.Safety;

/// <summary>Design §9 "Secrets": no diagnostic quotes a value read from an env_file or an external map; they name the key and file:line.</summary>
public sealed class SecretsTests
{
    private const string Sentinel = "s3cr3t-SENTINEL-7f9c";

    private const string Redis = """
        name: redis
        ports: ["6379:6379"]
        env_file: [config/app.env]
        env: { INLINE_ONLY: "1" }
        sources:
          prod: { type: docker-image, image: "redis:7" }
        """;

    /// <summary>Env-file lines Compose rejects or hsm refuses, each around the sentinel.</summary>
    public static IEnumerable<object[]> BrokenEnvFiles() => new[]
    {
        new object[] { $"API_TOKEN=${{{Sentinel}\n" },                      // unterminated template
        new object[] { $"API_TOKEN=\"${{{Sentinel}\"\n" },                  // the same, quoted
        new object[] { $"{Sentinel} {Sentinel}\n" },                       // a pasted secret: a "name" with a space
        new object[] { $"OK=1\n{Sentinel}!=x\n" },                          // an unexpected character in the "name"
        new object[] { $"API_TOKEN=\"{Sentinel}\n" },                       // unterminated quote
        new object[] { $"API_TOKEN={Sentinel}\nAPI_TOKEN={Sentinel}\n" },   // defined twice
        new object[] { $"INLINE_ONLY={Sentinel}\n" },                       // also set inline
    };

    [Theory]
    [MemberData(nameof(BrokenEnvFiles))]
    public void Env_file_problems_name_the_line_never_the_value(string envFile)
    {
        var dir = ModelKit.Project("base");
        try
        {
            File.WriteAllText(Path.Combine(dir, "hsm-registry", "services", "redis.yaml"), Redis);
            File.WriteAllText(Path.Combine(dir, "config", "app.env"), envFile);
            var (_, d) = ModelKit.Resolve(dir);
            Assert.True(d.HasErrors, "the case must fail");
            Assert.Contains(d.Items, x => x.Severity == Severity.Error && (x.Span.File == "config/app.env" || x.Message.Contains("config/app.env")));
            Assert.DoesNotContain(d.Items, x => (x.Message + x.Span).Contains(Sentinel, StringComparison.Ordinal) || x.Message.Contains("s3cr3t", StringComparison.Ordinal));
        }
        finally { ModelKit.TryDelete(dir); }
    }

    [Fact]
    public void External_values_reach_only_the_connection_files_never_a_message()
    {
        var dir = ModelKit.Project("base");
        try
        {
            // Two services whose external keys collide, one value a secret: the clash names keys only.
            File.WriteAllText(Path.Combine(dir, "hsm-registry", "services", "qdrant.yaml"), $$"""
                name: qdrant
                ports: ["6333:6333"]
                sources:
                  prod: { type: docker-image, image: "qdrant/qdrant:v1.12.0" }
                deployment_profiles:
                  default: { mode: external, external: { host: db.example, api_key: "{{Sentinel}}", "bad key!": "{{Sentinel}}" } }
                """);
            var (stack, d) = ModelKit.Resolve(dir);
            Assert.NotNull(stack);
            var plan = SpecialFiles.StageAndCommit(dir, stack!, d);
            Assert.NotNull(plan);
            Assert.DoesNotContain(d.Items, x => x.Message.Contains(Sentinel, StringComparison.Ordinal));
            Assert.Contains($"QDRANT_API_KEY={Sentinel}", File.ReadAllText(Path.Combine(dir, ".env.hsm.local")));
        }
        finally { ModelKit.TryDelete(dir); }
    }

    [Fact]
    public void Tool_output_echoed_in_a_diagnostic_is_redacted()
    {
        var dir = ModelKit.Project("base");
        try
        {
            File.WriteAllText(Path.Combine(dir, "hsm-registry", "services", "redis.yaml"), Redis.Replace("INLINE_ONLY", "OTHER"));
            File.WriteAllText(Path.Combine(dir, "config", "app.env"), $"API_TOKEN={Sentinel}\nSHORT=on\n");
            var (stack, d) = ModelKit.Resolve(dir);
            Assert.False(d.HasErrors, ModelKit.Format(d.Items));
            var secrets = SecretValues.Collect(stack!, dir);
            var echoed = SecretValues.Redact($"services.redis.environment.API_TOKEN: \"{Sentinel}\" is invalid; SHORT=on", secrets);
            Assert.DoesNotContain(Sentinel, echoed);
            Assert.Contains("API_TOKEN: \"***\"", echoed);
            Assert.Contains("SHORT=on", echoed); // short values are not secrets worth blanking words for
        }
        finally { ModelKit.TryDelete(dir); }
    }
}
