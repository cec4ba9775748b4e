using Hsm.Tests;
using Xunit;

namespace Hsm.Sdk.Tests;

/// <summary>On-demand clones (design §3.1) and uv-runtime services (design §5.4) with real git and local repositories.</summary>
[Collection(PackedSdkCollection.Name)]
public sealed class CloneEndToEndTests(PackedSdk sdk)
{

    private static void Git(string dir, params string[] args)
    {
        var all = new List<string> { "-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main" };
        all.AddRange(args);
        var (code, output) = SharedTools.Run("git", all);
        Assert.True(code == 0, $"git {string.Join(' ', args)}: {output}");
    }

    /// <summary>A local repository with a Python project: v1.0.0 tagged, then a later commit on main.</summary>
    private static string MakeRepo(string root, string name)
    {
        var repo = Path.Combine(root, name + "-origin");
        Directory.CreateDirectory(repo);
        Git(repo, "init", "-q");
        File.WriteAllText(Path.Combine(repo, "pyproject.toml"), $"[project]\nname = \"{name}\"\nversion = \"1.0.0\"\ndependencies = []\n");
        File.WriteAllText(Path.Combine(repo, "VERSION"), "tagged\n");
        Git(repo, "add", "-A");
        Git(repo, "commit", "-q", "-m", "v1");
        Git(repo, "tag", "v1.0.0");
        File.WriteAllText(Path.Combine(repo, "VERSION"), "head of main\n");
        File.WriteAllText(Path.Combine(repo, "pyproject.toml"), $"[project]\nname = \"{name}\"\nversion = \"2.0.0\"\ndependencies = []\n");
        Git(repo, "commit", "-q", "-am", "later");
        return repo;
    }

    [SkippableFact]
    public void A_missing_dev_package_is_cloned_at_its_tag_and_moved_in_by_the_commit()
    {
        using var p = new TestProject(sdk, "clone");
        var repo = MakeRepo(Path.GetDirectoryName(p.Dir)!, "plugin-" + Path.GetFileName(p.Dir));
        var package = Path.GetFileName(repo)[..^"-origin".Length]; // the repository's [project].name
        p.Write("hsm-registry/libraries/my-plugin.yaml", $$"""
            name: my-plugin
            sources:
              prod: { type: pypi, version: ">=1" }
              dev: { type: local, package: {{package}}, path: plugins/my-plugin, url: "file://{{repo}}", ref: v1.0.0 }
            """);
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("  package_manager: uv\n", "  package_manager: uv\n  standalone:\n    - { name: my-plugin, mode: dev }\n"));
        p.BuildOk();
        Assert.Equal("tagged\n", p.Read("plugins/my-plugin/VERSION"));           // the tag, not the branch head
        Assert.Contains("version = \"1.0.0\"", p.Read("plugins/my-plugin/pyproject.toml"));
        Assert.Contains("{ path = \"plugins/my-plugin\", editable = true }", p.Read("pyproject.toml"));
        Assert.False(Directory.Exists(p.PathOf("obj/hsm/clones/library-my-plugin")));
        Assert.True(SharedTools.CheckPyProject(p.PathOf("pyproject.toml")).Ok);

        // An existing checkout is never updated.
        File.WriteAllText(p.PathOf("plugins/my-plugin/LOCAL"), "mine\n");
        File.SetLastWriteTimeUtc(p.PathOf("hsm.yaml"), DateTime.UtcNow);
        p.BuildOk();
        Assert.Equal("mine\n", p.Read("plugins/my-plugin/LOCAL"));
    }

    [SkippableFact]
    public void A_failed_clone_is_an_error_that_leaves_nothing_behind()
    {
        using var p = new TestProject(sdk, "clone-fail");
        p.BuildOk();
        var before = p.Snapshot();
        p.Write("hsm-registry/libraries/my-plugin.yaml", "name: my-plugin\nsources:\n  dev: { type: local, path: plugins/my-plugin, url: \"file:///nonexistent/repo\", ref: v1 }\n");
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("  package_manager: uv\n", "  package_manager: uv\n  standalone:\n    - { name: my-plugin, mode: dev }\n"));
        var r = p.Build();
        Assert.False(r.Succeeded);
        Assert.Contains(r.Errors, e => e.Code == "HSM3004");
        Assert.False(Directory.Exists(p.PathOf("plugins")));
        var after = p.Snapshot();
        foreach (var f in before.Keys.Where(k => k != "hsm.yaml")) Assert.Equal(before[f], after[f]);
    }

    [SkippableFact]
    public void A_uv_runtime_service_gets_its_own_pyproject_env_file_and_sync()
    {
        using var p = new TestProject(sdk, "uv-service");
        var repo = MakeRepo(Path.GetDirectoryName(p.Dir)!, "worker-" + Path.GetFileName(p.Dir));
        p.Write("hsm-registry/services/worker.yaml", $$"""
            name: worker
            env: { WORKER_QUEUE: "${HSM_MERGED_PARAMS.queue}", LOG_LEVEL: info }
            dependencies: [qdrant-adapter, "httpx>=0.27"]
            sources:
              prod: { type: git, url: "file://{{repo}}", ref: v1.0.0 }
            deployment_profiles:
              default: { mode: managed, runtime: uv }
            """);
        p.Write("hsm-registry/libraries/qdrant-adapter.yaml", p.Read("hsm-registry/libraries/qdrant-adapter.yaml")
            .Replace("implies:\n", "implies:\n  service:worker:\n    params: { queue: vectors }\n"));
        p.BuildOk();
        Assert.Equal("tagged\n", p.Read("services/worker/VERSION"));
        var svcPy = p.Read("services/worker/pyproject.toml");
        Assert.Contains("\"qdrant-adapter\"", svcPy);
        Assert.Contains("\"httpx>=0.27\"", svcPy);
        Assert.Contains("qdrant-adapter = { path = \"../../packages/qdrant-adapter\", editable = true }", svcPy);
        Assert.Equal("LOG_LEVEL=info\nWORKER_QUEUE=vectors\n", p.Read(".env.worker"));
        Assert.DoesNotContain("worker", p.Read("docker-compose.hsm.yml")); // uv services are never in Compose
        Assert.True(p.Exists("services/worker/uv.lock"));
        Assert.True(SharedTools.CheckPyProject(p.PathOf("services/worker/pyproject.toml")).Ok);
        Assert.Contains("services/worker/pyproject.toml", p.Read("hsm.lock"));
    }
}
