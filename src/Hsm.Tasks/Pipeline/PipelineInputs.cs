using Hsm.Uv;
using Hsm.Transaction;

namespace Hsm.Pipeline;

/// <summary>What every step of one run shares: the project, its obj/hsm, tool limits, cancellation and where detail lines go.</summary>
public sealed class PipelineContext
{
    /// <summary>The project folder (hsm.yaml's folder): every label is relative to it.</summary>
    public required string ProjectDirectory { get; init; }
    /// <summary>obj/hsm (or HsmCheck's obj/hsm/check): the stage, the plan, the journal and the records live here.</summary>
    public required string IntermediateDirectory { get; init; }
    /// <summary>HsmToolTimeout and the progress lines of uv and git runs.</summary>
    public ToolOptions Tools { get; init; } = ToolOptions.Default;
    /// <summary>Ctrl+C, SIGTERM or MSBuild's cancel: stops uv or git, rolls an unfinished commit back.</summary>
    public CancellationToken Cancel { get; init; }
    /// <summary>Detail lines (the tool command lines and their output): low-importance messages in MSBuild.</summary>
    public Action<string> Log { get; init; } = _ => { };
    /// <summary>The configured artifact paths (HsmPyProjectPath, HsmComposePath, HsmLockPath): their folders, with the
    /// project's, are where a commit may have written, so where recovering an interrupted one may write.</summary>
    public IReadOnlyList<string> ArtifactPaths { get; init; } = [];
    /// <summary>Sees every step of a commit (tests); null in the product.</summary>
    public ICommitObserver? CommitObserver { get; init; }
}

/// <summary>Dev or Prod: the mode a build forces (Mode/HsmMode) or a component is given (HsmComponentMode).</summary>
public enum StackMode
{
    Dev,
    Prod,
}

/// <summary>The build settings recorded in resolved.json (a changed setting re-runs the chain).</summary>
public sealed class StackSettings
{
    /// <summary>pyproject.toml's label (project-relative).</summary>
    public string PyProject { get; init; } = "pyproject.toml";
    /// <summary>The generated Compose file's label.</summary>
    public string Compose { get; init; } = "docker-compose.hsm.yml";
    /// <summary>HsmPythonSync as given (lowercased; validated where uv is needed).</summary>
    public string PythonSync { get; init; } = "auto";
    public bool Locked { get; init; }

    /// <summary>As resolved.json records them (the same keys and strings as ever).</summary>
    public Dictionary<string, string> ToDictionary() => new()
    {
        ["pyproject"] = PyProject,
        ["compose"] = Compose,
        ["pythonSync"] = PythonSync.ToLowerInvariant(),
        ["locked"] = Locked ? "true" : "false",
    };
}

/// <summary>What the load and resolve steps read: hsm.yaml, where the registry is, and what the build forces.</summary>
public sealed class ResolveInputs
{
    public required string ManifestPath { get; init; }
    /// <summary>The folder HsmRegistryPath is relative to (the MSBuild project's folder); the project folder when null.</summary>
    public string? PropertyBaseDirectory { get; init; }
    /// <summary>HsmRegistryPath (or --registry): ';'-separated.</summary>
    public string? RegistryProperty { get; init; }
    /// <summary>HSM_REGISTRY_PATH: OS path separator, relative to the project folder.</summary>
    public string? RegistryEnvironment { get; init; }
    /// <summary>Mode/HsmMode: every component in this mode (null: hsm.yaml decides).</summary>
    public StackMode? ForcedMode { get; init; }
    /// <summary>HsmComponentMode items: component → mode.</summary>
    public IReadOnlyDictionary<string, StackMode> ComponentModes { get; init; } = new Dictionary<string, StackMode>();
    public StackSettings Settings { get; init; } = new();
    /// <summary>Parse every registry file (HsmCheck), not only those the stack needs.</summary>
    public bool ValidateWholeRegistry { get; init; }
}

/// <summary>What the stage step writes besides the stack: the artifact paths and the lock policy.</summary>
public sealed class StageInputs
{
    public required string PyProjectPath { get; init; }
    public required string ComposePath { get; init; }
    public required string LockPath { get; init; }
    /// <summary>HsmLocked: hsm.lock must already say what this build writes.</summary>
    public bool Locked { get; init; }
    /// <summary>git as the targets resolved it (null or "none": not found).</summary>
    public string? GitPath { get; init; }
    /// <summary>Recorded in hsm.lock and the generated headers.</summary>
    public string GeneratorVersion { get; init; } = HsmPipeline.GeneratorVersion;
}
