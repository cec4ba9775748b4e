using Hsm.Diagnostics;
using Hsm.Staging;
using Hsm.Uv;

namespace Hsm.Transaction;

public sealed record CommitOutcome(int Written, int Unchanged, bool UvRan);

/// <summary>What a commit would do (see <see cref="Committer.Analyse"/>).</summary>
public sealed record CommitWork(List<PlannedFile> Changes, List<PlannedClone> Clones, List<UvProject> UvRuns, string? Uv, string SyncedFile, Dictionary<string, string> Synced);

/// <summary>
/// HsmCommit's work: refuse stale stages, journal, swap files by atomic rename, move clones in, run uv
/// lock/sync in each Python project, and roll everything back if anything fails before the journal is removed.
/// </summary>
public static class Committer
{
    /// <summary>The record of the last uv run in obj/hsm (the commit's own file; a recovered commit removes it).</summary>
    public const string UvSyncedFile = "uv-synced.txt";

    /// <summary>The first path of the plan a stage of this project could not have produced (null: none): every file to write or
    /// delete and every Python project in the project or a configured artifact folder, staged copies and clones in obj/hsm,
    /// clone targets in the project.</summary>
    private static string? ForeignPath(StagePlan plan, SyncSettings s)
    {
        var project = new[] { Hsm.Paths.ProjectPaths.RealPath(s.ProjectDirectory) };
        var places = project.Concat(s.ArtifactFolders.Select(Hsm.Paths.ProjectPaths.RealPath)).ToList();
        var obj = new[] { Hsm.Paths.ProjectPaths.RealPath(s.IntermediateDirectory) };
        // A file's folder decides (the file may be a link written through, or not exist yet); a plan's files share a few
        // folders, so each is resolved once (a published stack has thousands of files).
        var realFolders = new Dictionary<string, string>(StringComparer.Ordinal);
        bool In(IEnumerable<string> folders, string? path)
        {
            if (string.IsNullOrEmpty(path) || !Path.IsPathFullyQualified(path)) return false;
            var dir = Path.GetDirectoryName(path)!;
            if (!realFolders.TryGetValue(dir, out var real)) realFolders[dir] = real = Hsm.Paths.ProjectPaths.RealPath(dir);
            return folders.Any(f => Hsm.Paths.ProjectPaths.IsInsideReal(f, real));
        }
        foreach (var f in plan.Files)
        {
            if (!In(places, f.Target)) return f.Target;
            if (f.Staged != null && !In(obj, f.Staged)) return f.Staged;
        }
        foreach (var c in plan.Clones)
        {
            if (!In(project, c.Target)) return c.Target;
            if (!In(obj, c.Staged)) return c.Staged;
        }
        return plan.UvProjects.Select(u => u.PyProject).FirstOrDefault(p => !In(places, p));
    }

    /// <summary>What a commit would do: the files to write (stale ones reported as HSM4004, those already
    /// in place dropped), the clones to move in, and the Python projects uv runs in. Null when the stage is stale.</summary>
    public static CommitWork? Analyse(StagePlan plan, SyncSettings s, DiagnosticBag d)
    {
        string label(string p) => Hsm.Paths.ProjectPaths.Key(s.ProjectDirectory, p);
        // Stale stage: a target changed since it was staged (an editor saved during uv lock). A target
        // that already holds the staged content (a concurrent build of this project committed the same
        // stack while this one waited for the lock) is simply up to date.
        if (ForeignPath(plan, s) is { } foreign)
        {
            // plan.json is read from obj/ (design §9): a plan this build did not stage could name any file to write or delete.
            d.Error(Codes.OutsideProject, new SourceSpan(label(foreign), 0, 0),
                $"The staged plan names '{foreign}', outside the project directory, the configured artifact folders and obj/hsm: it was not staged by this project's build. Nothing was committed. Delete obj/hsm (dotnet clean) and build again.");
            return null;
        }
        var changes = new List<PlannedFile>();
        foreach (var f in plan.Files.Where(f => f.Op != FileOp.Unchanged))
        {
            var now = StagePlan.HashFile(f.Target);
            if (f.Op == FileOp.Delete ? now is null : now == f.StagedHash) continue;
            if (now != f.OriginalHash)
                d.Error(Codes.StaleStage, new SourceSpan(label(f.Target), 0, 0), $"'{label(f.Target)}' changed while the build was running; nothing was committed. Build again.");
            else changes.Add(f);
        }
        var clones = plan.Clones.Where(c => Directory.Exists(c.Staged) && !Directory.Exists(c.Target)).ToList();
        foreach (var f in changes) IO.WriteTarget.CheckWritable(f.Target, f.Op == FileOp.Delete, label, d); // read-only file or folder: HSM4031 before anything changes
        if (d.HasErrors) return null;

        // uv runs for each Python project whose pyproject.toml differs from what it last synced (or that has no uv.lock).
        var syncedFile = Path.Combine(s.IntermediateDirectory, UvSyncedFile);
        var synced = File.Exists(syncedFile)
            ? File.ReadAllLines(syncedFile).Select(l => l.Split('=', 2)).Where(a => a.Length == 2).ToDictionary(a => a[0], a => a[1])
            : new Dictionary<string, string>();
        var uv = plan.UvProjects.Count > 0 ? s.Uv(new DiagnosticBag()) : null; // HsmSync already reported a missing uv
        var runs = new List<UvProject>();
        if (uv != null)
            foreach (var project in plan.UvProjects)
            {
                var hash = project.CheckHash ?? StagePlan.HashFile(project.CheckSource) ?? ""; // a staged copy was hashed when staged
                var dir = Path.GetDirectoryName(project.PyProject)!;
                if (!synced.TryGetValue(project.PyProject, out var last) || last != hash || !File.Exists(Path.Combine(dir, "uv.lock")))
                    runs.Add(project);
            }
        return new CommitWork(changes, clones, runs, uv, syncedFile, synced);
    }

    /// <param name="observer">Sees every step of the journal (tests); null in the product.</param>
    /// <param name="analysed">The caller's <see cref="Analyse"/> of this plan, taken just before (each target is hashed once); null: analyse here.</param>
    public static CommitOutcome? Commit(StagePlan plan, SyncSettings s, CancellationToken cancel, DiagnosticBag d, Action<string> log, ICommitObserver? observer = null, CommitWork? analysed = null)
    {
        string label(string p) => Hsm.Paths.ProjectPaths.Key(s.ProjectDirectory, p);
        var w = analysed ?? Analyse(plan, s, d);
        if (w is null) return null;
        if (w.Changes.Count == 0 && w.Clones.Count == 0 && w.UvRuns.Count == 0) return new CommitOutcome(0, plan.Files.Count, false);

        var journal = new CommitJournal(s.IntermediateDirectory, observer);
        journal.Prepare(w.Changes, w.Clones, w.UvRuns.Select(p => Path.Combine(Path.GetDirectoryName(p.PyProject)!, "uv.lock")));
        try
        {
            journal.Apply(cancel);
            foreach (var project in w.UvRuns)
            {
                journal.Step("uv");
                var dir = Path.GetDirectoryName(project.PyProject)!;
                var sync = s.PythonSync.ToLowerInvariant() != "lock";
                var args = sync ? UvCommands.Sync(dir, s.Locked) : UvCommands.Lock(dir, s.Locked, dryRun: false);
                log($"hsm: uv {string.Join(' ', args)}");
                var r = ToolRunner.Run(w.Uv!, args, dir, cancel, UvCommands.Environment(), s.Tools, onLine: l => log("uv: " + l), what: sync ? "uv sync" : "uv lock");
                var diag = UvCommands.Check(r, sync ? "uv sync" : "uv lock", new SourceSpan(label(project.PyProject), 0, 0));
                if (diag != null)
                {
                    // The original failure is reported; the rollback only adds what it did.
                    d.Add(diag with { Message = diag.Message + RollBack(journal, s.ProjectDirectory, d) });
                    return null;
                }
                journal.Step("uv-done");
            }
            journal.Complete();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var restored = RollBack(journal, s.ProjectDirectory, d);
            if (e is OperationCanceledException)
            {
                // Ctrl+C or SIGTERM (design §9): the rollback above ran before the process exits; HsmTask names the signal.
                throw new BuildCancelledException("during the commit." + restored);
            }
            if (e is IOException or UnauthorizedAccessException)
            {
                d.Error(e is UnauthorizedAccessException ? Codes.ReadOnlyTarget : Codes.CommitIo, SourceSpan.None, // permission denied: a read-only file or folder, say so
                    (e is UnauthorizedAccessException ? "The commit could not write a file: a file or folder is read-only or not writable" : "The commit failed") + $" ({e.Message})." + restored);
                return null;
            }
            throw; // HSM9001, after the rollback
        }
        foreach (var project in w.UvRuns) w.Synced[project.PyProject] = StagePlan.HashFile(project.PyProject) ?? "";
        if (w.UvRuns.Count > 0)
            File.WriteAllLines(w.SyncedFile, w.Synced.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}={k.Value}"));
        return new CommitOutcome(w.Changes.Count + w.Clones.Count, plan.Files.Count - w.Changes.Count, w.UvRuns.Count > 0);
    }

    /// <summary>Rolls the journal back; returns the sentence for the error message. A rollback that itself
    /// fails leaves the journal in place, and the next build recovers it (HSM4001).</summary>
    private static string RollBack(CommitJournal journal, string projectDirectory, DiagnosticBag d)
    {
        try
        {
            return journal.Rollback(projectDirectory, d).Summary();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            d.Error(Codes.CommitIo, SourceSpan.None, $"Restoring the project after the failure below also failed ({e.Message}); the commit journal is kept in obj/hsm and the next build restores the files.");
            return " The restore did not finish: the next build completes it.";
        }
    }
}
