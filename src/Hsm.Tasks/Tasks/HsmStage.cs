using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Pipeline;
using Microsoft.Build.Framework;

namespace Hsm.Tasks;

/// <summary>Renders pyproject.toml, the Compose file, env files and hsm.lock into obj/hsm/stage/.</summary>
public sealed class HsmStage : HsmTask
{
    [Required] public string ResolvedPath { get; set; } = "";
    [Required] public string IntermediateDirectory { get; set; } = "";

    protected override string? LockDirectory => IntermediateDirectory;
    [Required] public string PyProjectPath { get; set; } = "";
    [Required] public string ComposePath { get; set; } = "";
    [Required] public string LockPath { get; set; } = "";
    public bool Locked { get; set; }
    /// <summary>git resolved on PATH by the targets, or "none".</summary>
    public string? GitPath { get; set; }

    public static string GeneratorVersion => HsmPipeline.GeneratorVersion;

    protected override void Run(DiagnosticBag d)
    {
        CollectBeforeLargeWork(ResolvedPath);
        var handed = StackHandoff.Take(BuildEngine, ResolvedPath);
        Log.LogMessage(MessageImportance.Low, handed is null ? "hsm: staging the stack in {0}." : "hsm: staging the stack HsmResolve handed over ({0} unchanged since).", ResolvedPath);
        var stack = handed ?? ResolvedStack.Read(ResolvedPath);
        var plan = Yielding(() => Pipeline(IntermediateDirectory).Stage(stack, new StageInputs
        {
            PyProjectPath = PyProjectPath,
            ComposePath = ComposePath,
            LockPath = LockPath,
            Locked = Locked,
            GitPath = GitPath,
        }, d)); // may clone with git
        if (plan is null) return;
        foreach (var c in plan.Changes) Log.LogMessage(MessageImportance.Normal, c);
    }
}
