using System.Text;
using Hsm.Diagnostics;
using Hsm.Staging;
using Hsm.Transaction;
using Xunit;

namespace Hsm.Tests.Transaction;

/// <summary>
/// The journal as a plain class: a failure simulated at every step (StepObserver throws, and nothing
/// catches it, which is what a kill leaves behind) followed by recovery, or the Committer's own rollback.
/// </summary>
[Collection(JournalCollection.Name)] // StepObserver is static
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
        CommitJournal.StepObserver = null;
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
        PlannedFile Staged(string name, string op, string content)
        {
            var staged = Path.Combine(Obj, "stage", name);
            File.WriteAllText(staged, content);
            var target = Path.Combine(Proj, name);
            return new PlannedFile { Target = target, Op = op, Staged = staged, StagedHash = StagePlan.Hash(Encoding.UTF8.GetBytes(content)), OriginalHash = StagePlan.HashFile(target) };
        }
        var plan = new List<PlannedFile>
        {
            Staged("a.txt", "replace", "new a\n"),
            new() { Target = Path.Combine(Proj, "b.txt"), Op = "delete", OriginalHash = StagePlan.HashFile(Path.Combine(Proj, "b.txt")) },
            Staged("c.txt", "create", "new c\n"),
        };
        return (plan, old, neu);
    }

    private Dictionary<string, string?> State() => new[] { "a.txt", "b.txt", "c.txt", "u.txt" }
        .ToDictionary(n => n, n => File.Exists(Path.Combine(Proj, n)) ? File.ReadAllText(Path.Combine(Proj, n)) : null);

    private List<string> AllSteps()
    {
        var (plan, _, _) = Scenario();
        var names = new List<string>();
        CommitJournal.StepObserver = (_, n) => names.Add(n);
        var j = new CommitJournal(Obj);
        j.Prepare(plan, Array.Empty<PlannedClone>(), Array.Empty<string>());
        j.Apply(CancellationToken.None);
        j.Complete();
        CommitJournal.StepObserver = null;
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
            CommitJournal.StepObserver = (n, _) => { if (n == at) throw new SimulatedKill(); };
            var j = new CommitJournal(Obj);
            Assert.Throws<SimulatedKill>(() => { j.Prepare(plan, Array.Empty<PlannedClone>(), Array.Empty<string>()); j.Apply(CancellationToken.None); j.Complete(); });
            CommitJournal.StepObserver = null;

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
    public void Recovery_invalidates_the_later_stamps()
    {
        var (plan, _, _) = Scenario();
        foreach (var s in CommitJournal.LaterStamps) File.WriteAllText(Path.Combine(Obj, s), "");
        File.WriteAllText(Path.Combine(Obj, "resolve.stamp"), "");
        CommitJournal.StepObserver = (_, n) => { if (n == "done:a.txt") throw new SimulatedKill(); };
        var j = new CommitJournal(Obj);
        Assert.Throws<SimulatedKill>(() => { j.Prepare(plan, Array.Empty<PlannedClone>(), Array.Empty<string>()); j.Apply(CancellationToken.None); });
        CommitJournal.StepObserver = null;
        CommitJournal.RecoverIfNeeded(Obj, Proj, new DiagnosticBag());
        foreach (var s in CommitJournal.LaterStamps) Assert.False(File.Exists(Path.Combine(Obj, s)), s);
        Assert.True(File.Exists(Path.Combine(Obj, "resolve.stamp")));
    }

    [Fact]
    public void Committer_rolls_back_on_a_failure_after_the_first_replacement_and_reports_it()
    {
        var (plan, old, _) = Scenario();
        CommitJournal.StepObserver = (_, n) => { if (n == "done:b.txt") throw new IOException("disk full (simulated)"); };
        var d = new DiagnosticBag();
        var outcome = Committer.Commit(new StagePlan { Files = plan }, new SyncSettings { ProjectDirectory = Proj, IntermediateDirectory = Obj, PythonSync = "none" },
            CancellationToken.None, d, _ => { });
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
        CommitJournal.StepObserver = (_, n) => { if (n == "done:a.txt") cts.Cancel(); };
        var e = Assert.Throws<BuildCancelledException>(() => Committer.Commit(new StagePlan { Files = plan },
            new SyncSettings { ProjectDirectory = Proj, IntermediateDirectory = Obj, PythonSync = "none" }, cts.Token, new DiagnosticBag(), _ => { }));
        Assert.IsAssignableFrom<OperationCanceledException>(e); // a cancellation (HSM5005), reported with what the rollback did
        Assert.Equal("during the commit. Every file was restored; nothing in the project changed.", e.Detail);
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
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class JournalCollection { public const string Name = "journal (static step observer)"; }
