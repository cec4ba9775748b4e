using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Hsm.Sdk.Tests;

/// <summary>
/// All-or-nothing commit under deaths: a fault injected at every step of the commit (the commit of a staged
/// build run in a child process that ends itself with Environment.FailFast there, Txn.BuildDyingAtCommitStep), and real
/// kill -9 of the build's process group at random moments. After each death every file is entirely old
/// or entirely new, and the next build converges to exactly what an uninterrupted build gives.
/// </summary>
[Collection(PackedSdkCollection.Name)]
public sealed class CrashRecoveryTests(PackedSdk sdk, ITestOutputHelper output)
{

    /// <summary>A project built on qdrant (the golden copy), and the reference: the milvus switch built without faults.</summary>
    private (TestProject P, string Golden, Dictionary<string, string> Old, Dictionary<string, string> Reference) Prepare(string name)
    {
        var p = new TestProject(sdk, name);
        p.BuildOk();
        var golden = p.Dir + ".golden";
        Txn.CopyTree(p.Dir, golden);
        var old = Txn.Bytes(p);
        Txn.SwitchToMilvus(p);
        p.BuildOk();
        var reference = Txn.All(p);
        Assert.Contains("milvus-adapter", p.Read("pyproject.toml"));
        return (p, golden, old, reference);
    }

    private static void Reset(TestProject p, string golden)
    {
        Txn.CopyTree(golden, p.Dir);
        Txn.SwitchToMilvus(p);
    }

    [SkippableFact]
    public void A_death_at_every_commit_step_leaves_old_or_new_files_and_the_next_build_converges()
    {
        Hsm.Tests.SharedTools.RequireTool("uv-standin");
        var (p, golden, old, reference) = Prepare("faults");
        var newBytes = reference.Where(kv => Txn.IsArtifact(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        int steps = 0, recovered = 0;
        var names = new List<string>();
        for (int k = 1; k <= 100; k++)
        {
            Reset(p, golden);
            var died = Txn.BuildDyingAtCommitStep(p, k.ToString());
            var marker = System.Text.RegularExpressions.Regex.Match(died.Output, @"dying at commit step (\d+) \(([^)]*)\)");
            if (died.Succeeded)
            {
                Assert.False(marker.Success);
                Txn.AssertConverged(p, reference, $"step {k} is past the last step");
                break;
            }
            Assert.True(marker.Success, $"step {k}: the build failed without the injected death:\n{died.Output}");
            Assert.Equal(k.ToString(), marker.Groups[1].Value);
            names.Add(marker.Groups[2].Value);
            steps = k;
            var (n, o, temps) = Txn.AssertOldOrNew(p, old, newBytes, $"after death at step {k} ({marker.Groups[2].Value})");

            var next = p.Build();
            Assert.True(next.Succeeded, $"step {k}: the build after the death failed:\n{next.Output}");
            if (next.Warnings.Any(w => w.Code == "HSM4001")) recovered++;
            Txn.AssertConverged(p, reference, $"after death at step {k} ({marker.Groups[2].Value})");
            output.WriteLine($"step {k} ({marker.Groups[2].Value}): {n} file(s) new, {o} old, {temps} temp file(s) left; next build {(next.Warnings.Any(w => w.Code == "HSM4001") ? "recovered (HSM4001)" : "had nothing to recover")} and converged");
        }
        output.WriteLine($"FAULT POINTS: {steps} steps x 1 run each = {steps} deaths, 0 torn files, 0 non-converged builds; {recovered} recoveries reported");
        output.WriteLine("steps: " + string.Join(", ", names));
        Assert.True(steps >= 10, $"expected every commit step to be exercised, got {steps}: {string.Join(", ", names)}");
        Assert.Contains("journal", names);
        Assert.Contains("uv", names);
        Assert.True(recovered > 0);
    }

    [SkippableFact]
    public void Kill_9_at_random_moments_never_leaves_a_torn_file()
    {
        Hsm.Tests.SharedTools.RequireTool("uv-standin");
        var (p, golden, old, reference) = Prepare("kill9");
        var newBytes = reference.Where(kv => Txn.IsArtifact(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        var slow = new Dictionary<string, string> { ["HSM_UV_STANDIN_SLEEP"] = "1" };

        // How long a slowed, uninterrupted build of the switch takes: the kills land inside it.
        Reset(p, golden);
        var sw = Stopwatch.StartNew();
        using (var full = Txn.StartBuildInOwnGroup(p, sdk, slow)) { full.WaitForExit(); Assert.Equal(0, full.ExitCode); }
        var duration = sw.Elapsed.TotalSeconds;
        Txn.AssertConverged(p, reference, "slowed uninterrupted build");

        var rng = new Random(20240611);
        const int runs = 8;
        int journalsLeft = 0, partlyNew = 0;
        for (int run = 0; run < runs; run++)
        {
            Reset(p, golden);
            var delay = duration * (0.35 + 0.65 * rng.NextDouble());
            using var proc = Txn.StartBuildInOwnGroup(p, sdk, slow);
            var exited = proc.WaitForExit(TimeSpan.FromSeconds(delay));
            if (!exited) Txn.KillGroup(proc);
            bool journal = File.Exists(p.PathOf("obj/hsm/commit.journal"));
            if (journal) journalsLeft++;
            var (n, o, temps) = Txn.AssertOldOrNew(p, old, newBytes, $"kill run {run} at {delay:0.00} s");
            if (n > 0 && o > 0) partlyNew++;
            var next = p.Build();
            Assert.True(next.Succeeded, $"kill run {run}: the next build failed:\n{next.Output}");
            Txn.AssertConverged(p, reference, $"kill run {run} at {delay:0.00} s");
            output.WriteLine($"run {run}: killed at {delay:0.00} s of {duration:0.00} s{(exited ? " (had already finished)" : "")}; journal left: {journal}; {n} new, {o} old, {temps} temp; next build {(next.Warnings.Any(w => w.Code == "HSM4001") ? "recovered (HSM4001)" : "ran normally")}; converged");
        }
        output.WriteLine($"KILL -9: {runs} runs, 0 torn files, 0 non-converged builds; {journalsLeft} kills left a journal, {partlyNew} left a mix of old and new files (recovered)");
    }
}
