using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Pipeline;
using Hsm.Staging;
using Microsoft.Build.Framework;

namespace Hsm.Tasks;

/// <summary>Applies the staged artifacts all or nothing, then runs uv lock/sync (design §6).</summary>
/// <remarks>Under `dotnet build -question` it reports the pending writes and writes nothing.</remarks>
public sealed class HsmCommit : StagedPlanTask
{
    /// <summary>Where the targets want the record of what the committed files hold (<see cref="Hsm.Transaction.CommittedHashes"/>).</summary>
    public string? HashRecordPath { get; set; }
    /// <summary>The files the targets watch by content (pyproject.toml, uv.lock, the Compose file, hsm.lock, <c>.env.*</c>).</summary>
    public string[] WatchedFiles { get; set; } = Array.Empty<string>();

    protected override void Run(DiagnosticBag d)
    {
        CollectBeforeLargeWork(ResolvedStack.PathIn(IntermediateDirectory));
        var plan = HsmPipeline.LoadPlan(PlanPath);
        var pipeline = Pipeline();
        var settings = SyncInputs;
        string label(string p) => pipeline.Label(p);
        // What the commit will do (a target changed since staging is HSM4004 here), taken once: the checks below,
        // the summary and the commit itself use it, so each target is hashed once.
        var w = pipeline.Analyse(plan, settings, d);
        if (w is null) return;
        if (FailIfNotIncremental || Locked)
        {
            // -question reports pending writes; HsmLocked=true (CI) refuses them. Neither writes anything.
            // A fresh CI checkout lacks the git-ignored generated files (.env.hsm, .env.<service>): creating one whose
            // content is exactly what the committed hsm.lock records is not a change to the stack, so HsmLocked allows it.
            var lockFile = plan.Files.FirstOrDefault(f => f.Kind == ArtifactKind.Lock)?.Target;
            var recorded = lockFile is null ? new SortedDictionary<string, string>() : Lock.HsmLock.Read(lockFile, label(lockFile), new DiagnosticBag()).Files;
            bool Vouched(PlannedFile f) => !FailIfNotIncremental && f.Op == FileOp.Create && f.Kind != ArtifactKind.Lock
                && recorded.TryGetValue(label(f.Target), out var h) && h == f.StagedHash;
            foreach (var f in w.Changes)
            {
                if (Vouched(f)) continue;
                var verb = f.Op == FileOp.Delete ? "deleted" : f.Op == FileOp.Create ? "created" : "rewritten";
                if (FailIfNotIncremental)
                    d.Error(Codes.WouldWrite, new SourceSpan(label(f.Target), 0, 0), $"-question: '{label(f.Target)}' would be {verb}.");
                else
                    d.Error(Codes.LockedMismatch, new SourceSpan(label(f.Target), 0, 0), $"HsmLocked=true: '{label(f.Target)}' would be {verb}; nothing was written. Build without HsmLocked and commit the result.");
            }
            if (FailIfNotIncremental)
                foreach (var run in w.UvRuns)
                    d.Error(Codes.WouldWrite, SourceSpan.None, $"-question: uv {(PythonSync.Equals("lock", StringComparison.OrdinalIgnoreCase) ? "lock" : "sync")} would run in {label(Path.GetDirectoryName(run.PyProject)!)}.");
            if (d.HasErrors || FailIfNotIncremental) return;
            // Locked and nothing to write: uv still runs with --locked (it fails when uv.lock is stale).
        }
        var changes = BuildOutputReport.ChangeLines(plan, ProjectDirectory, IntermediateDirectory);
        var outcome = Yielding(() => pipeline.Commit(plan, settings, d, w));
        if (outcome is null) return;
        if (HashRecordPath is { Length: > 0 }) HsmPipeline.RecordCommitted(HashRecordPath, WatchedFiles);
        if (outcome.Written == 0 && !outcome.UvRan)
        {
            Log.LogMessage(MessageImportance.Normal, "hsm: the stack is up to date.");
            return;
        }
        var written = w.Changes.Where(f => f.Op != FileOp.Delete).Select(f => f.Target)
            .Concat(w.Clones.Select(c => c.Target))
            .Concat(outcome.UvRan ? w.UvRuns.Select(u => Path.Combine(Path.GetDirectoryName(u.PyProject)!, "uv.lock")) : Enumerable.Empty<string>())
            .ToList();
        var deleted = w.Changes.Where(f => f.Op == FileOp.Delete).Select(f => "- " + label(f.Target) + " (deleted)");
        var summary = string.Format("hsm: {0} file(s) updated, {1} unchanged{2}.", outcome.Written, outcome.Unchanged, outcome.UvRan ? " (uv synced)" : "");
        foreach (var m in BuildOutputReport.CommitMessages(ProjectName, ProjectDirectory, written, changes.Concat(deleted).ToList(), summary))
            Log.LogMessage(MessageImportance.High, "{0}", m);
    }
}
