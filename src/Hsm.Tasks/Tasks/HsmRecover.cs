using Hsm.Diagnostics;

namespace Hsm.Tasks;

/// <summary>
/// HsmClean's first step: takes the build lock (for this task only, so obj/hsm can be removed next)
/// and recovers an interrupted commit (rolled back or forward, HSM4001) — the work is done by the base
/// class, which every lock-taking Hsm task runs before anything else.
/// </summary>
public sealed class HsmRecover : HsmTask
{
    [Microsoft.Build.Framework.Required] public string IntermediateDirectory { get; set; } = "";

    protected override string? LockDirectory => IntermediateDirectory;

    protected override void Run(DiagnosticBag d) { }
}
