using System.Diagnostics;
using System.Text;
using Hsm.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Hsm.Sdk.Tests;

/// <summary>
/// Cancellation, time and locks (design §9, issue 10 item 9) with real `dotnet build` processes: SIGTERM and
/// Ctrl+C during the commit's uv sync roll back before the process exits and are HSM5005; HsmToolTimeout
/// stops a uv that sleeps (HSM5006) after progress lines; a lock file the user cannot open is HSM5007 at
/// once; `dotnet clean` waits for the build lock.
/// </summary>
[Collection(PackedSdkCollection.Name)]
public sealed class CancellationEndToEndTests(PackedSdk sdk, ITestOutputHelper output)
{
    /// <summary>Artifacts (not .venv, which is uv's) with bytes and timestamps.</summary>
    private static Dictionary<string, (string Hash, DateTime Time)> Artifacts(TestProject p) =>
        p.Snapshot().Where(kv => Txn.IsArtifact(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);

    private sealed class RunningBuild : IDisposable
    {
        public Process Process { get; }
        private readonly StringBuilder _output = new();
        public string Output { get { lock (_output) return _output.ToString(); } }

        public RunningBuild(TestProject p, PackedSdk sdk, IDictionary<string, string> env, params string[] args)
        {
            var psi = Txn.ForegroundJob(p.Dir);
            foreach (var a in new[] { "dotnet" }.Concat(args)) psi.ArgumentList.Add(a);
            psi.Environment["NUGET_PACKAGES"] = sdk.PackagesFolder;
            psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment["MSBUILDTERMINALLOGGER"] = "off";
            psi.Environment["HSM_UV_STANDIN_LOG"] = p.UvLog;
            foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
            Process = Process.Start(psi)!;
            Process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_output) _output.AppendLine(e.Data); };
            Process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_output) _output.AppendLine(e.Data); };
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        /// <summary>Waits (hang guard only) until the output says something, or the process ends.</summary>
        public bool WaitFor(Func<string, bool> condition, TimeSpan guard)
        {
            var sw = Stopwatch.StartNew();
            while (!condition(Output))
            {
                if (Process.HasExited || sw.Elapsed > guard) return condition(Output);
                Thread.Sleep(100);
            }
            return true;
        }

        public void Dispose()
        {
            if (!Process.HasExited) SharedTools.Run("kill", new[] { "-9", "--", "-" + Process.Id });
            Process.WaitForExit(30_000);
            Process.Dispose();
        }
    }

    private static void WaitForUv(TestProject p, RunningBuild b, string subcommand)
    {
        var sw = Stopwatch.StartNew();
        while (!(File.Exists(p.UvLog) && File.ReadAllText(p.UvLog).Contains($"\"{subcommand}\"", StringComparison.Ordinal)))
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(300), $"uv {subcommand} never started:\n{b.Output}");
            Assert.False(b.Process.HasExited, $"the build ended before uv {subcommand} started:\n{b.Output}");
            Thread.Sleep(100);
        }
    }

    /// <summary>The signal goes to dotnet alone (`kill <pid>`), or to its whole process group as a terminal's Ctrl+C and most CI runners do.</summary>
    [SkippableTheory]
    [InlineData("TERM", false)]
    [InlineData("TERM", true)]
    [InlineData("INT", true)]
    public void A_signal_during_uv_sync_rolls_the_commit_back_before_exit_and_is_HSM5005(string signal, bool wholeGroup)
    {
        SharedTools.RequireTool("uv-standin");
        using var p = new TestProject(sdk, "sig" + signal.ToLowerInvariant());
        p.BuildOk();
        Txn.SwitchToMilvus(p);
        var before = Artifacts(p);
        if (File.Exists(p.UvLog)) File.Delete(p.UvLog);
        using var b = new RunningBuild(p, sdk, new Dictionary<string, string> { ["HSM_UV_STANDIN_SLEEP"] = "600", ["HSM_UV_STANDIN_ONLY"] = "sync" },
            "build", "hsm.proj", "-nodeReuse:false", "--nologo", "-p:HsmUvPath=" + p.UvStandin);
        WaitForUv(p, b, "sync"); // the commit has replaced the files; uv sync sleeps
        Assert.NotEqual(before["pyproject.toml"].Hash, Artifacts(p)["pyproject.toml"].Hash);
        SharedTools.Run("kill", new[] { "-" + signal, "--", (wholeGroup ? "-" : "") + b.Process.Id });
        Assert.True(b.Process.WaitForExit(300_000), "the build did not end after the signal:\n" + b.Output);
        b.Process.WaitForExit();
        output.WriteLine(b.Output);
        Assert.NotEqual(0, b.Process.ExitCode);
        Assert.Contains("error HSM5005", b.Output);
        Assert.Contains(signal == "INT" ? "cancelled by Ctrl+C (SIGINT) during the commit" : "cancelled by SIGTERM during the commit", b.Output);
        Assert.Contains("Every file was restored", b.Output);
        Assert.DoesNotContain("HSM9001", b.Output);
        Assert.DoesNotContain("HSM3002", b.Output); // uv killed by the signal is the cancellation, not a uv failure
        var after = Artifacts(p);
        var changed = before.Keys.Union(after.Keys).Where(k => !before.TryGetValue(k, out var x) || !after.TryGetValue(k, out var y) || x != y).ToList();
        Assert.True(changed.Count == 0, "not restored (content or timestamp): " + string.Join(", ", changed));
        Assert.False(File.Exists(p.PathOf("obj/hsm/commit.journal")));
        bool gone = false;
        for (int i = 0; i < 600 && !gone; i++) { gone = SharedTools.Run("pgrep", new[] { "-g", b.Process.Id.ToString() }).ExitCode != 0; if (!gone) Thread.Sleep(100); }
        Assert.True(gone, "uv (or an MSBuild node) is still running after the cancelled build");

        // Nothing is left to recover: the next build commits the switch.
        var ok = p.BuildOk();
        Assert.DoesNotContain(ok.Warnings, w => w.Code == "HSM4001");
        Assert.Contains("milvus-adapter", p.Read("pyproject.toml"));
    }

    [SkippableFact]
    public void HsmToolTimeout_stops_a_uv_that_hangs_after_progress_lines_and_rolls_back()
    {
        SharedTools.RequireTool("uv-standin");
        using var p = new TestProject(sdk, "timeout");
        p.BuildOk();
        Txn.SwitchToMilvus(p);
        var before = Artifacts(p);
        // uv sync sleeps for 10 minutes; the build must stop it after 12 s (the hang guard of SharedTools.Run is 5 min).
        var r = p.Build(new[] { "-p:HsmToolTimeout=12" }, new Dictionary<string, string> { ["HSM_UV_STANDIN_SLEEP"] = "600", ["HSM_UV_STANDIN_ONLY"] = "sync" });
        output.WriteLine(r.Output);
        Assert.False(r.Succeeded);
        var e = Assert.Single(r.Errors);
        Assert.Equal("HSM5006", e.Code);
        Assert.Contains("uv sync did not finish within 12 s (HsmToolTimeout)", e.Text);
        Assert.Contains("Every file was restored", e.Text);
        Assert.Equal(p.PathOf("pyproject.toml"), e.File);
        Assert.Contains("hsm: uv sync is still running (10 s so far", r.Output);
        Assert.Equal(before, Artifacts(p));

        // An invalid value is HSM5004 at hsm.proj.
        var bad = p.Build("-p:HsmToolTimeout=soon");
        Assert.False(bad.Succeeded);
        var b = Assert.Single(bad.Errors, x => x.Code == "HSM5004");
        Assert.Contains("HsmToolTimeout is 'soon'", b.Text);
        Assert.Equal(p.PathOf("hsm.proj"), b.File);
    }

    [SkippableFact]
    public void A_lock_file_left_by_sudo_is_HSM5007_naming_it_not_an_endless_wait()
    {
        using var p = new TestProject(sdk, "lock-denied");
        p.BuildOk();
        var lockFile = p.PathOf("obj/hsm/build.lock");
        Assert.True(File.Exists(lockFile));
        var before = p.Snapshot();
        File.SetLastWriteTimeUtc(p.PathOf("hsm.yaml"), DateTime.UtcNow);
        using (var denied = Unwritable.Make(lockFile)) // as `sudo dotnet build` leaves it: owned by root (here: immutable)
        {
            if (denied is null) return;
            var r = p.Build(); // a wait would hit SharedTools.Run's hang guard
            Assert.False(r.Succeeded);
            var e = Assert.Single(r.Errors);
            Assert.Equal("HSM5007", e.Code);
            Assert.Equal(lockFile, e.File);
            Assert.Contains(lockFile, e.Text);
            Assert.DoesNotContain("another build of this project is running", r.Output);
        }
        foreach (var f in before.Keys.Where(k => k != "hsm.yaml")) Assert.Equal(before[f], p.Snapshot()[f]);
        p.BuildOk();
    }

    [SkippableFact]
    public void Clean_waits_for_the_build_lock_of_a_running_build()
    {
        SharedTools.RequireTool("uv-standin");
        using var p = new TestProject(sdk, "clean-lock");
        p.BuildOk();
        Txn.SwitchToMilvus(p);
        if (File.Exists(p.UvLog)) File.Delete(p.UvLog);
        using var build = new RunningBuild(p, sdk, new Dictionary<string, string> { ["HSM_UV_STANDIN_SLEEP"] = "40", ["HSM_UV_STANDIN_ONLY"] = "sync" },
            "build", "hsm.proj", "-nodeReuse:false", "--nologo", "-p:HsmUvPath=" + p.UvStandin);
        WaitForUv(p, build, "sync"); // the build holds the lock, in the middle of its commit
        using var clean = new RunningBuild(p, sdk, new Dictionary<string, string>(), "build", "hsm.proj", "-t:Clean", "-nodeReuse:false", "--nologo");
        Assert.True(clean.WaitFor(o => o.Contains("another build of this project is running", StringComparison.Ordinal), TimeSpan.FromSeconds(300)),
            "Clean did not wait for the build lock:\n" + clean.Output);
        Assert.Contains(p.PathOf("obj/hsm/build.lock"), clean.Output);
        Assert.True(build.Process.WaitForExit(300_000) && clean.Process.WaitForExit(300_000), "a build did not end");
        build.Process.WaitForExit();
        clean.Process.WaitForExit();
        Assert.True(build.Process.ExitCode == 0, "the build failed:\n" + build.Output);
        Assert.True(clean.Process.ExitCode == 0, "Clean failed:\n" + clean.Output);
        Assert.Contains("milvus-adapter", p.Read("pyproject.toml")); // the commit was not disturbed
        Assert.True(p.Exists("uv.lock"));
        Assert.False(Directory.Exists(p.PathOf("obj/hsm")));
    }
}
