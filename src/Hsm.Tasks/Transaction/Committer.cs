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
    public static CommitOutcome? Commit(StagePlan plan, SyncSettings s, CancellationToken cancel, DiagnosticBag d, Action<string> log)
    {
        string label(string p) => Resolution.ResolvePipeline.Label(s.ProjectDirectory, p);
        // Stale stage: a target changed since it was staged (an editor saved during uv lock).
        foreach (var f in plan.Files.Where(f => f.Op != "unchanged"))
        {
            if (StagePlan.HashFile(f.Target) != f.OriginalHash)
                d.Error(Codes.StaleStage, new SourceSpan(label(f.Target), 0, 0), $"'{label(f.Target)}' changed while the build was running; nothing was committed. Build again.");
        }
        if (d.HasErrors) return null;

        var changes = plan.Files.Where(f => f.Op != "unchanged").ToList();
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
        if (changes.Count == 0 && !runUv) return new CommitOutcome(0, plan.Files.Count, false);

        var journal = new CommitJournal(s.IntermediateDirectory);
        var guarded = runUv ? new[] { Path.Combine(pyDir!, "uv.lock") } : Array.Empty<string>();
        journal.Prepare(changes, guarded);
        try
        {
            journal.Apply(cancel);
            if (runUv)
            {
                var sync = s.PythonSync.ToLowerInvariant() != "lock";
                var args = sync ? UvCommands.Sync(pyDir!, s.Locked) : UvCommands.Lock(pyDir!, s.Locked, dryRun: false);
                log($"hsm: uv {string.Join(' ', args)}");
                var r = ToolRunner.Run(uv!, args, pyDir!, cancel, UvCommands.Environment(), onLine: l => log("uv: " + l));
                var diag = UvCommands.Check(r, sync ? "uv sync" : "uv lock", new SourceSpan(label(plan.PyProject!), 0, 0));
                if (diag != null)
                {
                    journal.Rollback();
                    d.Add(diag with { Message = diag.Message + " Every file was restored; nothing in the project changed." });
                    return null;
                }
            }
            journal.Complete();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            journal.Rollback();
            if (e is OperationCanceledException) throw;
            d.Error(Codes.CommitIo, SourceSpan.None, $"The commit failed ({e.Message}); every file was restored.");
            return null;
        }
        if (runUv)
        {
            var pyHash = StagePlan.HashFile(plan.PyProject!) ?? "";
            File.WriteAllText(syncedFile, pyHash + "\n");
        }
        return new CommitOutcome(changes.Count, plan.Files.Count - changes.Count, runUv);
    }
}
