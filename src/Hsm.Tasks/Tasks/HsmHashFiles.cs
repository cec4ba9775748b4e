using Hsm.Diagnostics;
using Hsm.IO;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Hsm.Tasks;

/// <summary>
/// The content hashes of the artifacts for the incremental check (what GetFileHash did), through the
/// guarded opener: a FIFO, socket, device or directory in an artifact's place is never opened (it would
/// block the build before any Hsm task could report it); it gets a <c>special:&lt;kind&gt;</c> line, so
/// the chain runs and HsmStage reports HSM4030. Missing files are skipped.
/// </summary>
public sealed class HsmHashFiles : HsmTask
{
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Output] public ITaskItem[] Items { get; private set; } = Array.Empty<ITaskItem>();

    protected override void Run(DiagnosticBag d)
    {
        var items = new List<ITaskItem>();
        foreach (var f in Files)
        {
            var path = f.GetMetadata("FullPath");
            if (GuardedFile.Fingerprint(path) is not { } hash) continue;
            var item = new TaskItem(f);
            item.SetMetadata("FileHash", hash);
            items.Add(item);
        }
        Items = items.ToArray();
    }
}
