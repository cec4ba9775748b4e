using System.Text;
using Hsm.Diagnostics;
using Hsm.Staging;
using Hsm.Transaction;
using Xunit;

namespace Hsm.Tests.Transaction;

/// <summary>
/// The journal as a plain class: a failure simulated at every step (the step hook throws, and nothing
/// catches it, which is what a kill leaves behind) followed by recovery, or the Committer's own rollback.
/// </summary>
public sealed class CommitJournalTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hsm-journal-" + Guid.NewGuid().ToString("N")[..8]);
    private string Proj => Path.Combine(_root, "proj");
    private string Obj => Path.Combine(Proj, "obj", "hsm");

    public CommitJournalTests()
    {
        Directory.CreateDirectory(Path.Combine(Obj, "stage"));
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }

    private sealed class SimulatedKill : Exception { }

    /// <summary>Old state: a (replaced), b (deleted), unchanged u; new: a', c (created).</summary>
    private (List<PlannedFile> Plan, Dictionary<string, string?> Old, Dictionary<string, string?> New) Scenario()
    {
        File.WriteAllText(Path.Combine(Proj, "a.txt"), "old a\n");
        File.WriteAllText(Path.Combine(Proj, "b.txt"), "old b\n");
        File.WriteAllText(Path.Combine(Proj, "u.txt"), "same\n");
        var old = new Dictionary<string, string?> { ["a.txt"] = "old a\n", ["b.txt"] = "old b\n", ["c.txt"] = null, ["u.txt"] = "same\n" };
        var neu = new Dictionary<string, string?> { ["a.txt"] = "new a\n", ["b.txt"] = null, ["c.txt"] = "new c\n", ["u.txt"] = "same\n" };
        PlannedFile Staged(string name, FileOp op, string content)
        {
            var staged = Path.Combine(Obj, "stage", name);
            File.WriteAllText(staged, content);
            var target = Path.Combine(Proj, name);
            return new PlannedFile { Target = target, Op = op, Staged = staged, StagedHash = StagePlan.Hash(Encoding.UTF8.GetBytes(content)), OriginalHash = StagePlan.HashFile(target) };
        }
        var plan = new List<PlannedFile>
        {
            Staged("a.txt", FileOp.Replace, "new a\n"),
            new() { Target = Path.Combine(Proj, "b.txt"), Op = FileOp.Delete, OriginalHash = StagePlan.HashFile(Path.Combine(Proj, "b.txt")) },
            Staged("c.txt", FileOp.Create, "new c\n"),
        };
        return (plan, old, neu);
    }

    private Dictionary<string, string?> State() => new[] { "a.txt", "b.txt", "c.txt", "u.txt" }
        .ToDictionary(n => n, n => File.Exists(Path.Combine(Proj, n)) ? File.ReadAllText(Path.Combine(Proj, n)) : null);

    private List<string> AllSteps()
    {
        var (plan, _, _) = Scenario();
        var names = new List<string>();
        var hook = new StepHook((_, n) => names.Add(n));
        var j = new CommitJournal(Obj, hook);
        j.Prepare(plan, Array.Empty<PlannedClone>(), Array.Empty<string>());
        j.Apply(CancellationToken.None);
        j.Complete();
        return names;
    }

    [Fact]
    public void A_kill_at_every_step_is_recovered_to_all_old_or_all_new()
    {
        var steps = AllSteps();
        Assert.Equal(new[] { "backup:a.txt", "backup:b.txt", "backup:c.txt", "journal", "apply:a.txt", "temp:a.txt", "done:a.txt",
            "apply:b.txt", "done:b.txt", "apply:c.txt", "temp:c.txt", "done:c.txt", "applied", "complete", "journal-removed" }, steps);
        for (int k = 1; k <= steps.Count; k++)
        {
            Directory.Delete(Proj, true);
            Directory.CreateDirectory(Path.Combine(Obj, "stage"));
            var (plan, old, neu) = Scenario();
            var oldTime = File.GetLastWriteTimeUtc(Path.Combine(Proj, "a.txt"));
            var uTime = File.GetLastWriteTimeUtc(Path.Combine(Proj, "u.txt"));
            int at = k;
            var hook = new StepHook((n, _) => { if (n == at) throw new SimulatedKill(); });
            var j = new CommitJournal(Obj, hook);
            Assert.Throws<SimulatedKill>(() => { j.Prepare(plan, Array.Empty<PlannedClone>(), Array.Empty<string>()); j.Apply(CancellationToken.None); j.Complete(); });

            var d = new DiagnosticBag();
            CommitJournal.RecoverIfNeeded(Obj, Proj, d);
            var state = State();
            Assert.True(state.SequenceEqual(old) || state.SequenceEqual(neu), $"step {k} ({steps[k - 1]}): neither all old nor all new");
            if (state.SequenceEqual(old)) Assert.Equal(oldTime, File.GetLastWriteTimeUtc(Path.Combine(Proj, "a.txt"))); // timestamp restored
            Assert.Equal(uTime, File.GetLastWriteTimeUtc(Path.Combine(Proj, "u.txt")));
            Assert.False(CommitJournal.Pending(Obj));
            Assert.Empty(Directory.EnumerateFiles(Proj, "*.tmp"));
            bool journalWritten = k > steps.IndexOf("journal") + 1 && k <= steps.IndexOf("journal-removed");
            Assert.Equal(journalWritten, d.Items.Any(i => i.Code == Codes.Recovered));
            // Roll forward exactly when every staged file was in place.
            if (journalWritten) Assert.Equal(k >= steps.IndexOf("done:c.txt") + 1, state.SequenceEqual(neu));
        }
    }

    [Fact]
    public void The_journal_file_spells_each_operation_as_it_always_did()
    {
        var (plan, _, _) = Scenario();
        var clone = Path.Combine(Obj, "clones", "lib");
        Directory.CreateDirectory(clone);
        File.WriteAllText(P("uv.lock"), "lock\n");
        var hook = new StepHook((_, n) => { if (n == "apply:lib") throw new SimulatedKill(); });
        var j = new CommitJournal(Obj, hook);
        Assert.Throws<SimulatedKill>(() => { j.Prepare(plan, new[] { new PlannedClone { Target = P("lib"), Staged = clone } }, new[] { P("uv.lock") }); j.Apply(CancellationToken.None); });
        var ops = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(Path.Combine(Obj, CommitJournal.FileName)), "\"op\": (\"[^\"]*\"|\\d+)")
            .Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(new[] { "\"move-dir\"", "\"replace\"", "\"delete\"", "\"create\"", "\"guard\"" }, ops);
        CommitJournal.RecoverIfNeeded(Obj, Proj, new DiagnosticBag()); // and reads it back
        Assert.False(CommitJournal.Pending(Obj));
    }

    /// <summary>
    /// The journal is input (design §9): one that names a place a commit of this project never writes — a file outside
    /// the project and the artifact folders, a temporary file or backup that is not hsm's, a clone staged outside
    /// obj/hsm — is HSM4013, and nothing is recovered, deleted or overwritten (a carried-in journal could name any file).
    /// </summary>
    [Theory]
    [InlineData("target")]
    [InlineData("temp")]
    [InlineData("backup")]
    [InlineData("staged")]
    [InlineData("clone-target")]
    [InlineData("clone-staged")]
    public void A_journal_naming_a_place_hsm_never_writes_is_refused_and_nothing_changes(string field)
    {
        var (plan, _, _) = Scenario();
        var hook = new StepHook((_, n) => { if (n == "done:a.txt") throw new SimulatedKill(); });
        var j = new CommitJournal(Obj, hook);
        var clone = Path.Combine(Obj, "clones", "lib");
        Directory.CreateDirectory(clone);
        Assert.Throws<SimulatedKill>(() => { j.Prepare(plan, new[] { new PlannedClone { Target = P("lib"), Staged = clone } }, Array.Empty<string>()); j.Apply(CancellationToken.None); });
        // A victim outside the project whose content (and so hash) the journal's author knows.
        var victimDir = Path.Combine(_root, "elsewhere");
        Directory.CreateDirectory(victimDir);
        var victim = Path.Combine(victimDir, "os-release");
        File.WriteAllText(victim, "new c\n"); // the staged content of c.txt: a "create" entry for it would delete it
        var journal = Path.Combine(Obj, CommitJournal.FileName);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(journal))!;
        var entries = json["entries"]!.AsArray();
        var file = entries.First(e => (string?)e!["target"] == P("c.txt"))!;
        var moved = entries.First(e => (string?)e!["op"] == "move-dir")!;
        switch (field)
        {
            case "target": file["target"] = victim; file["temp"] = Path.Combine(victimDir, ".os-release.hsm-1-2.tmp"); break;
            case "temp": file["temp"] = victim; break;
            case "backup": entries.First(e => (string?)e!["target"] == P("a.txt"))!["backup"] = victim; break;
            case "staged": file["staged"] = victim; break;
            case "clone-target": moved["target"] = victimDir; break;
            case "clone-staged": moved["staged"] = victimDir; break;
        }
        File.WriteAllText(journal, json.ToJsonString());
        var before = Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(CommitJournal.FileName)).ToDictionary(f => f, File.ReadAllText);
        var d = new DiagnosticBag();
        CommitJournal.RecoverIfNeeded(Obj, Proj, d, new[] { Proj });
        var e = Assert.Single(d.Items);
        Assert.Equal(Codes.JournalRejected, e.Code);
        Assert.Equal(before, Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(CommitJournal.FileName)).ToDictionary(f => f, File.ReadAllText));
        Assert.True(Directory.Exists(victimDir) && File.Exists(victim));
        Assert.True(CommitJournal.Pending(Obj)); // left for the user to look at and delete
    }

    /// <summary>
    /// plan.json is read from obj/ too: a plan this build did not stage — a file to replace or delete outside the project
    /// and the artifact folders (its hash known to whoever wrote the plan), a staged copy, clone or Python project
    /// elsewhere — is HSM4012 and nothing is committed.
    /// </summary>
    [Theory]
    [InlineData("replace")]
    [InlineData("delete")]
    [InlineData("staged")]
    [InlineData("clone")]
    [InlineData("uv")]
    public void A_plan_naming_a_place_hsm_never_writes_is_refused(string what)
    {
        var victimDir = Path.Combine(_root, "elsewhere");
        Directory.CreateDirectory(victimDir);
        var victim = Path.Combine(victimDir, "os-release");
        File.WriteAllText(victim, "ID=debian\n");
        var staged = Path.Combine(Obj, "stage", "0-x");
        File.WriteAllText(staged, "owned\n");
        var plan = new StagePlan();
        var mine = P("c.txt");
        switch (what)
        {
            case "replace": plan.Files.Add(new PlannedFile { Target = victim, Op = FileOp.Replace, Staged = staged, StagedHash = StagePlan.HashFile(staged), OriginalHash = StagePlan.HashFile(victim) }); break;
            case "delete": plan.Files.Add(new PlannedFile { Target = victim, Op = FileOp.Delete, OriginalHash = StagePlan.HashFile(victim) }); break;
            case "staged": plan.Files.Add(new PlannedFile { Target = mine, Op = FileOp.Create, Staged = victim, StagedHash = StagePlan.HashFile(victim) }); break;
            case "clone": plan.Clones.Add(new PlannedClone { Target = Path.Combine(victimDir, "lib"), Staged = Path.Combine(Obj, "clones", "lib") }); Directory.CreateDirectory(Path.Combine(Obj, "clones", "lib")); break;
            case "uv": plan.UvProjects.Add(new UvProject { PyProject = Path.Combine(victimDir, "pyproject.toml"), CheckSource = staged }); break;
        }
        var d = new DiagnosticBag();
        Assert.Null(Committer.Commit(plan, new SyncSettings { ProjectDirectory = Proj, IntermediateDirectory = Obj, PythonSync = "none" }, CancellationToken.None, d, _ => { }));
        Assert.Equal(Codes.OutsideProject, Assert.Single(d.Items).Code);
        Assert.Equal("ID=debian\n", File.ReadAllText(victim));
        Assert.False(File.Exists(mine));
        Assert.Equal(new[] { "os-release" }, Directory.EnumerateFileSystemEntries(victimDir).Select(Path.GetFileName));
    }

    /// <summary>A commit that wrote through a configured artifact path outside the project is recovered when that folder is given.</summary>
    [Fact]
    public void A_journal_of_an_artifact_outside_the_project_is_recovered_with_its_folder()
    {
        var outside = Path.Combine(_root, "shared");
        Directory.CreateDirectory(outside);
        var py = Path.Combine(outside, "pyproject.toml");
        File.WriteAllText(py, "old\n");
        var staged = Path.Combine(Obj, "stage", "0-pyproject.toml");
        File.WriteAllText(staged, "new\n");
        var plan = new List<PlannedFile> { new() { Target = py, Op = FileOp.Replace, Staged = staged, StagedHash = StagePlan.Hash(Encoding.UTF8.GetBytes("new\n")), OriginalHash = StagePlan.HashFile(py) } };
        var hook = new StepHook((_, n) => { if (n == "done:pyproject.toml") throw new SimulatedKill(); });
        Assert.Throws<SimulatedKill>(() => { var j = new CommitJournal(Obj, hook); j.Prepare(plan, Array.Empty<PlannedClone>(), Array.Empty<string>()); j.Apply(CancellationToken.None); });
        Assert.Equal("new\n", File.ReadAllText(py));
        var refused = new DiagnosticBag();
        CommitJournal.RecoverIfNeeded(Obj, Proj, refused); // without the artifact folder: refused, nothing touched
        Assert.Equal(Codes.JournalRejected, Assert.Single(refused.Items).Code);
        Assert.Equal("new\n", File.ReadAllText(py));
        var d = new DiagnosticBag();
        CommitJournal.RecoverIfNeeded(Obj, Proj, d, new[] { outside });
        var recovered = Assert.Single(d.Items);
        Assert.Equal(Codes.Recovered, recovered.Code);
        Assert.Contains("rolled forward", recovered.Message); // the file was already in place when the commit died
        Assert.Equal("new\n", File.ReadAllText(py));
        Assert.False(CommitJournal.Pending(Obj));
    }

    [Fact]
    public void Recovery_removes_the_uv_record_and_leaves_the_targets_stamps_alone()
    {
        // The stamps belong to the targets (the journal is an input of HsmStage/HsmSync/HsmCommit); C# names none of them.
        var (plan, _, _) = Scenario();
        File.WriteAllText(Path.Combine(Obj, Committer.UvSyncedFile), "");
        foreach (var s in new[] { "stage.stamp", "commit.stamp" }) File.WriteAllText(Path.Combine(Obj, s), "");
        File.WriteAllText(Path.Combine(Obj, "resolve.stamp"), "");
        var hook = new StepHook((_, n) => { if (n == "done:a.txt") throw new SimulatedKill(); });
        var j = new CommitJournal(Obj, hook);
        Assert.Throws<SimulatedKill>(() => { j.Prepare(plan, Array.Empty<PlannedClone>(), Array.Empty<string>()); j.Apply(CancellationToken.None); });
        CommitJournal.RecoverIfNeeded(Obj, Proj, new DiagnosticBag());
        Assert.False(File.Exists(Path.Combine(Obj, Committer.UvSyncedFile)));
        foreach (var s in new[] { "stage.stamp", "commit.stamp" }) Assert.True(File.Exists(Path.Combine(Obj, s)), s);
        Assert.True(File.Exists(Path.Combine(Obj, "resolve.stamp")));
    }

    [Fact]
    public void Committer_rolls_back_on_a_failure_after_the_first_replacement_and_reports_it()
    {
        var (plan, old, _) = Scenario();
        var hook = new StepHook((_, n) => { if (n == "done:b.txt") throw new IOException("disk full (simulated)"); });
        var d = new DiagnosticBag();
        var outcome = Committer.Commit(new StagePlan { Files = plan }, new SyncSettings { ProjectDirectory = Proj, IntermediateDirectory = Obj, PythonSync = "none" },
            CancellationToken.None, d, _ => { }, hook);
        Assert.Null(outcome);
        var e = Assert.Single(d.Items, i => i.Severity == Severity.Error);
        Assert.Equal(Codes.CommitIo, e.Code);
        Assert.Contains("disk full (simulated)", e.Message);
        Assert.Contains("restored", e.Message);
        Assert.Equal(old, State());
        Assert.False(CommitJournal.Pending(Obj));
    }

    [Fact]
    public void Cancellation_between_files_rolls_back_and_rethrows()
    {
        var (plan, old, _) = Scenario();
        using var cts = new CancellationTokenSource();
        var hook = new StepHook((_, n) => { if (n == "done:a.txt") cts.Cancel(); });
        var e = Assert.Throws<BuildCancelledException>(() => Committer.Commit(new StagePlan { Files = plan },
            new SyncSettings { ProjectDirectory = Proj, IntermediateDirectory = Obj, PythonSync = "none" }, cts.Token, new DiagnosticBag(), _ => { }, hook));
        Assert.IsAssignableFrom<OperationCanceledException>(e); // a cancellation (HSM5005), reported with what the rollback did
        Assert.StartsWith("during the commit. Every file was restored", e.Detail);
        Assert.EndsWith("nothing in the project changed.", e.Detail);
        Assert.Equal(old, State());
    }

    [Fact]
    public void Files_already_in_place_are_not_rewritten_and_foreign_edits_are_stale()
    {
        var (plan, _, neu) = Scenario();
        File.WriteAllText(Path.Combine(Proj, "a.txt"), "new a\n"); // e.g. a concurrent build committed it
        var t = File.GetLastWriteTimeUtc(Path.Combine(Proj, "a.txt"));
        var d = new DiagnosticBag();
        var outcome = Committer.Commit(new StagePlan { Files = plan }, new SyncSettings { ProjectDirectory = Proj, IntermediateDirectory = Obj, PythonSync = "none" },
            CancellationToken.None, d, _ => { });
        Assert.NotNull(outcome);
        Assert.Equal(2, outcome!.Written);
        Assert.Equal(neu, State());
        Assert.Equal(t, File.GetLastWriteTimeUtc(Path.Combine(Proj, "a.txt")));

        var (plan2, _, _) = Scenario();
        File.WriteAllText(Path.Combine(Proj, "a.txt"), "edited by the user\n");
        var d2 = new DiagnosticBag();
        Assert.Null(Committer.Commit(new StagePlan { Files = plan2 }, new SyncSettings { ProjectDirectory = Proj, IntermediateDirectory = Obj, PythonSync = "none" },
            CancellationToken.None, d2, _ => { }));
        Assert.Contains(d2.Items, i => i.Code == Codes.StaleStage);
        Assert.Equal("edited by the user\n", File.ReadAllText(Path.Combine(Proj, "a.txt")));
    }

    private StagePlan Plan(List<PlannedFile> files) => new() { Files = files };
    private SyncSettings Settings => new() { ProjectDirectory = Proj, IntermediateDirectory = Obj, PythonSync = "none" };
    private string P(string name) => Path.Combine(Proj, name);
    private List<string> Temps() => Directory.EnumerateFiles(Proj, "*.tmp", SearchOption.AllDirectories).Where(f => !f.StartsWith(Obj, StringComparison.Ordinal)).ToList();

    [Theory]
    [InlineData("a.txt", "my edit of a\n")]   // replaced by hsm, then saved by an editor
    [InlineData("c.txt", "my edit of c\n")]   // created by hsm, then saved by an editor
    [InlineData("b.txt", "my new b\n")]       // deleted by hsm, then created again by the user
    public void Rollback_keeps_a_file_the_user_saved_after_hsm_wrote_it(string edited, string content)
    {
        var (plan, old, _) = Scenario();
        var times = new[] { "a.txt", "u.txt" }.ToDictionary(n => n, n => File.GetLastWriteTimeUtc(P(n)));
        // The commit's files are all in place ("applied"); the user saves one; then uv fails (simulated).
        var hook = new StepHook((_, n) =>
        {
            if (n != "applied") return;
            File.WriteAllText(P(edited), content);
            throw new IOException("uv sync failed (simulated)");
        });
        var d = new DiagnosticBag();
        Assert.Null(Committer.Commit(Plan(plan), Settings, CancellationToken.None, d, _ => { }, hook));

        Assert.Equal(content, File.ReadAllText(P(edited))); // the user's bytes stay
        var kept = Assert.Single(d.Items, i => i.Code == Codes.RollbackKeptEdit);
        Assert.Equal((Severity.Warning, edited), (kept.Severity, kept.Span.File));
        var error = Assert.Single(d.Items, i => i.Severity == Severity.Error);
        Assert.Contains($"not rolled back (HSM4007): {edited}", error.Message);
        var restored = old.Keys.Where(k => k != edited && k != "u.txt" && old[k] != null || k == "c.txt" && edited != "c.txt").ToList();
        foreach (var n in old.Keys.Where(k => k != edited)) Assert.Equal(old[n], State()[n]); // every other file is as before
        foreach (var n in restored) Assert.Contains(n, error.Message);
        Assert.DoesNotContain("nothing in the project changed", error.Message);
        if (edited != "a.txt") Assert.Equal(times["a.txt"], File.GetLastWriteTimeUtc(P("a.txt"))); // restored with its timestamp
        Assert.Equal(times["u.txt"], File.GetLastWriteTimeUtc(P("u.txt")));
        Assert.Empty(Temps());
        Assert.False(CommitJournal.Pending(Obj));
    }

    [Fact]
    public void Recovery_after_a_kill_keeps_a_file_the_user_saved_meanwhile()
    {
        var (plan, _, _) = Scenario();
        var hook = new StepHook((_, n) => { if (n == "done:b.txt") throw new SimulatedKill(); });
        var j = new CommitJournal(Obj, hook);
        Assert.Throws<SimulatedKill>(() => { j.Prepare(plan, Array.Empty<PlannedClone>(), Array.Empty<string>()); j.Apply(CancellationToken.None); });
        File.WriteAllText(P("a.txt"), "saved after the crash\n");
        var d = new DiagnosticBag();
        CommitJournal.RecoverIfNeeded(Obj, Proj, d);
        Assert.Equal("saved after the crash\n", File.ReadAllText(P("a.txt")));
        Assert.Equal("old b\n", File.ReadAllText(P("b.txt")));
        Assert.False(File.Exists(P("c.txt")));
        Assert.Contains(d.Items, i => i.Code == Codes.RollbackKeptEdit && i.Span.File == "a.txt");
        var recovered = Assert.Single(d.Items, i => i.Code == Codes.Recovered);
        Assert.Contains("restored as before the commit: b.txt", recovered.Message);
        Assert.Contains("(HSM4007): a.txt", recovered.Message);
    }

    /// <summary>
    /// A real IO failure, not a simulated one: the temp name of a file is taken by a folder, so copying the
    /// new content there fails (as on a full disk or a read-only folder). Files the commit had already replaced
    /// are restored; files it never reached keep their bytes and timestamps; no temp file remains.
    /// </summary>
    [Theory]
    [InlineData(0)] // the first file fails: nothing had been replaced
    [InlineData(2)] // the third file fails: a.txt replaced and b.txt deleted before
    public void A_failed_write_leaves_no_temp_file_and_does_not_rewrite_files_it_never_replaced(int failing)
    {
        var (plan, old, _) = Scenario();
        var times = new[] { "a.txt", "b.txt", "u.txt" }.ToDictionary(n => n, n => File.GetLastWriteTimeUtc(P(n)));
        var name = Path.GetFileName(plan[failing].Target);
        var blocker = Path.Combine(Proj, $".{name}.hsm-{Environment.ProcessId}-{failing}.tmp");
        Directory.CreateDirectory(blocker);
        File.WriteAllText(Path.Combine(blocker, "inside"), "x"); // a non-empty folder: File.Copy cannot overwrite it
        var d = new DiagnosticBag();
        Assert.Null(Committer.Commit(Plan(plan), Settings, CancellationToken.None, d, _ => { }));
        var e = Assert.Single(d.Items, i => i.Severity == Severity.Error);
        // .NET reports a folder in the temp file's place as access denied: HSM4031 (not writable), else HSM4003.
        Assert.Contains(e.Code, new[] { Codes.CommitIo, Codes.ReadOnlyTarget });
        Directory.Delete(blocker, true);
        Assert.Equal(old, State());
        Assert.Equal(times, new[] { "a.txt", "b.txt", "u.txt" }.ToDictionary(n => n, n => File.GetLastWriteTimeUtc(P(n))));
        Assert.Empty(Temps());
        Assert.False(CommitJournal.Pending(Obj));
        if (failing == 0) Assert.Contains("none had been changed yet", e.Message);
        else Assert.Contains("a.txt, b.txt as before the commit", e.Message);
    }

    [Fact]
    public void A_rollback_rewrites_no_file_the_commit_never_replaced()
    {
        var (plan, _, _) = Scenario();
        // Dies right after a.txt: b.txt (to delete) and c.txt (to create) were never reached.
        var hook = new StepHook((_, n) => { if (n == "done:a.txt") throw new IOException("No space left on device (simulated)"); });
        var bInfo = new FileInfo(P("b.txt"));
        var bTime = bInfo.LastWriteTimeUtc;
        var d = new DiagnosticBag();
        Assert.Null(Committer.Commit(Plan(plan), Settings, CancellationToken.None, d, _ => { }, hook));
        Assert.Equal(bTime, File.GetLastWriteTimeUtc(P("b.txt")));
        var e = Assert.Single(d.Items, i => i.Severity == Severity.Error);
        Assert.Contains("Every file was restored (a.txt as before the commit", e.Message);
        Assert.Empty(Temps());
    }
}
