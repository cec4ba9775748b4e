using Hsm.Staging;
using Hsm.Pipeline;
using Microsoft.Build.Framework;

namespace Hsm.Tasks;

/// <summary>The parameters shared by the tasks that work on the staged plan with uv (HsmSync, HsmCommit).</summary>
public abstract class StagedPlanTask : HsmTask, IIncrementalTask
{
    [Required] public string PlanPath { get; set; } = "";
    [Required] public string IntermediateDirectory { get; set; } = "";
    public string PythonSync { get; set; } = "auto";
    public string? UvPath { get; set; }
    public string UvName { get; set; } = "uv";
    public bool Locked { get; set; }
    public string ComposeCommand { get; set; } = "docker compose";
    /// <summary>The first word of ComposeCommand resolved on PATH by the targets, or "none".</summary>
    public string? ComposeExecutable { get; set; }
    public string ComposeValidate { get; set; } = "auto";

    /// <summary>Set by `dotnet build -question`.</summary>
    public bool FailIfNotIncremental { get; set; }

    protected override string? LockDirectory => IntermediateDirectory;

    /// <summary>The uv and Compose settings of the check and commit steps.</summary>
    internal SyncInputs SyncInputs => new()
    {
        PythonSync = PythonSync, UvPath = UvPath, UvName = UvName, Locked = Locked,
        ComposeCommand = ComposeCommand, ComposeValidate = ComposeValidate, ComposeExecutable = ComposeExecutable,
    };

    /// <summary>The pipeline of this project's obj/hsm.</summary>
    protected HsmPipeline Pipeline() => Pipeline(IntermediateDirectory);
}
