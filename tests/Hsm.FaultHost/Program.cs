using Hsm.Staging;
using Hsm.Diagnostics;
using Hsm.Pipeline;
using Hsm.Transaction;

// Hsm.FaultHost commit <project dir> <obj/hsm> <plan.json> <uv path|none> <fail at: step number or name>
// Commits the staged plan as HsmCommit does (PythonSync auto, the given uv), dying at the named step.
// Exit code: 0 when the commit completed (the step is past the last one), 1 when it failed, and the
// runtime's FailFast code when it died (the line "dying at commit step <n> (<name>)" says where).
if (args.Length != 6 || args[0] != "commit")
{
    Console.Error.WriteLine("usage: Hsm.FaultHost commit <project dir> <intermediate dir> <plan.json> <uv path|none> <step number or name>");
    return 2;
}
var (project, obj, planPath, uv, failAt) = (Path.GetFullPath(args[1]), Path.GetFullPath(args[2]), args[3], args[4], args[5]);
using var buildLock = BuildLock.Acquire(obj, CancellationToken.None, _ => { });
var pipeline = new HsmPipeline(new PipelineContext
{
    ProjectDirectory = project,
    IntermediateDirectory = obj,
    Log = Console.WriteLine,
    CommitObserver = new DieAt(failAt),
});
var d = new DiagnosticBag();
pipeline.Recover(d); // as every lock-taking task does first
var outcome = pipeline.Commit(HsmPipeline.LoadPlan(planPath), new SyncInputs { UvPath = uv }, d);
foreach (var x in d.Items) Console.WriteLine(x);
if (outcome is null) return 1;
Console.WriteLine($"hsm: {outcome.Written} file(s) updated, {outcome.Unchanged} unchanged{(outcome.UvRan ? " (uv synced)" : "")}.");
return d.HasErrors ? 1 : 0;

/// <summary>Ends the process at a commit step (its 1-based number or its name), like a kill: nothing after it runs.</summary>
sealed class DieAt(string step) : ICommitObserver
{
    public void OnStep(int number, string name)
    {
        if (step != name && step != number.ToString()) return;
        var message = $"fault {step}: dying at commit step {number} ({name})";
        Console.WriteLine(message);
        Console.Out.Flush();
        Environment.FailFast(message);
    }
}
