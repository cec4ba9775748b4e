using System.Reflection;
using Hsm.Compose;
using Hsm.Diagnostics;
using Hsm.Lock;
using Hsm.Manifest;
using Hsm.Model;
using Hsm.Publish;
using Hsm.Registry;
using Hsm.Resolution;
using Hsm.Staging;
using Hsm.Transaction;

namespace Hsm.Pipeline;

/// <summary>What the load step found: hsm.yaml (null when it cannot be read) and the registry's index (no file parsed yet).</summary>
public sealed record LoadResult(ProjectManifest? Manifest, RegistryLoader Registry, IReadOnlyList<string> RegistryFolders);

/// <summary>
/// What the resolve step produced: the stack (null on any error, reported), the registry folders, and the registry
/// files it parsed (the next build's inputs), those with <c>external</c> values apart (never embedded in a binlog).
/// </summary>
public sealed record ResolveResult(ResolvedStack? Stack, IReadOnlyList<string> RegistryFolders, IReadOnlyList<string> RegistryFilesRead, IReadOnlyList<string> RegistryFilesWithExternalValues);

/// <summary>
/// The one way through Hsm's work, in data-flow order: load → resolve → stage → check → commit (plus recover,
/// which every build does first, and the publish variants of resolve and stage). Plain C#: typed inputs and
/// results, diagnostics in a <see cref="DiagnosticBag"/>, no MSBuild type and no static state. The MSBuild
/// tasks, the <c>hsm</c> command line and the in-process benchmarks all call this, so the steps are put
/// together once. Each step is independent (a task runs one, then writes its stamp); nothing is cached
/// between steps.
/// </summary>
public sealed class HsmPipeline
{
    public HsmPipeline(PipelineContext context) => Context = context;

    public PipelineContext Context { get; }

    /// <summary>The version written into hsm.lock and generated headers: this assembly's informational version.</summary>
    public static string GeneratorVersion =>
        typeof(HsmPipeline).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>A file's label in diagnostics, resolved.json and hsm.lock: project-relative with '/'.</summary>
    public string Label(string path) => Hsm.Paths.ProjectPaths.Key(Context.ProjectDirectory, path);

    /// <summary>
    /// Recover: an interrupted commit's journal (obj/hsm/commit.journal) is rolled back, or forward when every
    /// staged file is already in place (HSM4001). Run under the build lock before anything reads the project.
    /// </summary>
    public void Recover(DiagnosticBag d) => CommitJournal.RecoverIfNeeded(Context.IntermediateDirectory, Context.ProjectDirectory, d, ArtifactFolders);

    /// <summary>The folders of the configured artifact paths.</summary>
    private IReadOnlyList<string> ArtifactFolders => Context.ArtifactPaths.Select(p => Path.GetDirectoryName(Path.GetFullPath(p))!).ToList();

    /// <summary>True when an interrupted commit is waiting to be recovered (HsmCheck reports it and leaves it).</summary>
    public bool RecoveryPending => CommitJournal.Pending(Context.IntermediateDirectory);

    /// <summary>The Resolution layer's request for these inputs (fresh lists for the files read).</summary>
    public ResolveRequest Request(ResolveInputs inputs) => new()
    {
        ManifestPath = inputs.ManifestPath,
        ProjectDirectory = Context.ProjectDirectory,
        PropertyBaseDirectory = inputs.PropertyBaseDirectory ?? Context.ProjectDirectory,
        RegistryProperty = inputs.RegistryProperty,
        RegistryEnvironment = inputs.RegistryEnvironment,
        ForcedMode = ModeText(inputs.ForcedMode),
        ComponentModes = inputs.ComponentModes.ToDictionary(kv => kv.Key, kv => ModeText(kv.Value)!, StringComparer.OrdinalIgnoreCase),
        Settings = inputs.Settings.ToDictionary(),
        RegistryFilesRead = new List<string>(),
        RegistryFilesWithExternalValues = new List<string>(),
        ValidateWholeRegistry = inputs.ValidateWholeRegistry,
    };

    /// <summary>Load: hsm.yaml and the registry's folders (the index only: no registry file is parsed here).</summary>
    public LoadResult Load(ResolveInputs inputs, DiagnosticBag d)
    {
        var manifest = ManifestReader.Load(inputs.ManifestPath, Label(inputs.ManifestPath), d);
        var registry = OpenRegistry(inputs, manifest, d);
        return new LoadResult(manifest, registry, registry.Folders);
    }

    /// <summary>The registry folders, first that applies: HsmRegistryPath → HSM_REGISTRY_PATH → project.registry → hsm-registry (HSM1xxx when one is missing).</summary>
    public IReadOnlyList<string> LocateRegistry(ResolveInputs inputs, ProjectManifest? manifest, DiagnosticBag d) =>
        ResolvePipeline.LocateRegistry(Request(inputs), manifest, d);

    /// <summary>The registry of a manifest already read (the command line's edits): its folders located as the build locates them, indexed.</summary>
    public RegistryLoader OpenRegistry(ResolveInputs inputs, ProjectManifest? manifest, DiagnosticBag d) =>
        new(LocateRegistry(inputs, manifest, d), Label, d);

    /// <summary>
    /// Resolve: load hsm.yaml and the registry, resolve the stack, then the Compose pre-flight (what Compose's
    /// own <c>config</c> does not catch). Every problem is a diagnostic; the stack is null when there is an error.
    /// </summary>
    public ResolveResult Resolve(ResolveInputs inputs, DiagnosticBag d)
    {
        var request = Request(inputs);
        var (stack, folders) = ResolvePipeline.Run(request, d);
        if (stack != null) Preflight.Check(stack, d, new RegistryLocator(Context.ProjectDirectory));
        return Result(request, d.HasErrors ? null : stack, folders);
    }

    /// <summary>Resolve a manifest already read (the command line validating an edit before it writes it): resolver and pre-flight.</summary>
    public ResolvedStack? Resolve(ProjectManifest manifest, RegistryLoader registry, DiagnosticBag d)
    {
        var stack = new Resolver(manifest, registry, new ResolveOptions { ProjectDirectory = Context.ProjectDirectory, Label = Label }, d).Resolve();
        if (!d.HasErrors) Preflight.Check(stack, d, new RegistryLocator(Context.ProjectDirectory));
        return d.HasErrors ? null : stack;
    }

    /// <summary>Resolve for HsmPublish: always prod mode, with the publish checks (<see cref="PublishPipeline"/>).</summary>
    public ResolveResult ResolveForPublish(ResolveInputs inputs, DiagnosticBag d)
    {
        var request = Request(inputs);
        var (stack, folders) = PublishPipeline.Resolve(request, d);
        return Result(request, stack, folders);
    }

    private static ResolveResult Result(ResolveRequest request, ResolvedStack? stack, IReadOnlyList<string> folders) =>
        new(stack, folders, request.RegistryFilesRead!, request.RegistryFilesWithExternalValues!);

    /// <summary>
    /// Stage: render every artifact into obj/hsm/stage/ and write plan.json (create/replace/delete per file, with
    /// the hash it was derived from). Nothing in the project changes; git may clone on-demand sources.
    /// </summary>
    public StagePlan? Stage(ResolvedStack stack, StageInputs inputs, DiagnosticBag d) => Stager.Stage(stack, new StageRequest
    {
        ProjectDirectory = Context.ProjectDirectory,
        IntermediateDirectory = Context.IntermediateDirectory,
        PyProjectPath = inputs.PyProjectPath,
        ComposePath = inputs.ComposePath,
        LockPath = inputs.LockPath,
        Locked = inputs.Locked,
        GeneratorVersion = inputs.GeneratorVersion,
        Cancel = Context.Cancel,
        GitPath = inputs.GitPath,
        Tools = Context.Tools,
    }, d);

    /// <summary>HsmPublish's settings (target, path, endpoint mode): false when one is invalid (HSM7001).</summary>
    public static bool ValidatePublish(PublishRequest request, DiagnosticBag d) => PublishStager.Validate(request, d);

    /// <summary>Stage for HsmPublish: the kustomize base or swarm stack file and hsm.lock, into obj/hsm/publish/stage.</summary>
    public StagePlan? StagePublish(ResolvedStack stack, PublishRequest request, DiagnosticBag d) => PublishStager.Stage(stack, request, d);

    /// <summary>
    /// After a commit: records the content hashes of the watched files (wildcards expanded as MSBuild does) in the
    /// format the always-running target compares against (<see cref="CommittedHashes"/>, docs/targets.md).
    /// </summary>
    public static void RecordCommitted(string recordPath, IEnumerable<string> watched) => CommittedHashes.Record(recordPath, watched);

    /// <summary>
    /// HsmCheck's plan (design §7): per artifact, what a build would add, remove or change and why, as the
    /// staging recorded it in the plan. Empty when the project is up to date.
    /// </summary>
    public static List<string> PlanLines(StagePlan plan) => PlanReport.Lines(plan);

    /// <summary>The stage plan a stage step wrote (obj/hsm/stage/plan.json).</summary>
    public static StagePlan LoadPlan(string path) => StagePlan.Load(path);

    /// <summary>Check: uv resolves the staged pyproject.toml (a dry run outside the project) and Compose parses the staged file.</summary>
    public void Check(StagePlan plan, SyncInputs tools, DiagnosticBag d) => SyncCheck.Run(plan, Settings(tools), Context.Cancel, d, Context.Log);

    /// <summary>What a commit would write, without writing (-question, HsmLocked): null when the stage is stale (HSM4004).</summary>
    public CommitWork? Analyse(StagePlan plan, SyncInputs tools, DiagnosticBag d) => Committer.Analyse(plan, Settings(tools), d);

    /// <summary>
    /// Commit: journal, atomic replace of every changed file, clones moved in, uv lock/sync; all or nothing (a
    /// failure or a cancellation rolls back). Null when it failed (reported).
    /// </summary>
    public CommitOutcome? Commit(StagePlan plan, SyncInputs tools, DiagnosticBag d, CommitWork? analysed = null) =>
        Committer.Commit(plan, Settings(tools), Context.Cancel, d, Context.Log, Context.CommitObserver, analysed);

    /// <summary>The Staging layer's settings of the check and commit steps.</summary>
    public SyncSettings Settings(SyncInputs tools) => new(tools)
    {
        ProjectDirectory = Context.ProjectDirectory,
        IntermediateDirectory = Context.IntermediateDirectory,
        ArtifactFolders = ArtifactFolders,
        Tools = Context.Tools,
    };

    /// <summary>Mode/HsmMode as given (any case): Dev or Prod, else HSM1026 naming where it came from; null when empty.</summary>
    public static StackMode? ParseMode(string? value, string from, DiagnosticBag d) => ModeOf(ResolvePipeline.ParseMode(value, from, d));

    /// <summary>HsmComponentMode items as "name=mode": each mode Dev or Prod, else HSM1026 naming the item.</summary>
    public static IReadOnlyDictionary<string, StackMode> ParseComponentModes(IEnumerable<string>? items, DiagnosticBag d) =>
        ResolvePipeline.ParseComponentModes(items, d).ToDictionary(kv => kv.Key, kv => ModeOf(kv.Value)!.Value, StringComparer.OrdinalIgnoreCase);

    private static StackMode? ModeOf(string? text) => text switch { "dev" => StackMode.Dev, "prod" => StackMode.Prod, _ => null };

    /// <summary>The mode as resolved.json, hsm.lock and the resolver spell it.</summary>
    private static string? ModeText(StackMode? mode) => mode switch { StackMode.Dev => "dev", StackMode.Prod => "prod", _ => null };
}
