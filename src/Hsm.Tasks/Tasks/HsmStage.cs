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

    /// <summary>
    /// resolved.json's size above which staging starts from a compacted heap with its free memory given back (about
    /// 3,000 components; 3.5 MB at 10,000). HsmResolve leaves the resolution's garbage (the registry's models, 100+ MB
    /// allocated at N = 10,000) in the older generations, and staging's own burst would grow the heap on top of it:
    /// an aggressive (compacting, decommitting) collection first brought the resident set from 191 to 145 MiB before
    /// staging in a sampled selection change at N = 10,000 (docs/performance.md, "Memory, third round" and "fourth
    /// round"). Below the threshold the heap is small and nothing is forced.
    /// </summary>
    internal const long CompactBeforeStagingBytes = 1_000_000;

    protected override void Run(DiagnosticBag d)
    {
        if (new FileInfo(ResolvedPath) is { Exists: true, Length: > CompactBeforeStagingBytes })
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
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
