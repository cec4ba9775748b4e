using Hsm.Diagnostics;
using Hsm.Staging;
using Hsm.Transaction;
using Microsoft.Build.Framework;

namespace Hsm.Tasks;

/// <summary>Checks the staged artifacts (uv lock --dry-run, Compose) before anything in the project changes.</summary>
public sealed class HsmSync : HsmTask
{
    [Required] public string PlanPath { get; set; } = "";
    [Required] public string IntermediateDirectory { get; set; } = "";
    public string PythonSync { get; set; } = "auto";
    public string? UvPath { get; set; }
    public string UvName { get; set; } = "uv";
    public string? Locked { get; set; }
    public string ComposeCommand { get; set; } = "docker compose";
    public string ComposeValidate { get; set; } = "auto";

    internal SyncSettings Settings => new()
    {
        ProjectDirectory = ProjectDirectory, IntermediateDirectory = IntermediateDirectory, PythonSync = PythonSync,
        UvPath = UvPath, UvName = UvName, Locked = IsTrue(Locked), ComposeCommand = ComposeCommand, ComposeValidate = ComposeValidate,
    };

    protected override void Run(DiagnosticBag d)
    {
        var plan = StagePlan.Load(PlanPath);
        SyncCheck.Run(plan, Settings, Cancellation.Token, d, line => Log.LogMessage(MessageImportance.Low, line));
    }
}
