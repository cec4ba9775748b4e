using System.Text.Json;
using Hsm.Tests;
using Xunit;

namespace Hsm.Sdk.Tests;

/// <summary>Issue 4's promises through `dotnet build` of a real hsm.proj, with uv-standin as uv.</summary>
[Collection(PackedSdkCollection.Name)]
public sealed class PythonEndToEndTests(PackedSdk sdk)
{

    private static List<(string[] Argv, string Cwd, double Time)> UvCalls(TestProject p)
    {
        if (!File.Exists(p.UvLog)) return new();
        return File.ReadAllLines(p.UvLog).Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (e.GetProperty("argv").EnumerateArray().Select(a => a.GetString()!).ToArray(), e.GetProperty("cwd").GetString()!, e.GetProperty("time").GetDouble()))
            .ToList();
    }

    [SkippableFact]
    public void Uv_checks_the_staged_copy_before_the_project_changes_then_syncs_in_the_project()
    {
        SharedTools.RequireTool("uv-standin");
        using var p = new TestProject(sdk, "uv-order");
        p.BuildOk();
        var calls = UvCalls(p);
        Assert.Equal(2, calls.Count);
        var (check, checkCwd, checkTime) = calls[0];
        Assert.Equal("lock", check[0]);
        Assert.Contains("--dry-run", check);
        Assert.Equal(new[] { "lock", "--project", checkCwd, "--dry-run", "--no-progress" }, check);
        Assert.False(checkCwd.StartsWith(p.Dir, StringComparison.Ordinal), "the check must run outside the project tree");
        var pyTime = (File.GetLastWriteTimeUtc(p.PathOf("pyproject.toml")) - DateTime.UnixEpoch).TotalSeconds;
        Assert.True(checkTime < pyTime, "uv lock --dry-run ran after pyproject.toml changed");
        var (sync, syncCwd, _) = calls[1];
        Assert.Equal(new[] { "sync", "--project", p.Dir, "--no-progress" }, sync);
        Assert.Equal(p.Dir, syncCwd);
        Assert.True(p.Exists("uv.lock"));
        Assert.True(p.Exists(".venv/installed.json"));
        var installed = p.Read(".venv/installed.json");
        Assert.Contains("qdrant-adapter", installed);
    }

    [SkippableFact]
    public void A_real_conflict_fails_with_uvs_message_and_changes_nothing()
    {
        using var p = new TestProject(sdk, "uv-conflict");
        if (p.UvStandin is null) { Assert.NotEqual("true", Environment.GetEnvironmentVariable("CI")); return; }
        p.BuildOk();
        var before = p.Snapshot();
        foreach (var (name, spec) in new[] { ("old-numpy-user", "numpy<2"), ("new-numpy-user", "numpy>=2") })
        {
            p.Write($"hsm-registry/libraries/{name}.yaml", $"name: {name}\nsources:\n  dev: {{ type: local, path: packages/{name} }}\n");
            p.Write($"packages/{name}/pyproject.toml", $"[project]\nname = \"{name}\"\nversion = \"0.1.0\"\ndependencies = [\"{spec}\"]\n");
        }
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("  package_manager: uv\n", "  package_manager: uv\n  standalone:\n    - { name: old-numpy-user, mode: dev }\n    - { name: new-numpy-user, mode: dev }\n"));
        var r = p.Build();
        Assert.False(r.Succeeded);
        var error = Assert.Single(r.Errors);
        Assert.Equal("HSM3001", error.Code);
        Assert.Contains("No solution found", error.Text);
        Assert.Equal(p.PathOf("pyproject.toml"), error.File);
        foreach (var f in new[] { "pyproject.toml", "uv.lock", "docker-compose.hsm.yml", "hsm.lock", ".env.hsm" })
            Assert.Equal(before[f], p.Snapshot()[f]);
        Assert.DoesNotContain(UvCalls(p).Skip(2), c => c.Argv[0] == "sync"); // uv never touched the project

        // Changing a dev package's own dependencies re-resolves on the next build (its pyproject.toml is an input).
        p.Write("packages/old-numpy-user/pyproject.toml", "[project]\nname = \"old-numpy-user\"\nversion = \"0.1.0\"\ndependencies = [\"numpy>=1.20\"]\n");
        p.BuildOk();
        Assert.Contains("\"old-numpy-user\",", p.Read("pyproject.toml"));
        p.Write("packages/old-numpy-user/pyproject.toml", "[project]\nname = \"old-numpy-user\"\nversion = \"0.1.0\"\ndependencies = [\"numpy<1.20\"]\n");
        var broken = p.Build();
        Assert.True(broken.Ran("HsmSync"));
        Assert.False(broken.Succeeded);
        Assert.Contains(broken.Errors, e => e.Code == "HSM3001");
    }

    [SkippableFact]
    public void Uv_sync_failure_rolls_every_file_back()
    {
        using var p = new TestProject(sdk, "uv-sync-fail");
        if (p.UvStandin is null) { Assert.NotEqual("true", Environment.GetEnvironmentVariable("CI")); return; }
        p.BuildOk();
        var before = p.Snapshot();
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("selection: qdrant-adapter", "selection: milvus-adapter"));
        var r = p.Build(Array.Empty<string>(), new Dictionary<string, string> { ["HSM_UV_STANDIN_ONLY"] = "sync", ["HSM_UV_STANDIN_EXIT"] = "2" });
        Assert.False(r.Succeeded);
        Assert.Contains(r.Errors, e => e.Code == "HSM3002");
        var after = p.Snapshot();
        foreach (var f in before.Keys.Where(k => k != "hsm.yaml"))
            Assert.Equal(before[f], after[f]);
        Assert.False(p.Exists("obj/hsm/commit.journal"));
    }
}
