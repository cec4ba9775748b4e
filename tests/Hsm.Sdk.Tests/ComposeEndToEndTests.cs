using Hsm.Tests;
using Xunit;

namespace Hsm.Sdk.Tests;

/// <summary>Issue 5's promises through `dotnet build` of a real hsm.proj on the packed SDK.</summary>
[Collection(PackedSdkCollection.Name)]
public sealed class ComposeEndToEndTests(PackedSdk sdk)
{
    private const string UserCompose = """
        services:
          app:
            image: "python:3.12-slim"
            command: ["python", "-m", "my_rag_app"]
            env_file: [".env.hsm"]
            depends_on: [qdrant]
        """;


    [SkippableTheory]
    [InlineData("Prod")]
    [InlineData("Dev")]
    public void Sample_outputs_pass_compose_alone_and_merged_with_a_user_file(string mode)
    {
        using var p = new TestProject(sdk, "compose-" + mode);
        p.Write("docker-compose.yml", UserCompose);
        p.BuildOk("-p:Mode=" + mode);
        var compose = p.Read("docker-compose.hsm.yml");
        Assert.DoesNotContain("\nname:", compose); // merged, the user's file owns the project name
        if (mode == "Dev")
        {
            Assert.Contains("context: \"docker/qdrant\"", compose);
            Assert.Contains("dockerfile: \"Dockerfile.dev\"", compose);
            Assert.Contains("\"./docker/qdrant/config:/qdrant/config\"", compose);
            Assert.Contains("QDRANT__LOG_LEVEL: \"DEBUG\"", compose);
        }
        else
        {
            Assert.Contains("image: \"qdrant/qdrant:v1.12.0\"", compose);
            Assert.DoesNotContain("build:", compose);
        }
        var alone = SharedTools.ComposeConfig(p.Dir, p.PathOf("docker-compose.hsm.yml"));
        Assert.True(alone.Ok, alone.Output);
        var merged = SharedTools.ComposeConfig(p.Dir, p.PathOf("docker-compose.yml"), p.PathOf("docker-compose.hsm.yml"));
        Assert.True(merged.Ok, merged.Output);
    }

    [SkippableFact]
    public void Depends_on_healthcheck_named_volume_params_and_literal_variables()
    {
        using var p = new TestProject(sdk, "compose-shape");
        p.BuildOk();
        var compose = p.Read("docker-compose.hsm.yml");
        Assert.Contains("    depends_on:\n      redis:\n        condition: \"service_healthy\"\n", compose);
        Assert.Contains("volumes:\n  qdrant_data: {}\n", compose);
        Assert.Contains("QDRANT__COLLECTION: \"docs\"", compose);
        Assert.Contains("QDRANT__SERVICE__API_KEY: \"${QDRANT_API_KEY:-}\"", compose);
        Assert.Contains("    env_file:\n      - \"config/redis.env\"\n", compose);
        // The user's env file is referenced, never copied: its value appears in no generated file.
        foreach (var f in new[] { "docker-compose.hsm.yml", ".env.hsm", ".env.hsm.local", "hsm.lock", "pyproject.toml" })
            Assert.DoesNotContain("--save 60 1", p.Read(f));
    }

    [SkippableFact]
    public void External_profile_moves_the_service_out_of_compose_and_into_the_env_files()
    {
        using var p = new TestProject(sdk, "compose-external");
        p.BuildOk();
        var app = p.Read("pyproject.toml");
        Assert.Contains("QDRANT_HOST=qdrant\n", p.Read(".env.hsm"));
        Assert.Contains("QDRANT_HOST=localhost\n", p.Read(".env.hsm.local"));

        var yaml = p.Read("hsm.yaml");
        p.Write("hsm.yaml", yaml.Replace("      strategy: 1-of-N              # no selection", "      profile: external-prod\n      strategy: 1-of-N              # no selection"));
        p.BuildOk();
        var compose = p.Read("docker-compose.hsm.yml");
        Assert.DoesNotContain("  qdrant:", compose);
        Assert.Contains("  redis:", compose);
        Assert.Contains("QDRANT_HOST=qdrant.internal.example\n", p.Read(".env.hsm"));
        Assert.Contains("QDRANT_PORT=6333\n", p.Read(".env.hsm"));
        Assert.Contains("QDRANT_HOST=qdrant.internal.example\n", p.Read(".env.hsm.local"));
        Assert.Equal(app, p.Read("pyproject.toml")); // the Python side did not change
        Assert.True(SharedTools.ComposeConfig(p.Dir, p.PathOf("docker-compose.hsm.yml")).Ok);

        p.Write("hsm.yaml", yaml);
        p.BuildOk();
        Assert.Contains("  qdrant:", p.Read("docker-compose.hsm.yml"));
        Assert.Contains("QDRANT_HOST=qdrant\n", p.Read(".env.hsm"));
    }

    [SkippableFact]
    public void The_real_compose_parser_rejects_a_bad_file_before_anything_is_written()
    {
        var compose = SharedTools.RequireTool("compose");
        using var p = new TestProject(sdk, "compose-validate");
        var validate = new[] { "-p:HsmComposeCommand=" + compose, "-p:HsmComposeValidate=true" };
        p.BuildOk(validate);
        var before = p.Snapshot();
        // A pass-through value Compose rejects (a logging option that is a list; hsm checks only the values Compose decodes late): hsm's pre-flight cannot know every Compose rule.
        var redis = p.PathOf("hsm-registry/services/redis.yaml");
        File.WriteAllText(redis, File.ReadAllText(redis).Replace("compose: { restart: unless-stopped }", "compose: { restart: unless-stopped, logging: { options: { max-size: [1] } } }"));
        var r = p.Build(validate);
        Assert.False(r.Succeeded);
        var error = Assert.Single(r.Errors);
        Assert.Equal("HSM3003", error.Code);
        Assert.Contains("logging.options.max-size", error.Text);
        var after = p.Snapshot();
        foreach (var f in before.Keys.Where(k => !k.StartsWith("hsm-registry/", StringComparison.Ordinal)))
            Assert.Equal(before[f], after[f]);

        // Required but missing: a clear error, not a silent skip.
        var missing = p.Build("-p:HsmComposeCommand=/nonexistent/compose", "-p:HsmComposeValidate=true");
        Assert.False(missing.Succeeded);
        Assert.Contains(missing.Errors, e => e.Code == "HSM3003" && e.Text.Contains("not available"));
    }
}
