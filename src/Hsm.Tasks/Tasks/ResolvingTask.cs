using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Resolution;
using Microsoft.Build.Framework;

namespace Hsm.Tasks;

/// <summary>The parameters and request building shared by the tasks that resolve the stack (HsmResolve, HsmCheck).</summary>
public abstract class ResolvingTask : HsmTask
{
    [Required] public string ManifestPath { get; set; } = "";
    [Required] public string IntermediateDirectory { get; set; } = "";
    public string MSBuildProjectDirectory { get; set; } = "";
    public string? RegistryPath { get; set; }
    public string? RegistryEnvironment { get; set; }
    public string? Mode { get; set; }
    public string? HsmMode { get; set; }
    public string? PyProjectPath { get; set; }
    public string? ComposePath { get; set; }
    public string? PythonSync { get; set; }
    public string? Locked { get; set; }
    /// <summary>HsmComponentMode items as "name=mode" (design §11: after Mode/HsmMode, before hsm.yaml).</summary>
    public string[]? ComponentModes { get; set; }

    protected override string? LockDirectory => IntermediateDirectory;

    /// <summary>
    /// The resolve request of this build: HsmMode, else Mode when it is a global property (-p:Mode=…;
    /// a $(Mode) made from an environment variable MODE is ignored). Null when a property is invalid.
    /// </summary>
    protected ResolveRequest? BuildRequest(DiagnosticBag d, bool wholeRegistry)
    {
        var forced = ResolvePipeline.ParseMode(HsmMode, "HsmMode", d);
        if (forced is null && !string.IsNullOrWhiteSpace(Mode))
        {
            if (IsGlobalProperty("Mode")) forced = ResolvePipeline.ParseMode(Mode, "The Mode property", d);
            else Log.LogMessage(MessageImportance.Low, "hsm: $(Mode) = '{0}' is not a global property (-p:Mode=...), e.g. it comes from an environment variable MODE; it is ignored.", Mode);
        }
        var componentModes = ResolvePipeline.ParseComponentModes(ComponentModes, d);
        if (d.HasErrors) return null;
        return new ResolveRequest
        {
            ComponentModes = componentModes,
            ManifestPath = ManifestPath,
            ProjectDirectory = ProjectDirectory,
            PropertyBaseDirectory = string.IsNullOrEmpty(MSBuildProjectDirectory) ? ProjectDirectory : MSBuildProjectDirectory,
            RegistryProperty = RegistryPath,
            RegistryEnvironment = RegistryEnvironment,
            ForcedMode = forced,
            Settings = new Dictionary<string, string>
            {
                ["pyproject"] = ResolvePipeline.Label(ProjectDirectory, PyProjectPath ?? Path.Combine(ProjectDirectory, "pyproject.toml")),
                ["compose"] = ResolvePipeline.Label(ProjectDirectory, ComposePath ?? Path.Combine(ProjectDirectory, "docker-compose.hsm.yml")),
                ["pythonSync"] = (PythonSync ?? "auto").ToLowerInvariant(),
                ["locked"] = IsTrue(Locked) ? "true" : "false",
            },
            RegistryFilesRead = new List<string>(),
            RegistryFilesWithExternalValues = new List<string>(),
            ValidateWholeRegistry = wholeRegistry,
        };
    }

    /// <summary>Resolves, then runs the Compose pre-flight (Compose's `config` does not catch those; `up` fails late).</summary>
    protected static (ResolvedStack? Stack, IReadOnlyList<string> Folders) Resolve(ResolveRequest request, DiagnosticBag d)
    {
        var (stack, folders) = ResolvePipeline.Run(request, d);
        if (stack is null) return (null, folders);
        Hsm.Compose.Preflight.Check(stack, d);
        return (d.HasErrors ? null : stack, folders);
    }
}
