using Hsm.Diagnostics;
using Hsm.Pipeline;
using Hsm.Staging;
using Hsm.Transaction;
using Microsoft.Build.Framework;

namespace Hsm.Tasks;

/// <summary>
/// HsmCheck (the original tool's `hsm check`): resolve with every registry file validated, stage into
/// obj/hsm/check/, run the uv and Compose checks on the staged copy, and print the plan (also written to
/// obj/hsm/plan.txt). Commits nothing and touches none of the normal chain's stamps or intermediate files.
/// </summary>
public sealed class HsmCheck : ResolvingTask
{
    [Required] public string LockPath { get; set; } = "";
    [Required] public string PlanOutputPath { get; set; } = "";
    public string? UvPath { get; set; }
    public string UvName { get; set; } = "uv";
    public string ComposeCommand { get; set; } = "docker compose";
    public string? ComposeExecutable { get; set; }
    public string? GitPath { get; set; }
    public string ComposeValidate { get; set; } = "auto";

    /// <summary>HsmCheck changes nothing, not even by recovering an interrupted commit (it says so instead).</summary>
    protected override bool RecoverOnLock => false;

    protected override void Run(DiagnosticBag d)
    {
        if (Pipeline().RecoveryPending)
            d.Warning(Codes.Recovered, new SourceSpan(Path.Combine(IntermediateDirectory, CommitJournal.FileName), 0, 0),
                "An interrupted commit is pending; HsmCheck leaves it alone (a build recovers it first). The plan compares with the files as they are now.");

        var inputs = BuildInputs(d, wholeRegistry: true);
        if (inputs is null) { Fail(d); return; }
        // Resolved as the build resolves, staged into obj/hsm/check/ (the chain's stage stays as it is).
        var stack = Pipeline().Resolve(inputs, d).Stack;
        if (stack is null) { Fail(d); return; }

        var check = Pipeline(Path.Combine(IntermediateDirectory, "check"));
        var plan = check.Stage(stack, new StageInputs
        {
            PyProjectPath = PyProjectFile,
            ComposePath = ComposeFile,
            LockPath = LockPath,
            Locked = Locked,
            GitPath = GitPath,
        }, d);
        if (plan is null) { Fail(d); return; }
        var tools = new SyncInputs
        {
            PythonSync = PythonSync ?? "auto", UvPath = UvPath, UvName = UvName, Locked = Locked,
            ComposeCommand = ComposeCommand, ComposeValidate = ComposeValidate, ComposeExecutable = ComposeExecutable,
        };
        Yielding(() => { check.Check(plan, tools, d); return 0; });
        if (d.HasErrors) { Fail(d); return; }

        var lines = HsmPipeline.PlanLines(plan);
        if (lines.Count == 0) lines.Add("hsm: nothing to change; the project is up to date with hsm.yaml.");
        WritePlan(lines);
    }

    private void Fail(DiagnosticBag d) => WritePlan(new List<string> { $"hsm: the stack would not build ({d.ErrorCount} error(s)); nothing was changed." });

    private void WritePlan(List<string> lines)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PlanOutputPath)!);
        var text = string.Concat(lines.Select(l => l + "\n"));
        File.WriteAllText(PlanOutputPath, text, Stager.Utf8NoBom);
        // One message, `<project> -> plan.txt` then the plan: the terminal logger shows it (BuildOutputReport).
        Log.LogMessage(MessageImportance.High, "{0}", BuildOutputReport.ReportMessage(ProjectName, ProjectDirectory, Path.GetFullPath(PlanOutputPath), lines));
    }
}
