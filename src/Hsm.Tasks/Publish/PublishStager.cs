using System.Text.RegularExpressions;
using Hsm.Diagnostics;
using Hsm.Lock;
using Hsm.Model;
using Hsm.Resolution;
using Hsm.Staging;

namespace Hsm.Publish;

public sealed class PublishRequest
{
    public string ProjectDirectory { get; init; } = "";
    public string IntermediateDirectory { get; init; } = "";
    /// <summary>kubernetes | swarm</summary>
    public string Target { get; init; } = "";
    /// <summary>The publish folder (absolute).</summary>
    public string PublishPath { get; init; } = "";
    public string LockPath { get; init; } = "";
    public bool Locked { get; init; }
    public string GeneratorVersion { get; init; } = "0.0.0";
    /// <summary>vip | dnsrr (swarm only).</summary>
    public string SwarmEndpointMode { get; init; } = "vip";
}

/// <summary>
/// HsmPublish's staging (design §12): renders the published files into obj/hsm/publish/stage/ and plans
/// them like every generated file — hsm.lock records each one under <c>files:</c> (project-relative), a
/// file hand-edited since gets HSM4002, a file hsm did not write is never taken (HSM7007), and a file no
/// longer produced is deleted only while it still holds what hsm wrote. The plan is committed by the
/// same journal as the chain (<see cref="Committer"/>).
/// </summary>
public static class PublishStager
{
    /// <summary>See <see cref="PublishedFiles.IsPublishEntry"/> (the rule lives with the lock, below Staging).</summary>
    public static bool IsPublishEntry(string key, string composeLabel) => PublishedFiles.IsPublishEntry(key, composeLabel);

    /// <summary>See <see cref="PublishedFiles.PublishEntries"/>.</summary>
    public static List<string> PublishEntries(ICollection<string> keys, string composeLabel) => PublishedFiles.PublishEntries(keys, composeLabel);

    /// <summary>Checks HsmPublishTarget, HsmPublishPath and the endpoint mode; null when one is invalid.</summary>
    public static bool Validate(PublishRequest req, DiagnosticBag d)
    {
        var ok = true;
        if (req.Target is not (PublishText.KubernetesTarget or PublishText.SwarmTarget))
        {
            d.Error(Codes.PublishSetting, SourceSpan.None, $"HsmPublishTarget is '{req.Target}'; it must be kubernetes or swarm (-p:HsmPublishTarget=kubernetes).");
            ok = false;
        }
        var rel = Path.GetRelativePath(req.ProjectDirectory, req.PublishPath).Replace('\\', '/');
        if (rel == "." || rel.StartsWith("../", StringComparison.Ordinal) || rel == ".." || Path.IsPathRooted(rel))
        {
            d.Error(Codes.PublishSetting, SourceSpan.None,
                $"HsmPublishPath is '{req.PublishPath}'; it must be a folder inside the project directory ({req.ProjectDirectory}) and not the project directory itself (hsm.lock records the published files by relative path).");
            ok = false;
        }
        if (req.SwarmEndpointMode is not ("vip" or "dnsrr"))
        {
            d.Error(Codes.PublishSetting, SourceSpan.None, $"HsmSwarmEndpointMode is '{req.SwarmEndpointMode}'; it must be vip or dnsrr.");
            ok = false;
        }
        return ok;
    }

    /// <summary>
    /// HsmPublishPath must not lie in a folder whose files hsm reads as its own: a registry folder (the published
    /// YAML files would be read as registry files) or hsm's intermediate folder obj/hsm (its state, which it
    /// rewrites and Clean removes). HSM7001 naming the folder, nothing written.
    /// </summary>
    static bool OutsideOwnFolders(PublishRequest req, ResolvedStack stack, DiagnosticBag d)
    {
        var publish = Path.GetFullPath(req.PublishPath);
        var own = stack.RegistryFolders.Select(f => (Path.GetFullPath(Path.Combine(req.ProjectDirectory, f)), "the registry folder"))
            .Append((Path.GetFullPath(req.IntermediateDirectory), "hsm's intermediate folder"));
        foreach (var (folder, what) in own)
            if (Hsm.Paths.ProjectPaths.IsInside(folder, publish))
            {
                d.Error(Codes.PublishSetting, SourceSpan.None,
                    $"HsmPublishPath is '{req.PublishPath}', inside {what} '{Hsm.Paths.ProjectPaths.Key(req.ProjectDirectory, folder)}', whose files hsm reads as its own; publish to a folder of its own (the default is deploy/{req.Target}).");
                return false;
            }
        return true;
    }

    public static StagePlan? Stage(ResolvedStack stack, PublishRequest req, DiagnosticBag d)
    {
        string label(string p) => Hsm.Paths.ProjectPaths.Key(req.ProjectDirectory, p);
        if (!Validate(req, d) || !OutsideOwnFolders(req, stack, d)) return null;
        var ctx = new PublishContext(req.ProjectDirectory, req.PublishPath, req.GeneratorVersion, Staging.Stager.CanonicalHash(stack), req.SwarmEndpointMode);
        var files = req.Target == PublishText.KubernetesTarget ? KubernetesPublisher.Publish(stack, ctx, d) : SwarmPublisher.Publish(stack, ctx, d);
        if (files is null || d.HasErrors) return null;

        var stageDir = Path.Combine(req.IntermediateDirectory, "publish", "stage");
        if (Directory.Exists(stageDir)) Directory.Delete(stageDir, recursive: true);
        Directory.CreateDirectory(stageDir);

        var lockLabel = label(req.LockPath);
        var oldLock = HsmLock.Read(req.LockPath, lockLabel, d);
        var newLock = oldLock.Copy(); // stack and owned stay as the chain wrote them; only this target's file records change
        var publishLabel = label(Path.TrimEndingDirectorySeparator(req.PublishPath)).TrimEnd('/');
        bool Mine(string key) => key.StartsWith(publishLabel + "/", StringComparison.Ordinal) && !key[(publishLabel.Length + 1)..].Contains('/')
            && IsPublishEntry(key, "");
        var recorded = oldLock.Files.Where(kv => Mine(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        foreach (var key in recorded.Keys) newLock.Files.Remove(key);

        var plan = new StagePlan();
        var planner = new PlanBuilder(plan, stageDir, label, d);
        // Published files land inside the project (the publish folder's real path: a committed link to a folder
        // elsewhere is refused), hsm.lock in its own folder; a file that is a link is written through only to a
        // target inside them too (design §9).
        var writable = new[] { req.ProjectDirectory, Path.GetDirectoryName(Path.GetFullPath(req.LockPath))! };
        bool Inside(string target, bool delete) =>
            PlanBuilder.InsideWritable(writable, target, delete, new SourceSpan(label(target), 0, 0), "The published file", label, d);
        foreach (var (name, content) in files)
        {
            var target = Path.Combine(req.PublishPath, name);
            if (Inside(target, delete: false)) StageFile(planner, req, publishLabel + "/" + name, target, content, recorded, newLock, d);
        }

        // Files an earlier publish wrote that this one no longer produces: deleted while they hold what hsm wrote.
        foreach (var (key, hash) in recorded.Where(kv => !newLock.Files.ContainsKey(kv.Key)))
        {
            var target = Path.Combine(req.PublishPath, key[(publishLabel.Length + 1)..]);
            var current = planner.CurrentHash(target);
            if (current is null) continue;
            if (current == hash) { if (Inside(target, delete: true)) planner.Add(target, null, ArtifactKind.Publish); }
            else d.Warning(Codes.GeneratedFileEdited, new SourceSpan(key, 1, 1),
                $"'{key}' is no longer published, but it was edited by hand since HsmPublish wrote it, so it is kept (and no longer recorded in hsm.lock). Delete it if it is not needed.");
        }

        if (Inside(req.LockPath, delete: false)) planner.Add(req.LockPath, newLock.Write(), ArtifactKind.Lock);
        if (d.HasErrors) return null;
        plan.Save(Path.Combine(stageDir, "plan.json"));
        return plan;
    }

    /// <summary>
    /// One published file: written where nothing is, where hsm.lock records that HsmPublish wrote it, or where it
    /// already holds the same bytes; a file HsmPublish did not write is never replaced (PublishFileNotOurs), a hand edit is
    /// warned about and regenerated (refused under HsmLocked).
    /// </summary>
    private static void StageFile(PlanBuilder planner, PublishRequest req, string key, string target, string content,
        Dictionary<string, string> recorded, HsmLock newLock, DiagnosticBag d)
    {
        if (Directory.Exists(target))
        {
            d.Error(Codes.PublishFileNotOurs, new SourceSpan(key, 0, 0), $"'{key}' is a folder; HsmPublish writes a file there. Move it away or choose another HsmPublishPath.");
            return;
        }
        var current = planner.CurrentHash(target);
        var staged = StagedContent.Of(content);
        if (current != null && current != staged.Hash)
        {
            if (!recorded.TryGetValue(key, out var expected))
            {
                d.Error(Codes.PublishFileNotOurs, new SourceSpan(key, 1, 1),
                    $"'{key}' exists and hsm.lock does not record that Hsm wrote it; HsmPublish never replaces a file it did not write. Move it away (or delete it), or choose another HsmPublishPath.");
                return;
            }
            if (current != expected)
            {
                var msg = $"'{key}' was edited by hand since HsmPublish generated it; {(req.Locked ? "HsmLocked=true forbids regenerating it." : "it is regenerated. Change hsm.yaml or the registry, or put the change in a kustomize overlay / a second stack file.")}";
                if (req.Locked) d.Error(Codes.GeneratedFileEdited, new SourceSpan(key, 1, 1), msg);
                else d.Warning(Codes.GeneratedFileEdited, new SourceSpan(key, 1, 1), msg);
            }
        }
        planner.Add(target, staged, ArtifactKind.Publish, content);
        newLock.Files[key] = staged.Hash;
    }
}

/// <summary>HsmPublish's resolution: the stack in prod mode, with the Compose pre-flight.</summary>
public static class PublishPipeline
{
    static readonly Regex ComponentName = new("^'([^']+)'", RegexOptions.CultureInvariant);

    /// <summary>
    /// Resolves with <c>ForcedMode = prod</c> whatever the request says; a component with only a dev
    /// source is HSM7002 naming it (instead of HSM2004's "select dev mode").
    /// </summary>
    public static (ResolvedStack? Stack, IReadOnlyList<string> Folders) Resolve(ResolveRequest built, DiagnosticBag d)
    {
        var request = new ResolveRequest
        {
            ManifestPath = built.ManifestPath, ProjectDirectory = built.ProjectDirectory, PropertyBaseDirectory = built.PropertyBaseDirectory,
            RegistryProperty = built.RegistryProperty, RegistryEnvironment = built.RegistryEnvironment,
            ForcedMode = "prod", Settings = new Dictionary<string, string>(), RegistryFilesRead = built.RegistryFilesRead,
        };
        var bag = new DiagnosticBag();
        var (stack, folders) = ResolvePipeline.Run(request, bag);
        if (stack != null) Compose.Preflight.Check(stack, bag, new Compose.RegistryLocator(built.ProjectDirectory));
        foreach (var x in bag.Items)
        {
            if (x.Code == Codes.NoProdSource && ComponentName.Match(x.Message) is { Success: true } hit)
                d.Error(Codes.PublishDevOnly, x.Span,
                    $"'{hit.Groups[1].Value}' has only a dev source, and HsmPublish publishes released artifacts (prod mode): add sources.prod to its registry file (a docker-image for a service, a PyPI version or git tag for a library), or leave it out of the stack to publish.");
            else d.Add(x);
        }
        return (d.HasErrors ? null : stack, folders);
    }
}
