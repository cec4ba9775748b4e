using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hsm.Staging;

/// <summary>What the commit does with a planned file (plan.json keeps the lowercase name: create, replace, …).</summary>
public enum FileOp { Unchanged, Create, Replace, Delete }

/// <summary>What kind of artifact a planned file or change is (plan.json keeps the lowercase name: pyproject, uvlock, …).</summary>
public enum ArtifactKind { Pyproject, Uvlock, Compose, Env, Lock, Clone, Publish }

/// <summary>One file the commit creates, replaces or deletes.</summary>
public sealed class PlannedFile
{
    /// <summary>Absolute path of the file in the project.</summary>
    public string Target { get; set; } = "";
    public FileOp Op { get; set; }
    /// <summary>Absolute path of the staged content (null for delete/unchanged).</summary>
    public string? Staged { get; set; }
    /// <summary>sha256 of the target when it was staged (null: it did not exist). The commit refuses a target changed since.</summary>
    public string? OriginalHash { get; set; }
    public string? StagedHash { get; set; }
    public ArtifactKind Kind { get; set; }
}

/// <summary>A pyproject.toml uv works on.</summary>
public sealed class UvProject
{
    /// <summary>Absolute path of the pyproject.toml in the project (where uv sync runs).</summary>
    public string PyProject { get; set; } = "";
    /// <summary>Where its content can be read before the commit: the staged copy, a fresh clone, or the file itself.</summary>
    public string CheckSource { get; set; } = "";
    /// <summary>Absolute target folder → clone folder, for path sources that point into a clone not yet moved in.</summary>
    public Dictionary<string, string> Redirects { get; set; } = new();
    /// <summary>sha256 of <see cref="CheckSource"/> when it is the staged copy (hashed once, when staged); null: hash the file.</summary>
    public string? CheckHash { get; set; }
}

/// <summary>
/// One model-level change of a staged plan (design §7): in which artifact an entry (a library, a service,
/// an env key, a lock entry, or the file itself) is added (+), removed (-) or changed (~), and why
/// (selection, default, standalone, implies from X, mode, source, deselected, …).
/// </summary>
public sealed class PlannedChange
{
    /// <summary>The artifact's project-relative name (pyproject.toml, docker-compose.hsm.yml, .env.hsm, hsm.lock, …).</summary>
    public string Artifact { get; set; } = "";
    public ArtifactKind Kind { get; set; }
    /// <summary>+ | - | ~</summary>
    public string Op { get; set; } = "";
    public string Entry { get; set; } = "";
    public string Reason { get; set; } = "";

    /// <summary><c>&lt;op&gt; &lt;entry&gt; (&lt;reason&gt;)</c></summary>
    [JsonIgnore] public string Change => $"{Op} {Entry} ({Reason})";
    /// <summary>HsmCheck's line: <c>hsm: &lt;artifact&gt;: &lt;op&gt; &lt;entry&gt; (&lt;reason&gt;)</c></summary>
    [JsonIgnore] public string Line => $"hsm: {Artifact}: {Change}";
}

/// <summary>A folder cloned on demand (design §3.1): moved from <see cref="Staged"/> to <see cref="Target"/> by the commit.</summary>
public sealed class PlannedClone
{
    public string Target { get; set; } = "";
    public string Staged { get; set; } = "";
}

/// <summary>obj/hsm/stage/plan.json: what HsmStage produced, read by HsmSync and HsmCommit.</summary>
public sealed class StagePlan
{
    /// <summary>The plan.json format: 2 carries <see cref="Entries"/>; a plan without a version (1) has none.</summary>
    public const int CurrentVersion = 2;
    public int Version { get; set; } = 1;
    public List<PlannedFile> Files { get; set; } = new();
    /// <summary>The Python projects uv checks and syncs: the root one (when libraries are managed) and each uv-runtime service's.</summary>
    public List<UvProject> UvProjects { get; set; } = new();
    /// <summary>Folders cloned on demand into obj/hsm/clones/, moved into place by the commit.</summary>
    public List<PlannedClone> Clones { get; set; } = new();
    public string? Compose { get; set; }
    /// <summary>One line per change, for the build summary and HsmCheck.</summary>
    public List<string> Changes { get; set; } = new();
    /// <summary>The model-level changes, recorded by the staging (version 2); what HsmCheck's plan and the build summary show.</summary>
    public List<PlannedChange> Entries { get; set; } = new();

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
        TypeInfoResolver = StagingJsonContext.Default, // source-generated metadata: no reflection over these types per build
    };

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(this, Options));
    }

    public static StagePlan Load(string path) => JsonSerializer.Deserialize<StagePlan>(File.ReadAllText(path), Options)
        ?? throw new InvalidDataException($"{path} is empty");

    public static string Hash(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
    public static string Hash(string text) => Hash(Encoding.UTF8.GetBytes(text));
    /// <summary>sha256 of a regular file (links followed); null when there is none (a dangling link, or a special file, which is never opened).</summary>
    public static string? HashFile(string path)
    {
        if (IO.GuardedFile.KindOf(path) != IO.FileKind.Regular) return null;
        using var stream = File.OpenRead(path); // hashed as read: no copy of the file in memory
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }
}

/// <summary>Source-generated System.Text.Json metadata of plan.json (used through <see cref="StagePlan"/>'s options).</summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(StagePlan))]
internal sealed partial class StagingJsonContext : JsonSerializerContext
{
}
