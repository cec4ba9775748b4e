using Hsm.Diagnostics;
using Hsm.Pipeline;
using Microsoft.Build.Framework;

namespace Hsm.Tasks;

/// <summary>Checks the staged artifacts (uv lock --dry-run, Compose) before anything in the project changes.</summary>
/// <remarks>Under `dotnet build -question` the check writes nothing in the project, so it is skipped (HsmCommit reports the pending writes).</remarks>
public sealed class HsmSync : StagedPlanTask
{
    protected override void Run(DiagnosticBag d)
    {
        if (FailIfNotIncremental)
        {
            Log.LogMessage(MessageImportance.Normal, "hsm: -question: the uv/Compose check of the staged files is skipped.");
            return;
        }
        var plan = HsmPipeline.LoadPlan(PlanPath);
        var pipeline = Pipeline();
        Yielding(() => { pipeline.Check(plan, SyncInputs, d); return 0; });
    }
}
