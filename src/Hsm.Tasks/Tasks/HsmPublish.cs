using Hsm.Diagnostics;
using Hsm.Pipeline;
using Hsm.Publish;
using Hsm.Staging;
using Microsoft.Build.Framework;

namespace Hsm.Tasks;

/// <summary>
/// HsmPublish (design §12, docs/publish.md): resolves the stack in prod mode, renders it for Kubernetes
/// (a kustomize base) or Docker Swarm (a stack file) into HsmPublishPath, and commits the files and
/// hsm.lock through the chain's journal. The logic is in <see cref="PublishStager"/> and the publishers.
/// </summary>
public sealed class HsmPublish : ResolvingTask
{
    [Required] public string PublishTarget { get; set; } = "";
    [Required] public string PublishPath { get; set; } = "";
    [Required] public string LockPath { get; set; } = "";
    public string SwarmEndpointMode { get; set; } = "vip";
    /// <summary>Where the files this publish read are listed (the target's inputs next time).</summary>
    public string? InputsListPath { get; set; }
    /// <summary>Where the targets want the record of what the published files hold (<see cref="CommittedHashes"/>).</summary>
    public string? HashRecordPath { get; set; }
    /// <summary>The files the targets watch by content (hsm.lock, the published <c>*.yaml</c>/<c>*.yml</c>).</summary>
    public string[] WatchedFiles { get; set; } = Array.Empty<string>();

    protected override void Run(DiagnosticBag d)
    {
        var target = PublishTarget.Trim().ToLowerInvariant();
        var publishRequest = new PublishRequest
        {
            ProjectDirectory = Path.GetFullPath(ProjectDirectory),
            IntermediateDirectory = IntermediateDirectory,
            Target = target,
            PublishPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(PublishPath)),
            LockPath = LockPath,
            Locked = Locked,
            GeneratorVersion = HsmPipeline.GeneratorVersion,
            SwarmEndpointMode = (SwarmEndpointMode ?? "").Trim().ToLowerInvariant() is { Length: > 0 } m ? m : "vip",
        };
        if (!HsmPipeline.ValidatePublish(publishRequest, d)) return;

        var inputs = BuildInputs(d, wholeRegistry: false);
        if (inputs is null) return;
        if (inputs.ForcedMode == StackMode.Dev)
            d.Warning(Codes.PublishSetting, SourceSpan.None, "HsmPublish always resolves the stack in prod mode (released images and versions); the Dev mode given by Mode/HsmMode is ignored for publishing.");
        var pipeline = Pipeline();
        var resolved = pipeline.ResolveForPublish(inputs, d);
        var (stack, folders) = (resolved.Stack, resolved.RegistryFolders);

        if (InputsListPath != null)
        {
            var read = new SortedSet<string>(StringComparer.Ordinal) { Path.GetFullPath(ManifestPath) };
            foreach (var f in resolved.RegistryFilesRead) read.Add(Path.GetFullPath(f));
            if (stack != null) foreach (var f in stack.ExtraInputs) read.Add(Path.GetFullPath(Path.Combine(ProjectDirectory, f)));
            WriteIfChanged(InputsListPath, string.Concat(read.Select(i => i + "\n")));
            WriteIfChanged(Path.Combine(Path.GetDirectoryName(InputsListPath)!, "dirs.txt"), string.Concat(folders.Select(f => f + "\n")));
        }
        if (stack is null || d.HasErrors) return;

        var plan = pipeline.StagePublish(stack, publishRequest, d);
        if (plan is null) return;
        var settings = new SyncInputs { PythonSync = "none", Locked = publishRequest.Locked };
        string label(string p) => pipeline.Label(p);
        if (publishRequest.Locked)
        {
            var w = pipeline.Analyse(plan, settings, d);
            if (w is null) return;
            foreach (var f in w.Changes)
                d.Error(Codes.LockedMismatch, new SourceSpan(label(f.Target), 0, 0),
                    $"HsmLocked=true: '{label(f.Target)}' would be {(f.Op == FileOp.Delete ? "deleted" : f.Op == FileOp.Create ? "created" : "rewritten")} by HsmPublish; nothing was written. Publish without HsmLocked and commit the result.");
            if (d.HasErrors) return;
        }
        foreach (var c in plan.Changes) Log.LogMessage(MessageImportance.Normal, c);
        var outcome = pipeline.Commit(plan, settings, d);
        if (outcome is null) return;
        if (HashRecordPath is { Length: > 0 }) HsmPipeline.RecordCommitted(HashRecordPath, WatchedFiles);
        Log.LogMessage(MessageImportance.High, "hsm: published the stack for {0} to {1}: {2} file(s) updated, {3} unchanged.",
            target, label(publishRequest.PublishPath), outcome.Written, outcome.Unchanged);
    }
}
