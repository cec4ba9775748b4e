using Hsm.Diagnostics;
using Hsm.Staging;
using Hsm.Transaction;
using Microsoft.Build.Framework;

namespace Hsm.Tasks;

/// <summary>Checks the staged artifacts (uv lock --dry-run, Compose) before anything in the project changes.</summary>
public sealed class HsmSync : HsmTask, IIncrementalTask
{
    [Required] public string PlanPath { get; set; } = "";
    [Required] public string IntermediateDirectory { get; set; } = "";

    protected override string? LockDirectory => IntermediateDirectory;
    public string PythonSync { get; set; } = "auto";
    public string? UvPath { get; set; }
    public string UvName { get; set; } = "uv";
    public string? Locked { get; set; }
    public string ComposeCommand { get; set; } = "docker compose";
    public string ComposeValidate { get; set; } = "auto";

    /// <summary>Set by `dotnet build -question`: the check writes nothing in the project, so it is skipped
    /// (HsmCommit reports the pending writes).</summary>
    public bool FailIfNotIncremental { get; set; }

    internal SyncSettings Settings => new()
    {
        ProjectDirectory = ProjectDirectory, IntermediateDirectory = IntermediateDirectory, PythonSync = PythonSync,
        UvPath = UvPath, UvName = UvName, Locked = IsTrue(Locked), ComposeCommand = ComposeCommand, ComposeValidate = ComposeValidate,
    };

    protected override void Run(DiagnosticBag d)
    {
        if (FailIfNotIncremental)
        {
            Log.LogMessage(MessageImportance.Normal, "hsm: -question: the uv/Compose check of the staged files is skipped.");
            return;
        }
        var plan = StagePlan.Load(PlanPath);
        Yielding(() => { SyncCheck.Run(plan, Settings, Cancellation.Token, d, line => Log.LogMessage(MessageImportance.Low, line)); return 0; });
    }
}
