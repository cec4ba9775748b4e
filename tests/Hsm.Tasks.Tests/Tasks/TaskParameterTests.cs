using System.Reflection;
using System.Text;
using System.Text.Json;
using Hsm.Diagnostics;
using Hsm.Staging;
using Hsm.Tasks;
using Hsm.Tests.Model;
using Microsoft.Build.Framework;
using Xunit;

namespace Hsm.Tests.Tasks;

/// <summary>
/// The MSBuild tasks' parameter handling, without MSBuild (a <see cref="FakeBuildEngine"/>): required and
/// optional parameters, booleans, bad values as the right HSMnnnn error anchored at a file and line with its
/// help link, item metadata. The work behind the parameters is the pipeline's, tested elsewhere.
/// </summary>
public sealed class TaskParameterTests : IDisposable
{
    private readonly string _proj = ModelKit.Project("base");
    private readonly FakeBuildEngine _engine = new();
    private string Obj => Path.Combine(_proj, "obj", "hsm");
    private string ProjectFile => Path.Combine(_proj, "hsm.proj");

    public void Dispose()
    {
        _engine.EndBuild();
        ModelKit.TryDelete(_proj);
    }

    private T Task<T>(T task) where T : HsmTask
    {
        task.BuildEngine = _engine;
        task.ProjectDirectory = _proj;
        task.ProjectFile = ProjectFile;
        return task;
    }

    private HsmResolve Resolve() => Task(new HsmResolve { ManifestPath = Path.Combine(_proj, "hsm.yaml"), IntermediateDirectory = Obj });

    private BuildErrorEventArgs SingleError(string code)
    {
        var e = Assert.Single(_engine.Errors);
        Assert.True(e.Code == code, _engine.Log);
        return e;
    }

    public static TheoryData<Type, string[]> RequiredParameters => new()
    {
        { typeof(HsmResolve), new[] { "IntermediateDirectory", "ManifestPath", "ProjectDirectory" } },
        { typeof(HsmCheck), new[] { "IntermediateDirectory", "LockPath", "ManifestPath", "PlanOutputPath", "ProjectDirectory" } },
        { typeof(HsmPublish), new[] { "IntermediateDirectory", "LockPath", "ManifestPath", "ProjectDirectory", "PublishPath", "PublishTarget" } },
        { typeof(HsmStage), new[] { "ComposePath", "IntermediateDirectory", "LockPath", "ProjectDirectory", "PyProjectPath", "ResolvedPath" } },
        { typeof(HsmSync), new[] { "IntermediateDirectory", "PlanPath", "ProjectDirectory" } },
        { typeof(HsmCommit), new[] { "IntermediateDirectory", "PlanPath", "ProjectDirectory" } },
    };

    [Theory]
    [MemberData(nameof(RequiredParameters))]
    public void Each_task_requires_exactly_its_paths_and_everything_else_is_optional(Type task, string[] required)
    {
        var names = task.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<RequiredAttribute>() != null).Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(required, names);
    }

    [Theory]
    [InlineData(typeof(HsmResolve), "Locked")]
    [InlineData(typeof(HsmCheck), "Locked")]
    [InlineData(typeof(HsmPublish), "Locked")]
    [InlineData(typeof(HsmStage), "Locked")]
    [InlineData(typeof(HsmSync), "Locked")]
    [InlineData(typeof(HsmCommit), "Locked")]
    [InlineData(typeof(HsmCommit), "FailIfNotIncremental")]
    [InlineData(typeof(HsmDown), "DownVolumes")]
    [InlineData(typeof(HsmRecover), "Clean")]
    public void Boolean_parameters_are_bool_so_MSBuild_converts_and_checks_them(Type task, string name) =>
        Assert.Equal(typeof(bool), task.GetProperty(name)!.PropertyType);

    [Fact]
    public void HsmResolve_writes_the_stack_and_returns_the_components_as_items_with_metadata()
    {
        var t = Resolve();
        Assert.True(t.Execute(), _engine.Log);
        var lib = Assert.Single(t.Libraries, i => i.ItemSpec == "langchain");
        Assert.Equal(("library", "prod", "pypi", ""), (lib.GetMetadata("Kind"), lib.GetMetadata("Mode"), lib.GetMetadata("Source"), lib.GetMetadata("Group")));
        Assert.Equal("vector-db-client", Assert.Single(t.Libraries, i => i.ItemSpec == "qdrant-adapter").GetMetadata("Group"));
        var redis = Assert.Single(t.Services, i => i.ItemSpec == "redis");
        Assert.Equal("service", redis.GetMetadata("Kind"));
        Assert.False(string.IsNullOrEmpty(redis.GetMetadata("Profile")));
        Assert.Contains("HsmLibrary Include=\"langchain\"", File.ReadAllText(Path.Combine(Obj, "components.props")));
        Assert.Equal("false", Settings()["locked"]);
    }

    [Fact]
    public void HsmResolve_lists_the_registry_files_the_binlog_must_not_embed_and_drops_the_list_when_it_fails()
    {
        // _HsmComponentItems embeds @(HsmRegistryFile) (registry-files.txt) minus binlog-exclude.txt, and
        // binlog-embed.txt (hsm.yaml, resolved.json unless a service has external values; design §9).
        var vault = Path.Combine(_proj, "hsm-registry", "services", "vault.yaml");
        File.WriteAllText(vault, "name: vault\ndeployment_profiles:\n  default: { mode: external, external: { host: vault.example, token: t0ken } }\n");
        var manifest = Path.Combine(_proj, "hsm.yaml");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("    - redis\n", "    - redis\n    - vault\n"));
        Assert.True(Resolve().Execute(), _engine.Log);
        string[] Lines(string name) => File.ReadAllLines(Path.Combine(Obj, name));
        // The same strings as registry-files.txt, in its order: vault.yaml and qdrant.yaml (its unused external-prod
        // profile has values too); redis.yaml and the others are embedded.
        var read = Lines("registry-files.txt");
        var qdrant = Path.GetFullPath(Path.Combine(_proj, "hsm-registry", "services", "qdrant.yaml"));
        Assert.Equal(read.Where(f => f == qdrant || f == Path.GetFullPath(vault)), Lines("binlog-exclude.txt"));
        Assert.Equal(2, Lines("binlog-exclude.txt").Length);
        Assert.Contains(read, f => f.EndsWith("redis.yaml", StringComparison.Ordinal));
        Assert.Equal(new[] { manifest }, Lines("binlog-embed.txt")); // resolved.json holds vault's external values

        // Without vault: resolved.json may be embedded too; qdrant.yaml still may not.
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("    - vault\n", ""));
        Assert.True(Resolve().Execute(), _engine.Log);
        Assert.Equal(new[] { qdrant }, Lines("binlog-exclude.txt"));
        Assert.Equal(new[] { manifest, Path.GetFullPath(Path.Combine(Obj, "resolved.json")) }, Lines("binlog-embed.txt"));

        // A failed resolution rewrites registry-files.txt, so the exclusions that went with the old one are gone
        // (the targets then embed no registry file).
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("    - redis\n", "    - redis\n    - no-such-service\n"));
        Assert.False(Resolve().Execute());
        Assert.False(File.Exists(Path.Combine(Obj, "binlog-exclude.txt")));
    }

    [Fact]
    public void HsmResolve_records_Locked_and_the_settings_as_resolved_json_always_spelled_them()
    {
        var t = Resolve();
        t.Locked = true;
        t.PythonSync = "Lock";
        Assert.True(t.Execute(), _engine.Log);
        var s = Settings();
        Assert.Equal(("true", "lock", "pyproject.toml", "docker-compose.hsm.yml"), (s["locked"], s["pythonSync"], s["pyproject"], s["compose"]));
    }

    private Dictionary<string, string> Settings()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Obj, "resolved.json")));
        return json.RootElement.GetProperty("settings").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    [Fact]
    public void A_bad_HsmMode_is_HSM1026_at_the_project_file_with_its_help_link()
    {
        var t = Resolve();
        t.HsmMode = "staging";
        Assert.False(t.Execute());
        var e = SingleError(Codes.InvalidModeProperty);
        Assert.Equal((ProjectFile, 0), (e.File, e.LineNumber));
        Assert.Contains("HsmMode is 'staging'", e.Message);
        Assert.EndsWith("/HSM1026.md", e.HelpLink);
        Assert.False(File.Exists(Path.Combine(Obj, "resolved.json")));
    }

    [Theory]
    [InlineData("https://example.test/errors")]
    [InlineData("https://example.test/errors/")]
    public void HelpLinkBase_sets_the_help_link_of_every_diagnostic(string linkBase)
    {
        var t = Resolve();
        t.HsmMode = "nope";
        t.HelpLinkBase = linkBase;
        Assert.False(t.Execute());
        Assert.Equal("https://example.test/errors/HSM1026.md", SingleError(Codes.InvalidModeProperty).HelpLink);
    }

    [Fact]
    public void Mode_counts_only_as_a_global_property()
    {
        var t = Resolve();
        t.Mode = "Bogus"; // e.g. from an environment variable MODE
        Assert.True(t.Execute(), _engine.Log);
        Assert.Contains(_engine.Messages, m => m.Message!.Contains("is not a global property", StringComparison.Ordinal));

        _engine.GlobalProperties["Mode"] = "Bogus";
        var g = Resolve();
        g.Mode = "Bogus";
        Assert.False(g.Execute());
        Assert.Contains("The Mode property is 'Bogus'", SingleError(Codes.InvalidModeProperty).Message);
    }

    [Fact]
    public void HsmComponentMode_items_need_a_dev_or_prod_Mode()
    {
        var t = Resolve();
        t.ComponentModes = new[] { "langchain" };
        Assert.False(t.Execute());
        Assert.Contains("HsmComponentMode 'langchain' has no Mode", SingleError(Codes.InvalidModeProperty).Message);

        _engine.Errors.Clear();
        var ok = Resolve();
        ok.ComponentModes = new[] { "langchain=Prod" };
        Assert.True(ok.Execute(), _engine.Log);
    }

    [Fact]
    public void A_bad_HsmToolTimeout_is_HSM5004_before_any_work()
    {
        var t = Resolve();
        t.ToolTimeout = "soon";
        Assert.False(t.Execute());
        var e = SingleError(Codes.InvalidProperty);
        Assert.Equal(ProjectFile, e.File);
        Assert.Contains("HsmToolTimeout is 'soon'", e.Message);
        Assert.False(Directory.Exists(Obj)); // not even the build lock was taken
    }

    [Fact]
    public void A_manifest_error_is_anchored_at_its_file_and_line()
    {
        File.WriteAllText(Path.Combine(_proj, "hsm.yaml"), File.ReadAllText(Path.Combine(_proj, "hsm.yaml")).Replace("    - langchain", "    - lang/chain"));
        var t = Resolve();
        Assert.False(t.Execute());
        var e = Assert.Single(_engine.Errors, x => x.Code == Codes.InvalidName);
        Assert.Equal((Path.Combine(_proj, "hsm.yaml"), 8), (e.File, e.LineNumber));
        Assert.True(e.ColumnNumber > 0);
        Assert.True(File.Exists(Path.Combine(Obj, "registry-dirs.txt"))); // the next build's inputs, even on failure
    }

    [Fact]
    public void The_build_lock_is_held_until_the_build_ends_or_only_for_the_task()
    {
        var key = "Hsm.BuildLock|" + Path.GetFullPath(Obj);
        var t = Resolve();
        t.BuildLockScope = "task";
        Assert.True(t.Execute(), _engine.Log);
        Assert.Null(_engine.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build));
        var b = Resolve();
        Assert.True(b.Execute(), _engine.Log);
        Assert.IsType<Hsm.Transaction.BuildLock>(_engine.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build));
    }

    private HsmStage Stage() => Task(new HsmStage
    {
        ResolvedPath = Path.Combine(Obj, "resolved.json"), IntermediateDirectory = Obj,
        PyProjectPath = Path.Combine(_proj, "pyproject.toml"), ComposePath = Path.Combine(_proj, "docker-compose.hsm.yml"), LockPath = Path.Combine(_proj, "hsm.lock"),
    });

    [Fact]
    public void The_chain_of_tasks_runs_on_one_engine_without_MSBuild()
    {
        File.WriteAllText(Path.Combine(_proj, "pyproject.toml"), "[project]\nname = \"corpus\"\nversion = \"0.1.0\"\ndependencies = []\n");
        Assert.True(Resolve().Execute(), _engine.Log);
        Assert.True(Stage().Execute(), _engine.Log);
        var plan = Path.Combine(Obj, "stage", "plan.json");
        Assert.True(Task(new HsmSync { PlanPath = plan, IntermediateDirectory = Obj, PythonSync = "none", ComposeValidate = "false" }).Execute(), _engine.Log);
        Assert.False(File.Exists(Path.Combine(_proj, "hsm.lock"))); // nothing written before the commit
        Assert.True(Commit(plan).Execute(), _engine.Log);
        Assert.True(File.Exists(Path.Combine(_proj, "hsm.lock")));
        Assert.Contains("redis", File.ReadAllText(Path.Combine(_proj, "docker-compose.hsm.yml")));
        Assert.Contains("qdrant-adapter", File.ReadAllText(Path.Combine(_proj, "pyproject.toml")));
        Assert.Empty(_engine.Errors);

        // HsmCheck afterwards: the project is up to date with hsm.yaml, and it says so in plan.txt.
        var planText = Path.Combine(Obj, "plan.txt");
        var check = Task(new HsmCheck { ManifestPath = Path.Combine(_proj, "hsm.yaml"), IntermediateDirectory = Obj, LockPath = Path.Combine(_proj, "hsm.lock"), PlanOutputPath = planText, PythonSync = "none", ComposeValidate = "false" });
        Assert.True(check.Execute(), _engine.Log);
        Assert.Contains("nothing to change", File.ReadAllText(planText));
    }

    [Fact]
    public void HsmStage_with_Locked_refuses_a_stack_hsm_lock_does_not_record()
    {
        File.WriteAllText(Path.Combine(_proj, "pyproject.toml"), "[project]\nname = \"corpus\"\nversion = \"0.1.0\"\ndependencies = []\n");
        Assert.True(Resolve().Execute(), _engine.Log);
        var t = Stage();
        t.Locked = true;
        Assert.False(t.Execute());
        Assert.NotEmpty(_engine.Errors);
        Assert.All(_engine.Errors, e => Assert.StartsWith("HSM", e.Code));
    }

    [Fact]
    public void HsmStage_turns_an_unreadable_resolved_json_into_HSM9001_not_an_exception()
    {
        var t = Task(new HsmStage
        {
            ResolvedPath = Path.Combine(Obj, "missing-resolved.json"), IntermediateDirectory = Obj,
            PyProjectPath = Path.Combine(_proj, "pyproject.toml"), ComposePath = Path.Combine(_proj, "docker-compose.hsm.yml"), LockPath = Path.Combine(_proj, "hsm.lock"),
        });
        Assert.False(t.Execute());
        Assert.Contains("Internal error in HsmStage", SingleError(Codes.Internal).Message);
    }

    /// <summary>A plan that creates one file (a generated env file), staged as HsmStage would.</summary>
    private string PlanCreatingAFile(string name = ".env.hsm")
    {
        var staged = Path.Combine(Obj, "stage", name);
        Directory.CreateDirectory(Path.GetDirectoryName(staged)!);
        File.WriteAllText(staged, "A=1\n");
        var plan = new StagePlan { Files = { new PlannedFile { Target = Path.Combine(_proj, name), Op = FileOp.Create, Staged = staged, StagedHash = StagePlan.Hash(Encoding.UTF8.GetBytes("A=1\n")), Kind = ArtifactKind.Env } } };
        var path = Path.Combine(Obj, "stage", "plan.json");
        plan.Save(path);
        return path;
    }

    private HsmCommit Commit(string plan) => Task(new HsmCommit { PlanPath = plan, IntermediateDirectory = Obj, PythonSync = "none" });

    [Fact]
    public void HsmCommit_writes_the_plan_and_says_so()
    {
        var t = Commit(PlanCreatingAFile());
        Assert.True(t.Execute(), _engine.Log);
        Assert.Equal("A=1\n", File.ReadAllText(Path.Combine(_proj, ".env.hsm")));
        Assert.Contains(_engine.Messages, m => m.Importance == MessageImportance.High && m.Message!.Contains("1 file(s) updated", StringComparison.Ordinal));
    }

    [Fact]
    public void HsmCommit_with_Locked_refuses_a_write_as_HSM2012_at_the_file()
    {
        var t = Commit(PlanCreatingAFile());
        t.Locked = true;
        Assert.False(t.Execute());
        var e = SingleError(Codes.LockedMismatch);
        Assert.Equal(Path.Combine(_proj, ".env.hsm"), e.File);
        Assert.Contains("'.env.hsm' would be created", e.Message);
        Assert.False(File.Exists(Path.Combine(_proj, ".env.hsm")));
    }

    [Fact]
    public void HsmCommit_under_question_reports_HSM4005_and_writes_nothing()
    {
        var t = Commit(PlanCreatingAFile());
        t.FailIfNotIncremental = true;
        Assert.False(t.Execute());
        Assert.Contains("-question: '.env.hsm' would be created.", SingleError(Codes.WouldWrite).Message);
        Assert.False(File.Exists(Path.Combine(_proj, ".env.hsm")));
    }

    [Fact]
    public void HsmSync_under_question_skips_the_check()
    {
        var t = Task(new HsmSync { PlanPath = Path.Combine(Obj, "no-plan.json"), IntermediateDirectory = Obj, FailIfNotIncremental = true });
        Assert.True(t.Execute(), _engine.Log);
        Assert.Contains(_engine.Messages, m => m.Message!.Contains("-question: the uv/Compose check", StringComparison.Ordinal));
    }

    [Fact]
    public void HsmSync_names_a_bad_HsmPythonSync_as_HSM5004()
    {
        var plan = PlanCreatingAFile();
        var p = StagePlan.Load(plan);
        File.WriteAllText(Path.Combine(_proj, "pyproject.toml"), "[project]\nname = \"x\"\nversion = \"0.1.0\"\n");
        p.UvProjects.Add(new UvProject { PyProject = Path.Combine(_proj, "pyproject.toml"), CheckSource = Path.Combine(_proj, "pyproject.toml") });
        p.Save(plan);
        var t = Task(new HsmSync { PlanPath = plan, IntermediateDirectory = Obj, PythonSync = "always", ComposeValidate = "false" });
        Assert.False(t.Execute());
        Assert.Contains("HsmPythonSync is 'always'", SingleError(Codes.InvalidProperty).Message);
    }

    [Fact]
    public void HsmPublish_refuses_an_unknown_target_as_HSM7001()
    {
        var t = Task(new HsmPublish
        {
            ManifestPath = Path.Combine(_proj, "hsm.yaml"), IntermediateDirectory = Obj, PublishTarget = "heroku",
            PublishPath = Path.Combine(_proj, "deploy"), LockPath = Path.Combine(_proj, "hsm.lock"),
        });
        Assert.False(t.Execute());
        Assert.Contains("HsmPublishTarget is 'heroku'", SingleError(Codes.PublishSetting).Message);
        Assert.False(Directory.Exists(Path.Combine(_proj, "deploy")));
    }

    [Fact]
    public void HsmCheck_with_a_bad_property_writes_a_plan_that_says_the_stack_would_not_build()
    {
        var planText = Path.Combine(Obj, "plan.txt");
        var t = Task(new HsmCheck { ManifestPath = Path.Combine(_proj, "hsm.yaml"), IntermediateDirectory = Obj, LockPath = Path.Combine(_proj, "hsm.lock"), PlanOutputPath = planText, HsmMode = "x" });
        Assert.False(t.Execute());
        SingleError(Codes.InvalidModeProperty);
        Assert.Contains("would not build (1 error(s))", File.ReadAllText(planText));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a%3Bb%25c%2", "a;b%c%2")]
    [InlineData("100%", "100%")]
    [InlineData("%zz%4", "%zz%4")]
    [InlineData("%41%61", "Aa")]
    public void MSBuild_unescaping_turns_each_percent_and_two_hex_digits_into_its_character(string escaped, string literal) =>
        Assert.Equal(literal, ResolvingTask.MSBuildUnescape(escaped));

    [Fact]
    public void An_environment_variable_that_MSBuild_unescaped_is_taken_as_the_process_has_it()
    {
        var name = "HSM_TEST_LITERAL_" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            Environment.SetEnvironmentVariable(name, "/r/a%3Bb");
            Assert.Equal("/r/a%3Bb", ResolvingTask.LiteralEnvironment(name, "/r/a;b")); // what MSBuild made of it
            Assert.Equal("/elsewhere", ResolvingTask.LiteralEnvironment(name, "/elsewhere")); // a global property
            Assert.Null(ResolvingTask.LiteralEnvironment(name, null));
            Environment.SetEnvironmentVariable(name, null);
            Assert.Equal("/r/a;b", ResolvingTask.LiteralEnvironment(name, "/r/a;b")); // no variable: the value
        }
        finally { Environment.SetEnvironmentVariable(name, null); }
    }
}
