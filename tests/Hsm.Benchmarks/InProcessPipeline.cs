using Hsm.Compose;
using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Pipeline;
using Hsm.Python;
using Hsm.Registry;
using Hsm.Staging;
using Hsm.Transaction;

namespace Hsm.Benchmarks;

/// <summary>
/// The in-process work of one full build through the product's <see cref="HsmPipeline"/>, as the tasks run it
/// (HsmResolve, HsmStage, HsmCommit) but without MSBuild: load + resolve (+ pre-flight and resolved.json),
/// render and stage every artifact, commit (uv off). Used by the benchmarks, the CI smoke test and
/// `pipeline` (Stopwatch per phase).
/// </summary>
public sealed class InProcessPipeline
{
    public string ProjectDirectory { get; }
    public string IntermediateDirectory { get; }
    public HsmPipeline Pipeline { get; }

    public InProcessPipeline(string projectDirectory, string? intermediateDirectory = null)
    {
        ProjectDirectory = Path.GetFullPath(projectDirectory);
        IntermediateDirectory = intermediateDirectory ?? Path.Combine(ProjectDirectory, "obj", "hsm");
        Pipeline = new HsmPipeline(new PipelineContext { ProjectDirectory = ProjectDirectory, IntermediateDirectory = IntermediateDirectory });
    }

    /// <summary>hsm.yaml in the project, the default registry, uv off.</summary>
    public ResolveInputs Inputs => new()
    {
        ManifestPath = Path.Combine(ProjectDirectory, "hsm.yaml"),
        Settings = new StackSettings { PythonSync = "none" },
    };

    /// <summary>The tools of the commit: uv and Compose off.</summary>
    private static readonly SyncInputs NoTools = new() { PythonSync = "none", ComposeValidate = "false" };

    /// <summary>hsm.yaml and the registry index only (no registry file is parsed).</summary>
    public RegistryLoader Load(DiagnosticBag d)
    {
        var loaded = Pipeline.Load(Inputs, d);
        if (loaded.Manifest is null) throw Fail(d, "hsm.yaml");
        return loaded.Registry;
    }

    /// <summary>HsmResolve: load, resolve, pre-flight, resolved.json text.</summary>
    public (ResolvedStack Stack, string Json) Resolve(DiagnosticBag d)
    {
        var stack = Pipeline.Resolve(Inputs, d).Stack ?? throw Fail(d, "resolve");
        return (stack, stack.ToJson());
    }

    /// <summary>The pyproject.toml edit alone (what HsmStage does for it).</summary>
    public PyProjectEditResult RenderPyProject(ResolvedStack stack, DiagnosticBag d)
    {
        var desired = stack.Libraries.Select(l => Requirements.FromLibrary(l, l.Source.Type == "local" ? l.Source.Path : null)).ToList();
        var py = Path.Combine(ProjectDirectory, "pyproject.toml");
        return PyProjectEditor.Apply(File.Exists(py) ? File.ReadAllText(py) : null, desired, null, "pyproject.toml", stack.ProjectName, stack.ProjectVersion, d);
    }

    /// <summary>The Compose file alone.</summary>
    public string? RenderCompose(ResolvedStack stack) =>
        ComposeRenderer.Render(stack, new ComposeContext("0.0.0-bench", "0000000000000000", false, stack.ProjectName));

    /// <summary>HsmStage: every artifact rendered into obj/hsm/stage with its plan (from resolved.json, as the task does).</summary>
    public StagePlan Stage(string resolvedJson, DiagnosticBag d)
    {
        var stack = ResolvedStack.FromJson(resolvedJson);
        var plan = Pipeline.Stage(stack, new StageInputs
        {
            PyProjectPath = Path.Combine(ProjectDirectory, "pyproject.toml"),
            ComposePath = Path.Combine(ProjectDirectory, "docker-compose.hsm.yml"),
            LockPath = Path.Combine(ProjectDirectory, "hsm.lock"),
            GeneratorVersion = "0.0.0-bench",
        }, d);
        return plan ?? throw Fail(d, "stage");
    }

    /// <summary>HsmCommit with uv off.</summary>
    public CommitOutcome Commit(StagePlan plan, DiagnosticBag d) => Pipeline.Commit(plan, NoTools, d) ?? throw Fail(d, "commit");

    /// <summary>Everything once: resolve, stage, commit.</summary>
    public (ResolvedStack Stack, StagePlan Plan, CommitOutcome Outcome) RunAll(DiagnosticBag d)
    {
        var (stack, json) = Resolve(d);
        var plan = Stage(json, d);
        return (stack, plan, Commit(plan, d));
    }

    /// <summary>Puts the project back as generated: no artifacts, no obj/, the generated pyproject.toml.</summary>
    public void ResetArtifacts(string pristinePyProject)
    {
        foreach (var f in new[] { "docker-compose.hsm.yml", "hsm.lock", ".env.hsm", ".env.hsm.local" })
        {
            var p = Path.Combine(ProjectDirectory, f);
            if (File.Exists(p)) File.Delete(p);
        }
        File.WriteAllText(Path.Combine(ProjectDirectory, "pyproject.toml"), pristinePyProject);
        if (Directory.Exists(IntermediateDirectory)) Directory.Delete(IntermediateDirectory, true);
    }

    private static InvalidOperationException Fail(DiagnosticBag d, string phase) =>
        new($"{phase} failed:\n" + string.Join("\n", d.Items.Where(x => x.Severity == Severity.Error).Take(20).Select(x => $"{x.Span}: {x.Code} {x.Message}")));
}
