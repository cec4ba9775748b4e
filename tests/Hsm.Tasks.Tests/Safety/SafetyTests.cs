using System.Text;
using Hsm.Diagnostics;
using Hsm.Lock;
using Hsm.Paths;
using Hsm.Tests.Model;
using Hsm.Staging;
using Hsm.Transaction;
using Xunit;

namespace Hsm.Tests.Safety;

/// <summary>
/// Design §9 beyond single inputs: the path helper, the lock-text grammars, artifact paths outside the
/// project, a changed artifact path, symbolic links out of the project, absolute registry paths.
/// </summary>
public sealed class SafetyTests : IDisposable
{
    private readonly string _root = ModelKit.NewTempDir();
    private string Proj => Path.Combine(_root, "proj");
    private string Outside => Path.Combine(_root, "outside");

    public SafetyTests()
    {
        ModelKit.CopyTree(Path.Combine(ModelKit.FixtureRoot, "base"), Proj);
        Directory.CreateDirectory(Outside);
    }

    public void Dispose() => ModelKit.TryDelete(_root);

    private void Write(string rel, string text)
    {
        var full = Path.Combine(Proj, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text, new UTF8Encoding(false));
    }

    private string Read(string rel) => File.ReadAllText(Path.Combine(Proj, rel));

    private static void NoErrors(List<Diagnostic> ds) => Assert.False(ds.Any(d => d.Severity == Severity.Error), ModelKit.Format(ds));

    [Fact]
    public void Paths_are_relative_and_slash_separated_also_outside_the_project()
    {
        Assert.Equal("docker-compose.hsm.yml", ProjectPaths.Key(Proj, Path.Combine(Proj, "docker-compose.hsm.yml")));
        Assert.Equal("../x.yml", ProjectPaths.Key(Proj, Path.Combine(_root, "x.yml")));
        Assert.Equal("config/app.env", ProjectPaths.RelativeFrom(Proj, Path.Combine(Proj, "config", ".", "app.env")));
        Assert.True(ProjectPaths.TryMakeRelative(Proj + "/config/app.env", Proj, out var rel));
        Assert.Equal("config/app.env", rel);
        Assert.True(ProjectPaths.TryMakeRelative("config/app.env", Proj, out rel));
        Assert.Equal("config/app.env", rel);
        Assert.True(ProjectPaths.IsAbsolute("C:\\x") && ProjectPaths.IsAbsolute("C:/x") && ProjectPaths.IsAbsolute("/x") && ProjectPaths.IsAbsolute("\\\\server\\x"));
        Assert.False(ProjectPaths.IsAbsolute("x/y") || ProjectPaths.IsAbsolute("./x") || ProjectPaths.IsAbsolute("../x"));
    }

    [Fact]
    public void Lock_keys_resolve_only_inside_the_allowed_folders_with_links_resolved()
    {
        var allowed = new[] { Proj };
        Assert.NotNull(ProjectPaths.ResolveKey(Proj, "docker-compose.hsm.yml", allowed));
        Assert.NotNull(ProjectPaths.ResolveKey(Proj, "gen/x.yml", allowed));
        Assert.Null(ProjectPaths.ResolveKey(Proj, "../outside/x.yml", allowed));
        Assert.Null(ProjectPaths.ResolveKey(Proj, "gen/../../outside/x.yml", allowed));
        Assert.Null(ProjectPaths.ResolveKey(Proj, Outside + "/x.yml", allowed));
        Assert.Null(ProjectPaths.ResolveKey(Proj, "gen\\x.yml", allowed));
        Assert.Null(ProjectPaths.ResolveKey(Proj, "./x.yml", allowed));
        Assert.Null(ProjectPaths.ResolveKey(Proj, "gen//x.yml", allowed));
        Directory.CreateSymbolicLink(Path.Combine(Proj, "link"), Outside);
        Assert.Null(ProjectPaths.ResolveKey(Proj, "link/x.yml", allowed)); // a symbolic link out of the project
        File.CreateSymbolicLink(Path.Combine(Proj, "file-link.yml"), Path.Combine(Outside, "x.yml"));
        Assert.Null(ProjectPaths.ResolveKey(Proj, "file-link.yml", allowed));
        Assert.NotNull(ProjectPaths.ResolveKey(Proj, "../outside/x.yml", new[] { Proj, Outside }));
    }

    [Theory]
    [InlineData("langchain", true)]
    [InlineData("langchain>=0.2", true)]
    [InlineData("qdrant-adapter>=1.0,<2", true)]
    [InlineData("langchain-core[grpc]>=0.1,<2; python_version >= '3.10'", true)]
    [InlineData("x[a, b] (>=1.0) ; sys_platform == \"linux\" and (extra == 'gpu' or os_name != 'nt')", true)]
    [InlineData("x @ file:///home/me/x", true)]
    [InlineData("x @ git+https://github.com/org/x.git@v1 ; python_version < '3.13'", true)]
    [InlineData("", false)]
    [InlineData("x\n[tool.uv]", false)]
    [InlineData("x\", \"y", false)]
    [InlineData("x>=1 y", false)]
    [InlineData("x; __import__('os')", false)]
    [InlineData("x @ https://a/b.whl;python_version>'3'", false)]
    [InlineData("x>=", false)]
    [InlineData("x[a", false)]
    [InlineData("x; python_version >= '3.10' garbage", false)]
    public void Owned_requirements_are_exactly_one_pep508_string(string text, bool ok) => Assert.Equal(ok, LockTexts.IsRequirement(text));

    [Theory]
    [InlineData("{ path = \"packages/x\", editable = true }", true)]
    [InlineData("{ git = \"https://github.com/org/x.git\", tag = \"v1\" }", true)]
    [InlineData("[{ index = \"a\", marker = \"sys_platform == 'linux'\" }]", true)]
    [InlineData("\"text\"", true)]
    [InlineData("{ path = \"x\" }\n[[tool.uv.index]]", false)]
    [InlineData("{ path = \"x\" }, y = 1", false)]
    [InlineData("{ path = \"x\" } # c", false)]
    [InlineData(" { path = \"x\" }", false)]
    [InlineData("{ path = \"x\"", false)]
    [InlineData("\"\"\"a\nb\"\"\"", false)]
    [InlineData("", false)]
    public void Owned_sources_are_exactly_one_single_line_toml_value(string text, bool ok) => Assert.Equal(ok, LockTexts.IsSingleLineTomlValue(text));

    /// <summary>The fast path for hsm's own shapes never says yes where Tomlyn says no (it only spares the parse, issue 16).</summary>
    [Theory]
    [InlineData("{ path = \"packages/x\", editable = true }")]
    [InlineData("{path=\"x\",editable=false}")]
    [InlineData("{ git = \"https://github.com/org/x.git\", tag = \"v1\", subdirectory = \"a/b\" }")]
    [InlineData("{\tpath = \"x\" }")]
    [InlineData("\"text # not a comment\"")]
    [InlineData("\"\"")]
    [InlineData("true")]
    [InlineData("false")]
    [InlineData("{ a-b_1 = \"x\", 2 = true }")]
    [InlineData("{ path = \"x\", path = \"y\" }")]
    [InlineData("{ path = \"x\", }")]
    [InlineData("{ }")]
    [InlineData("{ path = \"x\" } # c")]
    [InlineData("{ path = \"x\" }, y = 1")]
    [InlineData("{ path = \"x\"")]
    [InlineData("{ path = \"a\\\"b\" }")]
    [InlineData("{ path = 'x' }")]
    [InlineData("{ a.b = \"x\" }")]
    [InlineData("{ a = { b = \"x\" } }")]
    [InlineData("truex")]
    [InlineData("\"é\"")]
    public void The_plain_value_fast_path_agrees_with_the_parser(string text)
    {
        if (LockTexts.IsPlainValue(text)) Assert.True(LockTexts.ParsesAsOneValue(text));
        Assert.Equal(LockTexts.ParsesAsOneValue(text) && text.Trim() == text, LockTexts.IsSingleLineTomlValue(text));
    }

    [Fact]
    public void Artifacts_outside_the_project_get_relative_lock_keys_and_no_absolute_path_is_written()
    {
        Write("hsm.yaml", "project:\n  name: corpus\nlibraries:\n  standalone: [langchain]\nservices:\n  standalone: [redis]\n");
        var ds = SafetyCorpusTests.Build(Proj, "prod", compose: "../outside/stack.hsm.yml", pyproject: "../outside/pyproject.toml");
        NoErrors(ds);
        var lockText = Read("hsm.lock");
        Assert.Contains("\"../outside/stack.hsm.yml\":", lockText);
        Assert.Contains("\"../outside/pyproject.toml\":", lockText);
        Assert.DoesNotContain(_root.Replace('\\', '/'), lockText);
        Assert.True(File.Exists(Path.Combine(Outside, "stack.hsm.yml")));
        Assert.Contains("langchain", File.ReadAllText(Path.Combine(Outside, "pyproject.toml")));
        // A second build with the same settings changes nothing.
        var before = SafetyCorpusTests.Snapshot(_root);
        NoErrors(SafetyCorpusTests.Build(Proj, "prod", compose: "../outside/stack.hsm.yml", pyproject: "../outside/pyproject.toml"));
        Assert.Equal(before.Where(kv => !kv.Key.Contains("/obj/")), SafetyCorpusTests.Snapshot(_root).Where(kv => !kv.Key.Contains("/obj/")));
    }

    [Fact]
    public void A_changed_compose_path_removes_the_previous_file_only_while_it_is_still_hsms()
    {
        NoErrors(SafetyCorpusTests.Build(Proj, "prod"));
        Assert.True(File.Exists(Path.Combine(Proj, "docker-compose.hsm.yml")));
        NoErrors(SafetyCorpusTests.Build(Proj, "prod", compose: "gen/stack.yml"));
        Assert.False(File.Exists(Path.Combine(Proj, "docker-compose.hsm.yml")), "the previous Compose file is still hsm's: removed");
        Assert.True(File.Exists(Path.Combine(Proj, "gen", "stack.yml")));
        Assert.Contains("\"gen/stack.yml\":", Read("hsm.lock"));
        Assert.DoesNotContain("docker-compose.hsm.yml", Read("hsm.lock"));

        // Edited by hand before the path changes back: kept, HSM4011, and the lock forgets it.
        File.AppendAllText(Path.Combine(Proj, "gen", "stack.yml"), "# my note\n");
        var edited = File.ReadAllBytes(Path.Combine(Proj, "gen", "stack.yml"));
        var ds = SafetyCorpusTests.Build(Proj, "prod");
        NoErrors(ds);
        Assert.Contains(ds, d => d.Code == Codes.StaleFileKept && d.Span.File == "gen/stack.yml");
        Assert.Equal(edited, File.ReadAllBytes(Path.Combine(Proj, "gen", "stack.yml")));
        Assert.True(File.Exists(Path.Combine(Proj, "docker-compose.hsm.yml")));
        Assert.DoesNotContain("gen/stack.yml", Read("hsm.lock"));
    }

    [Fact]
    public void A_lock_key_through_a_symbolic_link_out_of_the_project_is_refused()
    {
        NoErrors(SafetyCorpusTests.Build(Proj, "prod"));
        var victim = Path.Combine(Outside, "stack.yml");
        File.WriteAllText(victim, Hsm.Compose.ComposeRenderer.Header + "\nservices: {}\n");
        Directory.CreateSymbolicLink(Path.Combine(Proj, "sub"), Outside);
        var lockText = Read("hsm.lock").Replace("files:\n", $"files:\n  \"sub/stack.yml\": \"{StagePlan.HashFile(victim)}\"\n");
        Write("hsm.lock", lockText);
        var line = lockText.Split('\n').ToList().FindIndex(l => l.Contains("sub/stack.yml")) + 1;
        var before = SafetyCorpusTests.Snapshot(Proj);
        var ds = SafetyCorpusTests.Build(Proj, "prod");
        var e = Assert.Single(ds, d => d.Severity == Severity.Error);
        Assert.Equal((Codes.LockFileKeyRejected, "hsm.lock", line, 3), (e.Code, e.Span.File, e.Span.Line, e.Span.Column));
        Assert.True(File.Exists(victim));
        Assert.Equal(before, SafetyCorpusTests.Snapshot(Proj));
    }

    [Fact]
    public void A_uv_service_folder_reached_through_a_symbolic_link_out_of_the_project_is_never_edited()
    {
        Directory.CreateDirectory(Path.Combine(Outside, "worker"));
        var victim = Path.Combine(Outside, "worker", "pyproject.toml");
        File.WriteAllText(victim, "[project]\nname = \"victim\"\nversion = \"1.0\"\ndependencies = []\n");
        Directory.CreateSymbolicLink(Path.Combine(Proj, "linked"), Outside);
        Write("hsm-registry/services/worker.yaml", "name: worker\ndependencies: [langchain]\nsources:\n  prod: { type: local, path: linked/worker }\ndeployment_profiles:\n  default: { mode: managed, runtime: uv }\n");
        Write("hsm.yaml", "project:\n  name: corpus\nservices:\n  standalone: [worker]\n");
        var (before, outsideBefore) = (SafetyCorpusTests.Snapshot(Proj), SafetyCorpusTests.Snapshot(Outside));
        var ds = SafetyCorpusTests.Build(Proj, "prod");
        var e = Assert.Single(ds, d => d.Severity == Severity.Error);
        Assert.Equal((Codes.OutsideProject, "hsm-registry/services/worker.yaml"), (e.Code, e.Span.File));
        Assert.Equal(before, SafetyCorpusTests.Snapshot(Proj));
        Assert.Equal(outsideBefore, SafetyCorpusTests.Snapshot(Outside));
    }

    [Fact]
    public void A_deselected_uv_service_env_file_is_deleted_while_it_holds_what_hsm_wrote()
    {
        Write("hsm-registry/services/worker.yaml", "name: worker\nenv: { LOG: debug }\nsources:\n  prod: { type: local, path: worker }\ndeployment_profiles:\n  default: { mode: managed, runtime: uv }\n");
        Write("hsm.yaml", "project:\n  name: corpus\nservices:\n  standalone: [redis, worker]\n");
        Write("worker/pyproject.toml", "[project]\nname = \"worker\"\nversion = \"0.1.0\"\ndependencies = []\n");
        NoErrors(SafetyCorpusTests.Build(Proj, "prod"));
        Assert.Equal("LOG=debug\n", Read(".env.worker"));
        Write("hsm.yaml", "project:\n  name: corpus\nservices:\n  standalone: [redis]\n");
        NoErrors(SafetyCorpusTests.Build(Proj, "prod"));
        Assert.False(File.Exists(Path.Combine(Proj, ".env.worker")));
    }

    [Fact]
    public void Absolute_registry_paths_are_written_relative()
    {
        var dir = Proj.Replace('\\', '/');
        Directory.CreateDirectory(Path.Combine(Proj, "images", "api"));
        Write("images/api/Dockerfile.dev", "FROM scratch\n");
        Write("hsm-registry/services/api.yaml",
            "name: api\n" +
            $"env_file: [\"{dir}/config/app.env\"]\n" +
            $"volumes: [\"{dir}/data:/data\", \"/var/run/docker.sock:/var/run/docker.sock\", \"cache:/cache\"]\n" +
            $"sources:\n  prod: {{ type: build, path: \"{dir}/images/api\", dockerfile: \"{dir}/images/api/Dockerfile.dev\" }}\n");
        Write("hsm.yaml", "project:\n  name: corpus\nservices:\n  standalone: [api]\n");
        NoErrors(SafetyCorpusTests.Build(Proj, "prod"));
        var compose = Read("docker-compose.hsm.yml");
        Assert.Contains("context: \"images/api\"", compose);
        Assert.Contains("dockerfile: \"Dockerfile.dev\"", compose); // Compose reads it relative to the context
        Assert.Contains("- \"config/app.env\"", compose);
        Assert.Contains("- \"./data:/data\"", compose);
        Assert.Contains("- \"/var/run/docker.sock:/var/run/docker.sock\"", compose); // the machine's, not the project's
        Assert.Contains("- \"cache:/cache\"", compose);
        Assert.DoesNotContain(dir, compose);
        Assert.DoesNotContain(dir, Read("hsm.lock"));
    }

    [Fact]
    public void Hsms_own_compose_file_with_its_header_is_regenerated_when_the_lock_was_deleted()
    {
        NoErrors(SafetyCorpusTests.Build(Proj, "prod"));
        File.AppendAllText(Path.Combine(Proj, "docker-compose.hsm.yml"), "# edited\n");
        File.Delete(Path.Combine(Proj, "hsm.lock"));
        File.Delete(Path.Combine(Proj, ".env.hsm"));
        File.Delete(Path.Combine(Proj, ".env.hsm.local"));
        NoErrors(SafetyCorpusTests.Build(Proj, "prod"));
        Assert.DoesNotContain("# edited", Read("docker-compose.hsm.yml"));
    }
}
