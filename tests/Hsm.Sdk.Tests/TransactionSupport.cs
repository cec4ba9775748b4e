using System.Diagnostics;
using Hsm.Tests;
using Xunit;

namespace Hsm.Sdk.Tests;

/// <summary>
/// Helpers for the transaction tests: a "golden" copy of a built project (restored with cp -a, so
/// timestamps and absolute paths in obj/ stay valid), the qdrant → milvus switch of the quickstart,
/// and the "every file entirely old or entirely new" check.
/// </summary>
public static class Txn
{
    /// <summary>
    /// A process started as a terminal starts a foreground job: a process group of its own (setsid: Ctrl+C signals the
    /// group), with SIGINT and SIGQUIT at their default handling. A test run started in the background of a
    /// non-interactive shell (`dotnet test … &amp;`, nohup) has them ignored, an ignored signal stays ignored across exec,
    /// and .NET then installs no handler for it: the Ctrl+C tests would fail for the way they were launched.
    /// </summary>
    public static ProcessStartInfo ForegroundJob(string workingDirectory)
    {
        var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        psi.ArgumentList.Add("--default-signal=INT,QUIT");
        psi.ArgumentList.Add("setsid");
        return psi;
    }
    /// <summary>Files that are not artifacts of the transaction: uv's .venv, binlogs, obj/.</summary>
    public static bool IsArtifact(string rel) => !rel.StartsWith(".venv/", StringComparison.Ordinal) && !rel.EndsWith(".binlog", StringComparison.Ordinal);

    public static bool IsHsmTemp(string rel) => Path.GetFileName(rel).Contains(".hsm-", StringComparison.Ordinal) && rel.EndsWith(".tmp", StringComparison.Ordinal);

    public static void SwitchToMilvus(TestProject p) =>
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("selection: qdrant-adapter", "selection: milvus-adapter").Replace("qdrant-adapter: dev", "milvus-adapter: dev"));

    public static void CopyTree(string from, string to)
    {
        if (Directory.Exists(to)) Directory.Delete(to, recursive: true);
        var (code, output) = SharedTools.Run("cp", new[] { "-a", from, to });
        Assert.True(code == 0, "cp -a failed: " + output);
    }

    /// <summary>Bytes of every artifact (timestamps ignored; not .venv, which is uv's business).</summary>
    public static Dictionary<string, string> Bytes(TestProject p) =>
        p.Snapshot().Where(kv => IsArtifact(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value.Hash);

    /// <summary>Bytes of every file, .venv included (what a converged build must reproduce).</summary>
    public static Dictionary<string, string> All(TestProject p) =>
        p.Snapshot().Where(kv => !kv.Key.EndsWith(".binlog", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value.Hash);

    /// <summary>
    /// Asserts that every file is, byte for byte, either as it was before (old, or absent then) or as
    /// the uninterrupted build leaves it (new, or absent then). Returns (files new, files old).
    /// Leftover temp files of the killed commit are listed separately (they are not torn targets).
    /// </summary>
    public static (int New, int Old, int Temps) AssertOldOrNew(TestProject p, Dictionary<string, string> oldBytes, Dictionary<string, string> newBytes, string context)
    {
        var now = Bytes(p);
        int n = 0, o = 0, temps = 0;
        foreach (var rel in now.Keys.Union(oldBytes.Keys).Union(newBytes.Keys).Where(k => k != "hsm.yaml"))
        {
            if (IsHsmTemp(rel)) { temps++; continue; }
            now.TryGetValue(rel, out var cur);
            oldBytes.TryGetValue(rel, out var old);
            newBytes.TryGetValue(rel, out var neu);
            bool isOld = cur == old, isNew = cur == neu;
            Assert.True(isOld || isNew, $"{context}: '{rel}' is torn or foreign: neither its old nor its new content ({(cur is null ? "absent" : "present")}).");
            if (isNew && !isOld) n++;
            else if (isOld && !isNew) o++;
        }
        return (n, o, temps);
    }

    public static void AssertConverged(TestProject p, Dictionary<string, string> reference, string context)
    {
        var now = All(p);
        var temps = now.Keys.Where(IsHsmTemp).ToList();
        Assert.True(temps.Count == 0, $"{context}: temp files left: {string.Join(", ", temps)}");
        Assert.False(File.Exists(p.PathOf("obj/hsm/commit.journal")), $"{context}: the journal is still there");
        var diff = now.Keys.Union(reference.Keys).Where(k => !now.TryGetValue(k, out var a) || !reference.TryGetValue(k, out var b) || a != b).ToList();
        Assert.True(diff.Count == 0, $"{context}: not converged; these files differ from the uninterrupted build: {string.Join(", ", diff)}");
    }

    /// <summary>`dotnet build` in its own process group (setsid), so kill -9 -pgid takes MSBuild nodes and uv with it.</summary>
    public static Process StartBuildInOwnGroup(TestProject p, PackedSdk sdk, IDictionary<string, string> env, params string[] extra)
    {
        var psi = ForegroundJob(p.Dir);
        foreach (var a in new[] { "dotnet", "build", "hsm.proj", "-nodeReuse:false", "--nologo", "-p:HsmUvPath=" + p.UvStandin }) psi.ArgumentList.Add(a);
        foreach (var a in extra) psi.ArgumentList.Add(a);
        psi.Environment["NUGET_PACKAGES"] = sdk.PackagesFolder;
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["MSBUILDTERMINALLOGGER"] = "off";
        psi.Environment["HSM_UV_STANDIN_LOG"] = p.UvLog;
        foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
        var proc = Process.Start(psi)!;
        proc.OutputDataReceived += (_, _) => { };
        proc.ErrorDataReceived += (_, _) => { };
        proc.BeginOutputReadLine();
        proc.BeginErrorReadLine();
        return proc;
    }

    /// <summary>
    /// A build that dies in the middle of its commit, as a kill leaves it: `dotnet build -t:HsmStage` (resolve and
    /// stage, nothing in the project written), then HsmCommit's step in a child process (Hsm.FaultHost, the
    /// product's pipeline with a commit observer) that ends itself with Environment.FailFast at <paramref name="failAt"/>
    /// (a 1-based step number or a step name: journal, done:hsm.lock, uv, ...), printing
    /// "dying at commit step &lt;n&gt; (&lt;name&gt;)". Past the last step the commit completes and the result succeeds.
    /// </summary>
    public static BuildResult BuildDyingAtCommitStep(TestProject p, string failAt)
    {
        var stage = p.Build("-t:HsmStage");
        if (!stage.Succeeded) return stage;
        var host = Path.Combine(AppContext.BaseDirectory, "Hsm.FaultHost.dll");
        var (code, output) = SharedTools.Run("dotnet", new[] { host, "commit", p.Dir, p.PathOf("obj/hsm"), p.PathOf("obj/hsm/stage/plan.json"), p.UvStandin ?? "none", failAt },
            p.Dir, new Dictionary<string, string> { ["HSM_UV_STANDIN_LOG"] = p.UvLog, ["DOTNET_DbgEnableMiniDump"] = "0" });
        return new BuildResult(code, stage.Output + "\n" + output, stage.Log, stage.BinlogPath);
    }

    public static void KillGroup(Process proc)
    {
        SharedTools.Run("kill", new[] { "-9", "--", "-" + proc.Id });
        if (!proc.WaitForExit(30_000)) throw new TimeoutException("the killed build did not exit");
        // Let the kernel reap the rest of the group (MSBuild nodes, uv) before the next build starts.
        for (int i = 0; i < 600 && SharedTools.Run("pgrep", new[] { "-g", proc.Id.ToString() }).ExitCode == 0; i++) Thread.Sleep(100);
    }
}
