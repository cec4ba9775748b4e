using Hsm.Diagnostics;
using Hsm.Staging;
using Hsm.Uv;

namespace Hsm.Transaction;

public sealed record CommitOutcome(int Written, int Unchanged, bool UvRan);

/// <summary>
/// HsmCommit's work: refuse stale stages, journal, swap files by atomic rename, run uv lock/sync in
/// the project directory, and roll everything back if anything fails before the journal is removed.
/// </summary>
public static class Committer
{
    /// <summary>What a commit would do: the files to write (stale ones reported as HSM4004, those already
    /// in place dropped) and whether uv runs. Null when the stage is stale.</summary>
    public static (List<PlannedFile> Changes, bool RunUv, string? Uv, string? PyDir, string SyncedFile)? Analyse(StagePlan plan, SyncSettings s, DiagnosticBag d)
    {
        string label(string p) => Resolution.ResolvePipeline.Label(s.ProjectDirectory, p);
        // Stale stage: a target changed since it was staged (an editor saved during uv lock). A target
        // that already holds the staged content (a concurrent build of this project committed the same
        // stack while this one waited for the lock) is simply up to date.
        var changes = new List<PlannedFile>();
        foreach (var f in plan.Files.Where(f => f.Op != "unchanged"))
        {
            var now = StagePlan.HashFile(f.Target);
            if (f.Op == "delete" ? now is null : now == f.StagedHash) continue;
            if (now != f.OriginalHash)
                d.Error(Codes.StaleStage, new SourceSpan(label(f.Target), 0, 0), $"'{label(f.Target)}' changed while the build was running; nothing was committed. Build again.");
            else changes.Add(f);
        }
        if (d.HasErrors) return null;

        string? uv = null;
        string? pyDir = plan.PyProject is null ? null : Path.GetDirectoryName(plan.PyProject);
        bool runUv = false;
        var syncedFile = Path.Combine(s.IntermediateDirectory, "uv-synced.txt");
        if (plan.HasPython && pyDir != null)
        {
            uv = s.Uv(new DiagnosticBag()); // HsmSync already reported a missing uv
            if (uv != null)
            {
                var pyStaged = plan.Files.FirstOrDefault(f => f.Target == plan.PyProject);
                var pyHash = pyStaged?.StagedHash ?? StagePlan.HashFile(plan.PyProject!);
                var last = File.Exists(syncedFile) ? File.ReadAllText(syncedFile).Trim() : "";
                runUv = pyHash != last || !File.Exists(Path.Combine(pyDir, "uv.lock"));
            }
        }
        return (changes, runUv, uv, pyDir, syncedFile);

    }

    public static CommitOutcome? Commit(StagePlan plan, SyncSettings s, CancellationToken cancel, DiagnosticBag d, Action<string> log)
    {
        string label(string p) => Resolution.ResolvePipeline.Label(s.ProjectDirectory, p);
        var w = Analyse(plan, s, d);
        if (w is null) return null;
        var (changes, runUv, uv, pyDir, syncedFile) = w.Value;
        if (changes.Count == 0 && !runUv) return new CommitOutcome(0, plan.Files.Count, false);

        var journal = new CommitJournal(s.IntermediateDirectory);
        var guarded = runUv ? new[] { Path.Combine(pyDir!, "uv.lock") } : Array.Empty<string>();
        journal.Prepare(changes, guarded);
        try
        {
            journal.Apply(cancel);
            if (runUv)
            {
                journal.Step("uv");
                var sync = s.PythonSync.ToLowerInvariant() != "lock";
                var args = sync ? UvCommands.Sync(pyDir!, s.Locked) : UvCommands.Lock(pyDir!, s.Locked, dryRun: false);
                log($"hsm: uv {string.Join(' ', args)}");
                var r = ToolRunner.Run(uv!, args, pyDir!, cancel, UvCommands.Environment(), onLine: l => log("uv: " + l));
                var diag = UvCommands.Check(r, sync ? "uv sync" : "uv lock", new SourceSpan(label(plan.PyProject!), 0, 0));
                if (diag != null)
                {
                    // The original failure is reported; the rollback only adds what it did.
                    d.Add(diag with { Message = diag.Message + RollBack(journal, d) });
                    return null;
                }
                journal.Step("uv-done");
            }
            journal.Complete();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var restored = RollBack(journal, d);
            if (e is OperationCanceledException) throw;
            if (e is IOException or UnauthorizedAccessException)
            {
                d.Error(Codes.CommitIo, SourceSpan.None, $"The commit failed ({e.Message})." + restored);
                return null;
            }
            throw; // HSM9001, after the rollback
        }
        if (runUv)
        {
            var pyHash = StagePlan.HashFile(plan.PyProject!) ?? "";
            File.WriteAllText(syncedFile, pyHash + "\n");
        }
        return new CommitOutcome(changes.Count, plan.Files.Count - changes.Count, runUv);
    }

    /// <summary>Rolls the journal back; returns the sentence for the error message. A rollback that itself
    /// fails leaves the journal in place, and the next build recovers it (HSM4001).</summary>
    private static string RollBack(CommitJournal journal, DiagnosticBag d)
    {
        try
        {
            journal.Rollback();
            return " Every file was restored; nothing in the project changed.";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            d.Error(Codes.CommitIo, SourceSpan.None, $"Restoring the project after the failure below also failed ({e.Message}); the commit journal is kept in obj/hsm and the next build restores the files.");
            return " The restore did not finish: the next build completes it.";
        }
    }
}
