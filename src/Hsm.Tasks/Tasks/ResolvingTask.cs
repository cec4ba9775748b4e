using Hsm.Diagnostics;
using Hsm.Pipeline;
using Microsoft.Build.Framework;

namespace Hsm.Tasks;

/// <summary>The parameters and inputs building shared by the tasks that resolve the stack (HsmResolve, HsmCheck, HsmPublish).</summary>
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
    public bool Locked { get; set; }
    /// <summary>HsmComponentMode items as "name=mode" (design §11: after Mode/HsmMode, before hsm.yaml).</summary>
    public string[]? ComponentModes { get; set; }

    protected override string? LockDirectory => IntermediateDirectory;

    /// <summary>HsmPyProjectPath, else the project's pyproject.toml.</summary>
    protected string PyProjectFile => string.IsNullOrEmpty(PyProjectPath) ? Path.Combine(ProjectDirectory, "pyproject.toml") : PyProjectPath;

    /// <summary>HsmComposePath, else the project's docker-compose.hsm.yml.</summary>
    protected string ComposeFile => string.IsNullOrEmpty(ComposePath) ? Path.Combine(ProjectDirectory, "docker-compose.hsm.yml") : ComposePath;

    /// <summary>
    /// The resolve inputs of this build: HsmMode, else Mode when it is a global property (-p:Mode=…;
    /// a $(Mode) made from an environment variable MODE is ignored). Null when a property is invalid.
    /// </summary>
    protected ResolveInputs? BuildInputs(DiagnosticBag d, bool wholeRegistry)
    {
        var forced = HsmPipeline.ParseMode(HsmMode, "HsmMode", d);
        if (forced is null && !string.IsNullOrWhiteSpace(Mode))
        {
            if (IsGlobalProperty("Mode")) forced = HsmPipeline.ParseMode(Mode, "The Mode property", d);
            else Log.LogMessage(MessageImportance.Low, "hsm: $(Mode) = '{0}' is not a global property (-p:Mode=...), e.g. it comes from an environment variable MODE; it is ignored.", Mode);
        }
        var componentModes = HsmPipeline.ParseComponentModes(ComponentModes, d);
        if (d.HasErrors) return null;
        return new ResolveInputs
        {
            ComponentModes = componentModes,
            ManifestPath = ManifestPath,
            PropertyBaseDirectory = string.IsNullOrEmpty(MSBuildProjectDirectory) ? ProjectDirectory : MSBuildProjectDirectory,
            RegistryProperty = RegistryPath,
            RegistryEnvironment = LiteralEnvironment("HSM_REGISTRY_PATH", RegistryEnvironment),
            ForcedMode = forced,
            Settings = new StackSettings
            {
                PyProject = Paths.ProjectPaths.Key(ProjectDirectory, PyProjectFile),
                Compose = Paths.ProjectPaths.Key(ProjectDirectory, ComposeFile),
                PythonSync = PythonSync ?? "auto",
                Locked = Locked,
            },
            ValidateWholeRegistry = wholeRegistry,
        };
    }

    /// <summary>
    /// The literal text of an environment variable that reached the task as the property of the same name: MSBuild
    /// unescapes `%XX` in a property made from an environment variable, so a folder named `a%3Bb` arrives as `a;b`.
    /// When the process's variable unescapes to exactly <paramref name="value"/>, the variable is the value meant;
    /// otherwise (a global property or the project set it) <paramref name="value"/> itself.
    /// </summary>
    internal static string? LiteralEnvironment(string name, string? value)
    {
        var raw = Environment.GetEnvironmentVariable(name);
        return raw != null && raw != value && value != null && MSBuildUnescape(raw) == value ? raw : value;
    }

    /// <summary>MSBuild's unescaping: each `%XX` (two hexadecimal digits) becomes that character.</summary>
    internal static string MSBuildUnescape(string s)
    {
        if (!s.Contains('%')) return s;
        var sb = new System.Text.StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '%' && i + 2 < s.Length && Uri.IsHexDigit(s[i + 1]) && Uri.IsHexDigit(s[i + 2]))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 2), 16));
                i += 2;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    /// <summary>The pipeline of this project's obj/hsm.</summary>
    protected HsmPipeline Pipeline() => Pipeline(IntermediateDirectory);
}
