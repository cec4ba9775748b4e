using System.Text;
using Hsm.Compose;
using Hsm.Registry;
using Hsm.Diagnostics;
using Hsm.Model;
using Xunit;

namespace Hsm.Tests.Compose;

public class ComposeRendererTests
{
    const string ComposeFile = "docker-compose.hsm.yml";

    /// <summary>Renders the stack's files, compares them with the golden case, and returns them.</summary>
    static SortedDictionary<string, string> RenderCase(string testCase, ResolvedStack stack, ComposeContext ctx)
    {
        var diagnostics = new DiagnosticBag();
        Preflight.Check(stack, diagnostics);
        Assert.False(diagnostics.HasErrors, string.Join("\n", diagnostics.Items));
        var files = EnvRenderer.Render(stack, diagnostics);
        Assert.False(diagnostics.HasErrors, string.Join("\n", diagnostics.Items));
        var compose = ComposeRenderer.Render(stack, ctx);
        if (compose != null) files[ComposeFile] = compose;
        foreach (var (name, content) in files) Golden.Assert(testCase, name, content);
        Golden.AssertFileSet(testCase, files.Keys);

        // Determinism: the same stack (through its JSON form, as HsmStage reads it) gives the same bytes.
        var again = ComposeRenderer.Render(ResolvedStack.FromJson(stack.ToJson()), ctx);
        Assert.Equal(compose, again);
        return files;
    }

    /// <summary>Writes the files into a temp project with what they reference, and runs the real Compose parser.</summary>
    static void AssertComposeAccepts(SortedDictionary<string, string> files, Action<TempDir>? prepare = null, string? userComposeFile = null)
    {
        using var dir = new TempDir();
        foreach (var (name, content) in files) dir.Write(name, content);
        prepare?.Invoke(dir);
        var alone = SharedTools.ComposeConfig(dir.Path, Path.Combine(dir.Path, ComposeFile));
        Assert.True(alone.Ok, "compose config (alone) failed:\n" + alone.Output + "\n" + files[ComposeFile]);
        if (userComposeFile != null)
        {
            var user = dir.Write("docker-compose.yml", userComposeFile);
            var merged = SharedTools.ComposeConfig(dir.Path, user, Path.Combine(dir.Path, ComposeFile));
            Assert.True(merged.Ok, "compose config (merged) failed:\n" + merged.Output);
        }
    }

    const string UserCompose = """
        services:
          app:
            image: python:3.12-slim
            env_file: [.env.hsm]
            depends_on: [qdrant]
        """;

    [SkippableFact]
    public void ProdStack_MatchesGolden_AndPassesCompose()
    {
        var files = RenderCase("prod", Stacks.ProdStack(), Stacks.Ctx());
        var yml = files[ComposeFile];
        Assert.StartsWith(ComposeRenderer.Header + "\n", yml);
        Assert.Contains("name: \"my-ragapp\"", yml);
        Assert.DoesNotContain("postgres:", yml); // external: not a Compose service
        Assert.Contains("POSTGRES_HOST=10.0.0.50", files[".env.hsm"]);
        Assert.Contains("POSTGRES_HOST=10.0.0.50", files[".env.hsm.local"]);
        Assert.Contains("redis:\n        condition: \"service_healthy\"", yml);
        AssertComposeAccepts(files, d => d.Write("config/qdrant.env", "QDRANT__TELEMETRY_DISABLED=true\n"));
    }

    [SkippableFact]
    public void ProdStack_MergedWithUserComposeFile_PassesCompose()
    {
        var files = RenderCase("prod-merged", Stacks.ProdStack(), Stacks.Ctx(ownComposeFile: true));
        Assert.DoesNotContain("\nname:", files[ComposeFile]);
        AssertComposeAccepts(files, d => d.Write("config/qdrant.env", "A=1\n"), UserCompose);
    }

    [SkippableFact]
    public void DevStack_MatchesGolden_AndPassesCompose()
    {
        var files = RenderCase("dev", Stacks.DevStack(), Stacks.Ctx(ownComposeFile: true));
        var yml = files[ComposeFile];
        Assert.Contains("context: \"qdrant\"\n      dockerfile: \"Dockerfile.dev\"", yml);
        Assert.Contains("context: \"https://github.com/org/renderer.git#v2.1.0:docker\"", yml);
        Assert.DoesNotContain("worker:", yml); // uv runtime
        Assert.True(files.ContainsKey(".env.worker"));
        AssertComposeAccepts(files, d =>
        {
            d.Write("qdrant/Dockerfile.dev", "FROM scratch\n");
            d.Write("qdrant/config/config.yaml", "log_level: DEBUG\n");
            d.Write("Dockerfile", "FROM scratch\n");
        }, UserCompose);
    }

    [SkippableFact]
    public void PodmanStack_QualifiesImages_AndPassesCompose()
    {
        var files = RenderCase("podman", Stacks.PodmanStack(), Stacks.Ctx(project: "_pod-App"));
        var yml = files[ComposeFile];
        Assert.Contains("image: \"docker.io/library/redis:7\"", yml);
        Assert.Contains("image: \"docker.io/qdrant/qdrant:v1.12.0\"", yml);
        Assert.Contains("image: \"localhost/mine:1\"", yml);
        Assert.Contains("image: \"quay.io/org/img@sha256:abc\"", yml);
        Assert.Contains("engine: \"podman\"", yml);
        Assert.Contains("name: \"pod-app\"", yml);
        AssertComposeAccepts(files);
    }

    [SkippableFact]
    public void NoManagedContainer_RendersNoComposeFile_ButConnectionVariables()
    {
        var stack = new ResolvedStack { ProjectName = "x", Services = { Stacks.PostgresExternal() } };
        var files = RenderCase("external-only", stack, Stacks.Ctx());
        Assert.False(files.ContainsKey(ComposeFile));
        Assert.Null(ComposeRenderer.Render(new ResolvedStack(), Stacks.Ctx()));
    }

    [SkippableFact]
    public void EmptyStack_ProducesNoFiles()
    {
        var files = EnvRenderer.Render(new ResolvedStack(), new DiagnosticBag());
        Assert.Empty(files);
    }

    [SkippableFact]
    public void Output_IsLfUtf8WithoutBom_AndEndsWithNewline()
    {
        var stack = Stacks.ProdStack();
        stack.Services[1].Environment["UNICODE"] = "héllo ☃ \u2028 \t tab";
        var yml = ComposeRenderer.Render(stack, Stacks.Ctx())!;
        Assert.DoesNotContain("\r", yml);
        Assert.EndsWith("\n", yml);
        Assert.False(yml.StartsWith('\uFEFF'));
        Assert.Contains("UNICODE: \"héllo ☃ \\L \\t tab\"", yml);
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, ComposeFile), yml, new UTF8Encoding(false));
        dir.Write("config/qdrant.env", "");
        Assert.True(SharedTools.ComposeConfig(dir.Path, Path.Combine(dir.Path, ComposeFile)).Ok);
    }

    [SkippableFact]
    public void Dollar_LiteralVersusInterpolation_ReachesComposeAsMeant()
    {
        var stack = new ResolvedStack
        {
            ProjectName = "d",
            Services =
            {
                Stacks.Image("app", "busybox").With(s =>
                {
                    s.Environment["LITERAL"] = "cost 5$";
                    s.Environment["ESCAPED"] = "$$HOME";
                    s.Environment["INTERPOLATED"] = "${HSM_TEST_VAR:-fallback}";
                }),
            },
        };
        var yml = ComposeRenderer.Render(stack, Stacks.Ctx())!;
        Assert.Contains("LITERAL: \"cost 5$$\"", yml);
        Assert.Contains("ESCAPED: \"$$HOME\"", yml);
        Assert.Contains("INTERPOLATED: \"${HSM_TEST_VAR:-fallback}\"", yml);
        var tool = SharedTools.RequireTool("compose");
        using var dir = new TempDir();
        var f = dir.Write(ComposeFile, yml);
        var (code, output) = SharedTools.Run(tool, new[] { "--project-directory", dir.Path, "-f", f, "config", "--format", "json" }, dir.Path,
            new Dictionary<string, string> { ["HSM_TEST_VAR"] = "from-env" });
        Assert.Equal(0, code);
        var env = System.Text.Json.Nodes.JsonNode.Parse(output.Substring(output.IndexOf('{')))!["services"]!["app"]!["environment"]!;
        // config prints a literal '$' as "$$" again (its output is itself a Compose file).
        Assert.Equal("cost 5$$", (string?)env["LITERAL"]);
        Assert.Equal("$$HOME", (string?)env["ESCAPED"]);
        Assert.Equal("from-env", (string?)env["INTERPOLATED"]);
    }

    [SkippableFact]
    public void SecretInUserEnvFile_AppearsInNoGeneratedFile()
    {
        const string secret = "s3cr3t-value-never-copied";
        var stack = Stacks.ProdStack();
        var worker = Stacks.DevStack().Services.Single(s => s.Name == "worker");
        stack.Services.Add(worker);
        using var dir = new TempDir();
        dir.Write("config/qdrant.env", $"QDRANT__SERVICE__READ_ONLY_API_KEY={secret}\n");
        dir.Write("config/worker.env", $"WORKER_TOKEN=\"{secret}\"\n");
        var diagnostics = new DiagnosticBag();
        foreach (var f in new[] { "config/qdrant.env", "config/worker.env" })
            Assert.Single(EnvFileParser.Parse(File.ReadAllText(Path.Combine(dir.Path, f)), f, diagnostics));
        Assert.False(diagnostics.HasErrors, string.Join("\n", diagnostics.Items));
        var files = EnvRenderer.Render(stack, diagnostics);
        files[ComposeFile] = ComposeRenderer.Render(stack, Stacks.Ctx())!;
        Assert.Contains("\"config/qdrant.env\"", files[ComposeFile]); // referenced, not inlined
        foreach (var (name, content) in files)
            Assert.False(content.Contains(secret, StringComparison.Ordinal), $"{name} contains the secret");
        Assert.DoesNotContain(diagnostics.Items, d => d.Message.Contains(secret, StringComparison.Ordinal));
    }

    [SkippableTheory]
    [InlineData("My-RAG.App", "my-ragapp")]
    [InlineData("__-x_Y-1", "x_y-1")]
    [InlineData("Ünïcode Name", "ncodename")]
    [InlineData("---", "")]
    public void NormalizeProjectName_FollowsCompose(string input, string expected) =>
        Assert.Equal(expected, ComposeRenderer.NormalizeProjectName(input));

    [SkippableTheory]
    [InlineData("./packages/x/", "packages/x")]
    [InlineData("", ".")]
    [InlineData("./", ".")]
    [InlineData("..\\qdrant", "../qdrant")]
    [InlineData("github.com/org/x", "./github.com/org/x")]
    public void BuildContextPath_IsRelativeAndNormalised(string input, string expected) =>
        Assert.Equal(expected, ComposeRenderer.BuildContextPath(input));

    [SkippableFact]
    public void ScalarsThatLookLikeOtherTypes_AreQuoted()
    {
        var stack = new ResolvedStack
        {
            Services =
            {
                Stacks.Image("app", "busybox").With(s =>
                {
                    s.Environment["A"] = "1.10"; s.Environment["B"] = "null"; s.Environment["C"] = "yes"; s.Environment["D"] = "0x1F";
                    s.Environment["true"] = "key that is a bool";
                    s.Compose = System.Text.Json.Nodes.JsonNode.Parse("""{ "x-num": 1.5, "x-null": null, "x-list": [], "x-map": {}, "x-nested": [[1, "a"], { "k": "v", "a": [true] }] }""")!.AsObject();
                }),
            },
        };
        var yml = ComposeRenderer.Render(stack, Stacks.Ctx())!;
        Assert.Contains("A: \"1.10\"", yml);
        Assert.Contains("B: \"null\"", yml);
        Assert.Contains("\"true\": \"key that is a bool\"", yml);
        Assert.Contains("x-num: 1.5", yml);
        Assert.Contains("x-null: null", yml);
        Assert.Contains("x-list: []", yml);
        Assert.Contains("x-map: {}", yml);
        Assert.Contains("x-nested:\n      - - 1\n        - \"a\"\n      - a:\n          - true\n        k: \"v\"\n", yml);
        using var dir = new TempDir();
        Assert.True(SharedTools.ComposeConfig(dir.Path, dir.Write(ComposeFile, yml)).Ok);
    }
}
