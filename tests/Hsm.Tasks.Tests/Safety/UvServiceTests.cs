using System.Text.Json;
using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Resolution;
using Hsm.Staging;
using Hsm.Tests.Model;
using Hsm.Transaction;
using Xunit;

namespace Hsm.Tests.Safety;

/// <summary>
/// Design §5.4 (issue 10, item 11): a local library gets a path source in whichever pyproject.toml it lands
/// in, never a bare name; every uv-runtime service is locked and synced in its own folder, even with no
/// managed dependency, a cloned one included. In-process, with uv-standin as uv.
/// </summary>
public sealed class UvServiceTests : IDisposable
{
    private readonly string _dir = ModelKit.NewTempDir();
    private string Log => Path.Combine(_dir, "..", Path.GetFileName(_dir) + "-uv.log");

    public void Dispose()
    {
        ModelKit.TryDelete(_dir);
        try { File.Delete(Log); } catch (IOException) { }
    }

    private void Write(string rel, string text)
    {
        var p = Path.Combine(_dir, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllText(p, text);
    }

    private string Read(string rel) => File.ReadAllText(Path.Combine(_dir, rel));

    private static string PyProject(string name) => $"[project]\nname = \"{name}\"\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\ndependencies = []\n";

    private static string Uv() => SharedTools.RequireTool("uv-standin");

    /// <summary>Resolve, stage, check and commit with uv-standin syncing (what HsmResolve → HsmCommit do).</summary>
    private (ResolvedStack Stack, DiagnosticBag D) Build(string uv, string? mode = null)
    {
        var (stack, d) = ModelKit.Resolve(_dir, mode);
        Assert.True(stack != null && !d.HasErrors, ModelKit.Format(d.Items));
        var obj = Path.Combine(_dir, "obj", "hsm");
        var plan = Stager.Stage(ResolvedStack.FromJson(stack!.ToJson()), new StageRequest
        {
            ProjectDirectory = _dir, IntermediateDirectory = obj, PyProjectPath = Path.Combine(_dir, "pyproject.toml"),
            ComposePath = Path.Combine(_dir, "docker-compose.hsm.yml"), LockPath = Path.Combine(_dir, "hsm.lock"), GeneratorVersion = "0.0.0-test",
            GitPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "git")).FirstOrDefault(File.Exists), // what _HsmFindTools passes in a build
        }, d);
        Assert.True(plan != null, ModelKit.Format(d.Items));
        var settings = new SyncSettings { ProjectDirectory = _dir, IntermediateDirectory = obj, PythonSync = "sync", UvPath = uv, ComposeValidate = "false" };
        Environment.SetEnvironmentVariable("HSM_UV_STANDIN_LOG", Log);
        try
        {
            SyncCheck.Run(plan!, settings, CancellationToken.None, d, _ => { });
            Assert.False(d.HasErrors, ModelKit.Format(d.Items));
            Assert.NotNull(Committer.Commit(plan!, settings, CancellationToken.None, d, _ => { }));
        }
        finally { Environment.SetEnvironmentVariable("HSM_UV_STANDIN_LOG", null); }
        Assert.False(d.HasErrors, ModelKit.Format(d.Items));
        return (stack, d);
    }

    private List<(string[] Argv, string Cwd)> UvCalls() => !File.Exists(Log) ? new()
        : File.ReadAllLines(Log).Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (e.GetProperty("argv").EnumerateArray().Select(a => a.GetString()!).ToArray(), e.GetProperty("cwd").GetString()!)).ToList();

    private void Registry(string worker)
    {
        Write("hsm.yaml", "project:\n  name: uvsvc\nservices:\n  standalone:\n    - worker\n");
        Write("hsm-registry/services/worker.yaml", worker);
        Write("hsm-registry/libraries/my-lib.yaml", "name: my-lib\nsources:\n  prod: { type: local, path: packages/my-lib }\n  dev: { type: local, path: packages/my-lib }\n");
        Write("packages/my-lib/pyproject.toml", PyProject("my-lib"));
    }

    [SkippableFact]
    public void A_uv_service_without_managed_dependencies_is_still_locked_and_synced_in_its_own_folder()
    {
        var uv = Uv();
        Registry("name: worker\nsources:\n  prod: { type: local, path: services/worker }\ndeployment_profiles:\n  default: { mode: managed, runtime: uv }\n");
        Write("services/worker/pyproject.toml", PyProject("worker"));
        Build(uv);
        Assert.True(File.Exists(Path.Combine(_dir, "services", "worker", "uv.lock")), "the service has no uv.lock of its own");
        var worker = Path.Combine(_dir, "services", "worker");
        Assert.Contains(UvCalls(), c => c.Argv[0] == "sync" && c.Argv.Contains(worker));
        Assert.Equal(PyProject("worker"), Read("services/worker/pyproject.toml")); // nothing to manage: untouched
        Assert.False(File.Exists(Path.Combine(_dir, "pyproject.toml")));           // the root is not required
    }

    [SkippableTheory]
    [InlineData("dev", ", editable = true")]
    [InlineData("prod", "")]
    public void A_local_library_named_only_by_a_uv_service_is_a_path_source_there_editable_only_in_dev(string mode, string editable)
    {
        var uv = Uv();
        Registry("name: worker\ndependencies: [my-lib, \"my-lib-extra[x]>=0.1; python_version >= '3.10'\"]\nsources:\n  prod: { type: local, path: services/worker }\ndeployment_profiles:\n  default: { mode: managed, runtime: uv }\n");
        Write("hsm-registry/libraries/my-lib-extra.yaml", "name: my-lib-extra\nsources:\n  dev: { type: local, path: packages/my-lib-extra, editable: true }\n  prod: { type: local, path: packages/my-lib-extra, editable: true }\n");
        Write("packages/my-lib-extra/pyproject.toml", PyProject("my-lib-extra").Replace("dependencies = []", "dependencies = []\n\n[project.optional-dependencies]\nx = []"));
        Write("services/worker/pyproject.toml", PyProject("worker"));
        Build(uv, mode);
        var py = Read("services/worker/pyproject.toml");
        Assert.Contains("\"my-lib\"", py);
        Assert.Contains("my-lib = { path = \"../../packages/my-lib\"" + editable + " }", py);
        Assert.Contains("\"my-lib-extra[x]>=0.1; python_version >= '3.10'\"", py); // the requirement as written
        Assert.Contains("my-lib-extra = { path = \"../../packages/my-lib-extra\"" + editable + " }", py); // explicit editable: true counts only in dev
        Assert.True(SharedTools.CheckPyProject(Path.Combine(_dir, "services", "worker", "pyproject.toml")).Ok);
        Assert.True(File.Exists(Path.Combine(_dir, "services", "worker", "uv.lock")));
    }

    [SkippableFact]
    public void A_stack_library_required_with_a_specifier_keeps_its_path_source_in_the_service()
    {
        var uv = Uv();
        Registry("name: worker\ndependencies: [\"my-lib>=0.1\"]\nsources:\n  prod: { type: local, path: services/worker }\ndeployment_profiles:\n  default: { mode: managed, runtime: uv }\n");
        Write("hsm.yaml", "project:\n  name: uvsvc\nlibraries:\n  standalone:\n    - { name: my-lib, mode: dev }\nservices:\n  standalone:\n    - worker\n");
        Write("services/worker/pyproject.toml", PyProject("worker"));
        Build(uv);
        Assert.Contains("my-lib = { path = \"packages/my-lib\", editable = true }", Read("pyproject.toml"));
        var py = Read("services/worker/pyproject.toml");
        Assert.Contains("\"my-lib>=0.1\"", py);
        Assert.Contains("my-lib = { path = \"../../packages/my-lib\", editable = true }", py); // never a bare name that uv would take from PyPI
        Assert.True(File.Exists(Path.Combine(_dir, "uv.lock")) && File.Exists(Path.Combine(_dir, "services", "worker", "uv.lock")));
    }

    [SkippableFact]
    public void A_uv_service_cloned_from_git_at_its_ref_is_locked_and_synced_in_its_folder()
    {
        var uv = Uv();
        var repo = _dir + "-origin";
        try
        {
            Directory.CreateDirectory(repo);
            void Git(params string[] args)
            {
                var all = new List<string> { "-C", repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main" };
                all.AddRange(args);
                var (code, output) = SharedTools.Run("git", all);
                Assert.True(code == 0, output);
            }
            Git("init", "-q");
            File.WriteAllText(Path.Combine(repo, "pyproject.toml"), PyProject("worker"));
            File.WriteAllText(Path.Combine(repo, "VERSION"), "tagged\n");
            Git("add", "-A"); Git("commit", "-q", "-m", "v1"); Git("tag", "v1.0.0");
            File.WriteAllText(Path.Combine(repo, "VERSION"), "later\n");
            Git("commit", "-q", "-am", "later");
            Registry($"name: worker\nsources:\n  prod: {{ type: git, url: \"file://{repo}\", ref: v1.0.0 }}\ndeployment_profiles:\n  default: {{ mode: managed, runtime: uv }}\n");
            Build(uv);
            Assert.Equal("tagged\n", Read("services/worker/VERSION"));
            Assert.True(File.Exists(Path.Combine(_dir, "services", "worker", "uv.lock")), "the cloned service was not locked");
            Assert.Contains(UvCalls(), c => c.Argv[0] == "sync" && c.Argv.Contains(Path.Combine(_dir, "services", "worker")));
        }
        finally { ModelKit.TryDelete(repo); }
    }

    [SkippableFact]
    public void A_uv_service_folder_without_pyproject_is_an_error_naming_it()
    {
        Registry("name: worker\nsources:\n  prod: { type: local, path: services/worker }\ndeployment_profiles:\n  default: { mode: managed, runtime: uv }\n");
        Directory.CreateDirectory(Path.Combine(_dir, "services", "worker"));
        var (stack, d) = ModelKit.Resolve(_dir);
        var before = SpecialFiles.Snapshot(_dir);
        SpecialFiles.StageAndCommit(_dir, stack!, d);
        var error = Assert.Single(d.Items, x => x.Severity == Severity.Error);
        Assert.Equal(Codes.UvServiceNotAProject, error.Code);
        Assert.Equal("services/worker/pyproject.toml", error.Span.File);
        Assert.Equal(before, SpecialFiles.Snapshot(_dir));
    }
}
