using System.Diagnostics;
using Hsm.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Hsm.Sdk.Tests;

/// <summary>Concurrency, rollback on uv failure, HsmLocked, hand-edited generated files, -question and HsmCheck.</summary>
[Collection(PackedSdkCollection.Name)]
public sealed class TransactionTests(PackedSdk sdk, ITestOutputHelper output)
{

    private static readonly string[] Stamps = { "resolve.stamp", "stage.stamp", "sync.stamp", "commit.stamp", "resolved.json", "inputs.cache", "artifacts.hash" };

    /// <summary>Project files with bytes and timestamps, and the chain's stamps in obj/hsm with their timestamps.</summary>
    private static Dictionary<string, (string Hash, DateTime Time)> FullSnapshot(TestProject p)
    {
        var s = p.Snapshot().Where(kv => Txn.IsArtifact(kv.Key) || kv.Key.StartsWith(".venv/", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var st in Stamps)
        {
            var f = p.PathOf("obj/hsm/" + st);
            if (File.Exists(f)) s["obj/hsm/" + st] = ("", File.GetLastWriteTimeUtc(f));
        }
        return s;
    }

    private static void AssertSame(Dictionary<string, (string Hash, DateTime Time)> before, Dictionary<string, (string Hash, DateTime Time)> after, string context)
    {
        var diff = before.Keys.Union(after.Keys).Where(k => !before.TryGetValue(k, out var a) || !after.TryGetValue(k, out var b) || a != b).ToList();
        Assert.True(diff.Count == 0, $"{context}: these files or timestamps changed: {string.Join(", ", diff)}");
    }

    [SkippableFact]
    public void Two_concurrent_builds_serialise_and_equal_a_clean_build()
    {
        SharedTools.RequireTool("uv-standin");
        using var reference = new TestProject(sdk, "conc-ref");
        using var p = new TestProject(sdk, "conc");
        var env = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = sdk.PackagesFolder, ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        var (rc, rout) = SharedTools.Run("dotnet", new[] { "restore", "hsm.proj", "-nodeReuse:false" }, p.Dir, env);
        Assert.True(rc == 0, rout);

        int waited = 0, rounds = 0;
        foreach (var change in new Action<TestProject>?[] { null, Txn.SwitchToMilvus, q => q.Write("hsm.yaml", q.Read("hsm.yaml").Replace("milvus-adapter", "qdrant-adapter")) })
        {
            if (change != null) { change(p); change(reference); }
            reference.BuildOk();
            var outputs = RunPair(p); // both succeed (asserted inside)
            waited += outputs.Count(o => o.Contains("another build of this project is running", StringComparison.Ordinal));
            var want = Txn.All(reference);
            var got = Txn.All(p);
            var diff = want.Keys.Union(got.Keys).Where(k => !want.TryGetValue(k, out var x) || !got.TryGetValue(k, out var y) || x != y).ToList();
            Assert.True(diff.Count == 0, $"round {rounds}: differs from a clean build: {string.Join(", ", diff)}");
            rounds++;
        }
        output.WriteLine($"CONCURRENT: {rounds} pairs of concurrent builds ({2 * rounds} builds), all succeeded and equal a clean build; {waited} build(s) waited for the lock");
        Assert.True(waited >= 1, "at least one build should have waited for the lock");
    }

    private List<string> RunPair(TestProject p)
    {
        var outputs = new List<string>();
        var tasks = Enumerable.Range(0, 2).Select(_ => System.Threading.Tasks.Task.Run(() =>
        {
            var env = new Dictionary<string, string>
            {
                ["NUGET_PACKAGES"] = sdk.PackagesFolder, ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["MSBUILDTERMINALLOGGER"] = "off", ["HSM_UV_STANDIN_SLEEP"] = "1",
            };
            var (code, o) = SharedTools.Run("dotnet", new[] { "build", "hsm.proj", "--no-restore", "-nodeReuse:false", "-p:HsmUvPath=" + p.UvStandin }, p.Dir, env);
            Assert.True(code == 0, o);
            lock (outputs) outputs.Add(o);
        })).ToArray();
        System.Threading.Tasks.Task.WaitAll(tasks);
        return outputs;
    }

    [SkippableFact]
    public void Uv_sync_failure_restores_every_file_byte_identical()
    {
        SharedTools.RequireTool("uv-standin");
        using var p = new TestProject(sdk, "uvfail");
        p.BuildOk();
        Txn.SwitchToMilvus(p);
        var before = FullSnapshot(p);
        var r = p.Build(Array.Empty<string>(), new Dictionary<string, string> { ["HSM_UV_STANDIN_ONLY"] = "sync", ["HSM_UV_STANDIN_EXIT"] = "1" });
        Assert.False(r.Succeeded);
        var error = Assert.Single(r.Errors, e => e.Code.StartsWith("HSM3", StringComparison.Ordinal));
        Assert.Contains("failing as HSM_UV_STANDIN_EXIT asks", error.Text); // uv's own message: the original failure
        Assert.Contains("Every file was restored", error.Text);
        var after = FullSnapshot(p);
        foreach (var st in Stamps) { before.Remove("obj/hsm/" + st); after.Remove("obj/hsm/" + st); } // resolve/stage ran; commit did not
        AssertSame(before, after, "after a failed uv sync");
        Assert.False(File.Exists(p.PathOf("obj/hsm/commit.journal")));

        // Fixed: the next build commits the switch.
        var ok = p.BuildOk();
        Assert.True(ok.Ran("HsmCommit"));
        Assert.Contains("milvus-adapter", p.Read("pyproject.toml"));
    }

    /// <summary>
    /// Design §9 "nothing a user wrote is lost": an editor saves pyproject.toml while `uv sync` runs, then uv
    /// fails. The rollback keeps that save (HSM4007 names the file), restores every other file, and the
    /// error says which is which. The edit is made when uv-standin has logged its sync call (it then sleeps),
    /// so the order is fixed by the log, not by timing.
    /// </summary>
    [SkippableFact]
    public void A_save_during_a_failing_uv_sync_is_kept_and_reported()
    {
        SharedTools.RequireTool("uv-standin");
        using var p = new TestProject(sdk, "uvedit");
        p.BuildOk();
        Txn.SwitchToMilvus(p);
        var before = p.Snapshot();
        if (File.Exists(p.UvLog)) File.Delete(p.UvLog);
        const string save = "# saved by my editor during uv sync\n";
        var build = System.Threading.Tasks.Task.Run(() => p.Build(Array.Empty<string>(),
            new Dictionary<string, string> { ["HSM_UV_STANDIN_ONLY"] = "sync", ["HSM_UV_STANDIN_EXIT"] = "1", ["HSM_UV_STANDIN_SLEEP"] = "20" }));
        string? edited = null;
        while (!build.IsCompleted)
        {
            if (File.Exists(p.UvLog) && File.ReadAllText(p.UvLog).Contains("\"sync\"", StringComparison.Ordinal))
            {
                edited = p.Read("pyproject.toml") + save; // hsm's new pyproject.toml plus the user's line
                p.Write("pyproject.toml", edited);
                break;
            }
            Thread.Sleep(50);
        }
        var r = build.Result;
        Assert.False(r.Succeeded);
        Assert.NotNull(edited);
        Assert.Equal(edited, p.Read("pyproject.toml"));
        var kept = Assert.Single(r.Warnings, w => w.Code == "HSM4007");
        Assert.EndsWith("pyproject.toml", kept.File);
        var error = Assert.Single(r.Errors, e => e.Code.StartsWith("HSM3", StringComparison.Ordinal));
        Assert.Contains("not rolled back (HSM4007): pyproject.toml", error.Text);
        Assert.DoesNotContain("nothing in the project changed", error.Text);
        var after = p.Snapshot();
        var changed = before.Keys.Union(after.Keys).Where(k => Txn.IsArtifact(k) && !k.StartsWith("obj/", StringComparison.Ordinal)
            && (!before.TryGetValue(k, out var a) || !after.TryGetValue(k, out var b) || a != b)).ToList();
        Assert.Equal(new[] { "pyproject.toml" }, changed); // every other file is as before, timestamps included
        Assert.DoesNotContain(after.Keys, k => Txn.IsHsmTemp(k));
    }

    [SkippableFact]
    public void HsmLocked_on_a_changed_stack_fails_with_HSM2012_and_writes_nothing()
    {
        using var p = new TestProject(sdk, "locked");
        p.BuildOk();
        p.BuildOk("-p:HsmLocked=true"); // unchanged stack: passes
        Txn.SwitchToMilvus(p);
        var before = p.Snapshot();
        var r = p.Build("-p:HsmLocked=true");
        Assert.False(r.Succeeded);
        Assert.Contains(r.Errors, e => e.Code == "HSM2012");
        Assert.Equal(before, p.Snapshot());
    }

    [SkippableFact]
    public void A_hand_edited_compose_file_gets_HSM4002_and_is_regenerated()
    {
        using var p = new TestProject(sdk, "handedit");
        p.BuildOk();
        var generated = p.Read("docker-compose.hsm.yml");
        p.Write("docker-compose.hsm.yml", generated.Replace("\"6333:6333\"", "\"7333:6333\""));
        var r = p.BuildOk();
        var w = Assert.Single(r.Warnings, w => w.Code == "HSM4002");
        Assert.Contains("docker-compose.hsm.yml", w.Text);
        Assert.Equal(generated, p.Read("docker-compose.hsm.yml"));

        // With HsmLocked=true the same edit is an error and nothing is written.
        p.Write("docker-compose.hsm.yml", generated + "# my note\n");
        var before = p.Snapshot();
        var locked = p.Build("-p:HsmLocked=true");
        Assert.False(locked.Succeeded);
        Assert.Contains(locked.Errors, e => e.Code == "HSM4002");
        Assert.Equal(before, p.Snapshot());
    }

    [SkippableFact]
    public void Question_reports_pending_writes_and_writes_nothing()
    {
        using var p = new TestProject(sdk, "question");
        p.BuildOk();
        Txn.SwitchToMilvus(p);
        var before = p.Snapshot();
        var q = p.Build("-question");
        Assert.False(q.Succeeded);
        output.WriteLine(string.Join("\n", q.Errors.Select(e => $"{e.Code}: {e.Text}")));
        Assert.Equal(before, p.Snapshot());
        var ok = p.BuildOk();
        Assert.True(ok.Ran("HsmCommit"));
        Assert.True(p.Build("-question").Succeeded);
    }

    [SkippableFact]
    public void HsmCheck_prints_the_plan_and_changes_nothing()
    {
        SharedTools.RequireTool("uv-standin");
        using var p = new TestProject(sdk, "check");
        p.BuildOk();
        Txn.SwitchToMilvus(p);
        var before = FullSnapshot(p);
        var r = p.Build("-t:HsmCheck", "-v:n");
        Assert.True(r.Succeeded, r.Output);
        var plan = p.Read("obj/hsm/plan.txt");
        output.WriteLine(plan);
        Assert.Contains("hsm: pyproject.toml: + milvus-adapter (selection)", plan);
        Assert.Contains("hsm: pyproject.toml: - qdrant-adapter (deselected, was selection)", plan);
        Assert.Contains("hsm: docker-compose.hsm.yml: + service milvus (implies from library", plan);
        Assert.Contains("hsm: docker-compose.hsm.yml: - service qdrant (deselected, was implies from library", plan);
        Assert.Contains("hsm: .env.hsm: + MILVUS_HOST (implies from library", plan);
        Assert.Contains("hsm: hsm.lock: + library milvus-adapter [dev, local] (selection)", plan);
        Assert.DoesNotContain("redis", plan); // unchanged entries are not listed
        foreach (var line in plan.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Matches(@"^hsm: [^:]+: [+~-] .+ \(.+\)$", line);
            Assert.Contains(line, r.Output);
        }
        Assert.Contains(p.PathOf("obj/hsm/plan.txt"), r.Output);
        AssertSame(before, FullSnapshot(p), "HsmCheck");

        // A stack uv cannot resolve: two local dev packages, numpy<2 against numpy>=2.
        foreach (var (name, spec) in new[] { ("np-old", "numpy<2"), ("np-new", "numpy>=2") })
        {
            p.Write($"hsm-registry/libraries/{name}.yaml", $"name: {name}\nsources:\n  dev: {{ type: local, path: packages/{name} }}\n");
            p.Write($"packages/{name}/pyproject.toml", $"[project]\nname = \"{name}\"\nversion = \"0.1.0\"\ndependencies = [\"{spec}\"]\n");
        }
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("  standalone:\n    - name: redis", "  standalone:\n    - name: redis") + "");
        var yaml = p.Read("hsm.yaml").Replace("libraries:\n  package_manager: uv\n", "libraries:\n  package_manager: uv\n  standalone:\n    - { name: np-old, mode: dev }\n    - { name: np-new, mode: dev }\n");
        p.Write("hsm.yaml", yaml);
        before = FullSnapshot(p);
        var bad = p.Build("-t:HsmCheck");
        Assert.False(bad.Succeeded, bad.Output);
        Assert.Contains(bad.Errors, e => e.Code == "HSM3001" && e.Text.Contains("No solution found", StringComparison.Ordinal));
        Assert.Contains("would not build", p.Read("obj/hsm/plan.txt"));
        AssertSame(before, FullSnapshot(p), "HsmCheck on a conflicting stack");
    }

    [SkippableFact]
    public void Clean_recovers_an_interrupted_commit_first()
    {
        using var p = new TestProject(sdk, "clean");
        p.BuildOk();
        var old = Txn.Bytes(p);
        Txn.SwitchToMilvus(p);
        var died = Txn.BuildDyingAtCommitStep(p, "done:docker-compose.hsm.yml");
        Assert.False(died.Succeeded);
        Assert.True(File.Exists(p.PathOf("obj/hsm/commit.journal")));
        var clean = p.Build("-t:Clean");
        Assert.True(clean.Succeeded, clean.Output);
        Assert.Contains(clean.Warnings, w => w.Code == "HSM4001");
        Assert.False(Directory.Exists(p.PathOf("obj/hsm")));
        var now = Txn.Bytes(p);
        now.Remove("hsm.yaml"); old.Remove("hsm.yaml");
        Assert.Equal(old, now); // rolled back
    }

    [SkippableFact]
    public void Ctrl_C_during_uv_lock_stops_uv_and_changes_nothing()
    {
        SharedTools.RequireTool("uv-standin");
        using var p = new TestProject(sdk, "cancel");
        p.BuildOk();
        Txn.SwitchToMilvus(p);
        var before = p.Snapshot();
        if (File.Exists(p.UvLog)) File.Delete(p.UvLog);
        var sw = Stopwatch.StartNew();
        using var proc = Txn.StartBuildInOwnGroup(p, sdk, new Dictionary<string, string> { ["HSM_UV_STANDIN_SLEEP"] = "60", ["HSM_UV_STANDIN_ONLY"] = "lock" });
        while (!(File.Exists(p.UvLog) && File.ReadAllText(p.UvLog).Contains("\"lock\"", StringComparison.Ordinal)))
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(120), "uv lock never started");
            Assert.False(proc.HasExited, "the build ended before uv lock started");
            Thread.Sleep(100);
        }
        Thread.Sleep(500);
        SharedTools.Run("kill", new[] { "-INT", proc.Id.ToString() }); // Ctrl+C to dotnet only: hsm must stop uv itself
        Assert.True(proc.WaitForExit(30_000), "the build did not stop after Ctrl+C");
        Assert.NotEqual(0, proc.ExitCode);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(55), $"the build waited for uv ({sw.Elapsed.TotalSeconds:0} s)");
        bool groupGone = false;
        for (int i = 0; i < 600 && !groupGone; i++) { groupGone = SharedTools.Run("pgrep", new[] { "-g", proc.Id.ToString() }).ExitCode != 0; if (!groupGone) Thread.Sleep(100); }
        Assert.True(groupGone, "uv (or an MSBuild node) is still running after the cancelled build");
        Assert.Equal(before, p.Snapshot());
    }
}
