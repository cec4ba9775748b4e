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
        // uv runs for each Python project whose pyproject.toml differs from what it last synced (or that has no uv.lock).
        var syncedFile = Path.Combine(s.IntermediateDirectory, "uv-synced.txt");
        var synced = File.Exists(syncedFile)
            ? File.ReadAllLines(syncedFile).Select(l => l.Split('=', 2)).Where(a => a.Length == 2).ToDictionary(a => a[0], a => a[1])
            : new Dictionary<string, string>();
        var uv = plan.UvProjects.Count > 0 ? s.Uv(new DiagnosticBag()) : null; // HsmSync already reported a missing uv
        var toSync = new List<UvProject>();
        if (uv != null)
            foreach (var project in plan.UvProjects)
            {
                var hash = StagePlan.HashFile(project.CheckSource) ?? "";
                var dir = Path.GetDirectoryName(project.PyProject)!;
                if (!synced.TryGetValue(project.PyProject, out var last) || last != hash || !File.Exists(Path.Combine(dir, "uv.lock")))
                    toSync.Add(project);
            }
        if (changes.Count == 0 && plan.Clones.Count == 0 && toSync.Count == 0) return new CommitOutcome(0, plan.Files.Count, false);

        var journal = new CommitJournal(s.IntermediateDirectory);
        journal.Prepare(changes, plan.Clones, toSync.Select(p => Path.Combine(Path.GetDirectoryName(p.PyProject)!, "uv.lock")));
        try
        {
            journal.Apply(cancel);
            foreach (var project in toSync)
            {
                var dir = Path.GetDirectoryName(project.PyProject)!;
                var sync = s.PythonSync.ToLowerInvariant() != "lock";
                var args = sync ? UvCommands.Sync(dir, s.Locked) : UvCommands.Lock(dir, s.Locked, dryRun: false);
                log($"hsm: uv {string.Join(' ', args)}");
                var r = ToolRunner.Run(uv!, args, dir, cancel, UvCommands.Environment(), onLine: l => log("uv: " + l));
                var diag = UvCommands.Check(r, sync ? "uv sync" : "uv lock", new SourceSpan(label(project.PyProject), 0, 0));
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
        foreach (var project in toSync) synced[project.PyProject] = StagePlan.HashFile(project.PyProject) ?? "";
        File.WriteAllLines(syncedFile, synced.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}={k.Value}"));
        return new CommitOutcome(changes.Count + plan.Clones.Count, plan.Files.Count - changes.Count, toSync.Count > 0);
    }
}
