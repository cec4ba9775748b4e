using Hsm.Diagnostics;
using Hsm.Staging;
using Hsm.Transaction;
using Microsoft.Build.Framework;

namespace Hsm.Tasks;

/// <summary>Applies the staged artifacts all or nothing, then runs uv lock/sync (spec §6).</summary>
public sealed class HsmCommit : HsmTask, IIncrementalTask
{
    [Required] public string PlanPath { get; set; } = "";
    [Required] public string IntermediateDirectory { get; set; } = "";
    public string PythonSync { get; set; } = "auto";
    public string? UvPath { get; set; }
    public string UvName { get; set; } = "uv";
    public string? Locked { get; set; }

    /// <summary>Set by `dotnet build -question`: report pending writes, write nothing.</summary>
    public bool FailIfNotIncremental { get; set; }

    protected override void Run(DiagnosticBag d)
    {
        var plan = StagePlan.Load(PlanPath);
        var pending = plan.Files.Where(f => f.Op != "unchanged").ToList();
        if (FailIfNotIncremental)
        {
            foreach (var f in pending)
                d.Error(Codes.WouldWrite, SourceSpan.None, $"-question: '{Resolution.ResolvePipeline.Label(ProjectDirectory, f.Target)}' would be {(f.Op == "delete" ? "deleted" : "written")}.");
            return;
        }
        if (IsTrue(Locked) && pending.Any(f => f.Kind != "lock" || f.Op != "unchanged"))
        {
            // HsmLocked writes nothing: any pending change means the committed files are not what the stack gives.
            foreach (var f in pending)
                d.Error(Codes.LockedMismatch, SourceSpan.None, $"HsmLocked=true: '{Resolution.ResolvePipeline.Label(ProjectDirectory, f.Target)}' is not up to date with hsm.yaml. Build without HsmLocked and commit the result.");
            return;
        }
        var settings = new SyncSettings
        {
            ProjectDirectory = ProjectDirectory, IntermediateDirectory = IntermediateDirectory, PythonSync = PythonSync,
            UvPath = UvPath, UvName = UvName, Locked = IsTrue(Locked),
        };
        var outcome = Committer.Commit(plan, settings, Cancellation.Token, d, line => Log.LogMessage(MessageImportance.Low, line));
        if (outcome is null) return;
        Log.LogMessage(MessageImportance.High, outcome.Written == 0
            ? "hsm: the stack is up to date{0}."
            : "hsm: {1} file(s) updated, {2} unchanged{0}.", outcome.UvRan ? " (uv synced)" : "", outcome.Written, outcome.Unchanged);
    }
}
