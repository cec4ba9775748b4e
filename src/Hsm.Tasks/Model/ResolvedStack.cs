using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Hsm.Model;

/// <summary>
/// The outcome of resolution (design §4.5): everything the renderers need, and nothing machine-specific.
/// It is written to obj/hsm/resolved.json by HsmResolve and read back by HsmStage, so it must hold
/// every value the artifacts depend on. Paths are relative to the project directory, '/'-separated.
/// Lists are sorted (components by name) so the same inputs give byte-identical JSON.
/// </summary>
public sealed class ResolvedStack
{
    /// <summary>The file's name in the intermediate folder (obj/hsm/).</summary>
    public const string FileName = "resolved.json";

    /// <summary>resolved.json in <paramref name="intermediateDirectory"/>.</summary>
    public static string PathIn(string intermediateDirectory) => Path.Combine(intermediateDirectory, FileName);

    public int Version { get; set; } = 1;
    public string ProjectName { get; set; } = "";
    public string ProjectVersion { get; set; } = "";
    public string ContainerEngine { get; set; } = "docker";
    /// <summary>Relevant build properties, so a change of them changes resolved.json.</summary>
    public Dictionary<string, string> Settings { get; set; } = new(StringComparer.Ordinal);
    public List<ResolvedGroup> Groups { get; set; } = new();
    public List<ResolvedLibrary> Libraries { get; set; } = new();
    public List<ResolvedService> Services { get; set; } = new();
    /// <summary>Files hsm read that are not YAML (env files, path libraries' pyproject.toml), project-relative.</summary>
    public List<string> ExtraInputs { get; set; } = new();
    /// <summary>Registry folders in search order, project-relative when possible.</summary>
    public List<string> RegistryFolders { get; set; } = new();

    /// <summary>
    /// resolved.json's options. The metadata is source-generated (<see cref="ModelJsonContext"/>), so no build pays for
    /// reflection over these types or JIT-compiles emitted accessors; the bytes are those of the reflection-based form.
    /// </summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = ModelJsonContext.Default,
    };

    /// <summary>The options of the canonical form the stack hash is taken of: where a mode came from is not part of the stack.</summary>
    private static readonly JsonSerializerOptions CanonicalJsonOptions = new(JsonOptions)
    {
        TypeInfoResolver = new WithoutModeOrigin(),
    };

    /// <summary>The generated metadata without the <c>modeOrigin</c> properties (a modifier, as net8.0 has no WithAddedModifier).</summary>
    private sealed class WithoutModeOrigin : System.Text.Json.Serialization.Metadata.IJsonTypeInfoResolver
    {
        public System.Text.Json.Serialization.Metadata.JsonTypeInfo? GetTypeInfo(Type type, JsonSerializerOptions options)
        {
            var ti = ((System.Text.Json.Serialization.Metadata.IJsonTypeInfoResolver)ModelJsonContext.Default).GetTypeInfo(type, options);
            if (ti is not null)
                for (int i = ti.Properties.Count - 1; i >= 0; i--) if (ti.Properties[i].Name == "modeOrigin") ti.Properties.RemoveAt(i);
            return ti;
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions).Replace("\r\n", "\n") + "\n";
    public string ToCanonicalJson() => JsonSerializer.Serialize(this, CanonicalJsonOptions).Replace("\r\n", "\n") + "\n";

    /// <summary>
    /// resolved.json as written (UTF-8, no BOM): the bytes of <see cref="ToJson"/>, without a UTF-16 copy of the text.
    /// <paramref name="sizeHint"/> (the length of the file it replaces) sizes the buffer once.
    /// </summary>
    public ArraySegment<byte> ToJsonUtf8(long sizeHint = 0)
    {
        // The indented writer ends lines with Environment.NewLine: where that is "\n" the bytes are final once the
        // closing newline is added; elsewhere the text form does the "\r\n" replacement.
        if (Environment.NewLine != "\n") return new System.Text.UTF8Encoding(false).GetBytes(ToJson());
        var buffer = new MemoryStream(sizeHint is > 0 and < int.MaxValue - 4096 ? (int)sizeHint + 4096 : 0);
        JsonSerializer.Serialize(buffer, this, JsonOptions);
        buffer.WriteByte((byte)'\n');
        return new ArraySegment<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>sha256 (lowercase hex) of the UTF-8 bytes of <see cref="ToCanonicalJson"/>, hashed as it is written (no copy of the text).</summary>
    public string CanonicalSha256()
    {
        if (Environment.NewLine != "\n")
            return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(new System.Text.UTF8Encoding(false).GetBytes(ToCanonicalJson()))).ToLowerInvariant();
        using var hashing = new HashingStream();
        JsonSerializer.Serialize(hashing, this, CanonicalJsonOptions);
        hashing.WriteByte((byte)'\n');
        return hashing.Hex();
    }

    /// <summary>A write-only stream that hashes what is written to it.</summary>
    private sealed class HashingStream : Stream
    {
        private readonly System.Security.Cryptography.IncrementalHash _hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        public string Hex() => Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();
        public override void Write(byte[] buffer, int offset, int count) => _hash.AppendData(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => _hash.AppendData(buffer);
        public override void WriteByte(byte value) => _hash.AppendData(new[] { value });
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        protected override void Dispose(bool disposing) { if (disposing) _hash.Dispose(); base.Dispose(disposing); }
    }

    public static ResolvedStack FromJson(string json) => JsonSerializer.Deserialize<ResolvedStack>(json, JsonOptions)
        ?? throw new InvalidDataException("resolved.json is empty");

    /// <summary>
    /// Reads resolved.json as a UTF-8 stream (a byte order mark is skipped): no UTF-16 copy and no copy of the whole
    /// file (several MB at 10,000 components, on the large-object heap).
    /// </summary>
    public static ResolvedStack Read(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return JsonSerializer.Deserialize<ResolvedStack>(f, JsonOptions) ?? throw new InvalidDataException("resolved.json is empty");
    }
}

/// <summary>Source-generated System.Text.Json metadata of resolved.json's types (used through <see cref="ResolvedStack.JsonOptions"/>).</summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(ResolvedStack))]
internal sealed partial class ModelJsonContext : JsonSerializerContext
{
}

public sealed class ResolvedGroup
{
    public string Name { get; set; } = "";
    /// <summary>library or service.</summary>
    public string Kind { get; set; } = "";
    public string Strategy { get; set; } = "1-of-N";
    public List<string> Selection { get; set; } = new();
    public string? Comment { get; set; }
}

/// <summary>Why a component is in the stack, as a stable YAML path or rule (never a line number).</summary>
public sealed class Origin
{
    /// <summary>selection | default | implies | standalone</summary>
    public string Rule { get; set; } = "";
    /// <summary>e.g. "libraries.groups.vector-db-client.selection" or "implies from library qdrant-adapter".</summary>
    public string Path { get; set; } = "";
    public override string ToString() => Path;
}

public sealed class ResolvedLibrary
{
    public string Name { get; set; } = "";
    /// <summary>Distribution name written into pyproject.toml (source `package`, default the name).</summary>
    public string Package { get; set; } = "";
    public string Mode { get; set; } = "prod";
    /// <summary>Where the mode came from (Resolver.ModeOf): the Mode property, HsmComponentMode, a standalone entry, `modes`,
    /// a group, default. In resolved.json (HsmList prints it; the ModeOrigin metadata of the items), not in the stack hash.</summary>
    public string ModeOrigin { get; set; } = "default";
    public string? Group { get; set; }
    public List<Origin> Origins { get; set; } = new();
    public LibrarySource Source { get; set; } = new();
    /// <summary>Registry file (project-relative) that defined it.</summary>
    public string? RegistryFile { get; set; }
}

public sealed class LibrarySource
{
    /// <summary>pypi | git | local</summary>
    public string Type { get; set; } = "";
    /// <summary>Which source entry of the manifest was used: prod or dev.</summary>
    public string Key { get; set; } = "prod";
    // pypi
    public string? Version { get; set; }
    public List<string>? Extras { get; set; }
    public string? Markers { get; set; }
    // git
    public string? Url { get; set; }
    /// <summary>ref | tag | branch | rev (uv's key is rev for ref).</summary>
    public string? RefKind { get; set; }
    public string? Ref { get; set; }
    public string? Subdirectory { get; set; }
    // local
    public string? Path { get; set; }
    public bool? Editable { get; set; }
    /// <summary>True when Path does not exist and will be cloned from Url at Ref (design §3.1).</summary>
    public bool Clone { get; set; }
}

public sealed class ResolvedService
{
    public string Name { get; set; } = "";
    public string Mode { get; set; } = "prod";
    /// <summary>Where the mode came from (Resolver.ModeOf); see <see cref="ResolvedLibrary.ModeOrigin"/>.</summary>
    public string ModeOrigin { get; set; } = "default";
    public string? Group { get; set; }
    public List<Origin> Origins { get; set; } = new();
    public string Profile { get; set; } = "default";
    /// <summary>managed | external</summary>
    public string ProfileMode { get; set; } = "managed";
    /// <summary>docker | podman | uv</summary>
    public string Runtime { get; set; } = "docker";
    /// <summary>The external map of an external profile (values as strings).</summary>
    public SortedDictionary<string, string>? External { get; set; }
    public ServiceSource? Source { get; set; }
    public string? ContainerName { get; set; }
    /// <summary>string or list, as written. For a uv-runtime service: the process command (profile, else service).</summary>
    public JsonNode? Command { get; set; }
    /// <summary>uv-runtime services: the process's working directory, relative to the service's directory.</summary>
    public string? WorkingDir { get; set; }
    /// <summary>Final inline environment, layered service → source → profile, params substituted; sorted by key.</summary>
    public SortedDictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Env files, project-relative, service level then source level, duplicates dropped.</summary>
    public List<string> EnvFiles { get; set; } = new();
    public List<string> Ports { get; set; } = new();
    /// <summary>Volumes merged by container target (the later layer wins), in first-seen order.</summary>
    public List<string> Volumes { get; set; } = new();
    public List<string> NetworkAliases { get; set; } = new();
    public List<string> DependsOn { get; set; } = new();
    public JsonNode? Healthcheck { get; set; }
    /// <summary>Pass-through Compose keys (`compose:`), merged last.</summary>
    public JsonObject? Compose { get; set; }
    /// <summary>Merged implied params: key → unique values sorted ordinally, joined by ','.</summary>
    public SortedDictionary<string, string> Params { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Libraries of a uv-runtime service (requirement names).</summary>
    public List<string> Dependencies { get; set; } = new();
    /// <summary>
    /// Registry libraries a uv-runtime service's <see cref="Dependencies"/> name that the stack itself does
    /// not select (design §5.4): resolved like stack libraries (mode: forced, <c>modes:</c>, else the service's),
    /// so a local one gets its path source in the service's pyproject.toml. Null when there are none.
    /// </summary>
    public List<ResolvedLibrary>? DependencyLibraries { get; set; }
    public string? RegistryFile { get; set; }

    [JsonIgnore] public bool InCompose => ProfileMode == "managed" && Runtime is "docker" or "podman";
}

public sealed class ServiceSource
{
    /// <summary>docker-image | build | local | git</summary>
    public string Type { get; set; } = "";
    public string Key { get; set; } = "prod";
    public string? Image { get; set; }
    /// <summary>Build context or working directory, project-relative.</summary>
    public string? Path { get; set; }
    public string? Dockerfile { get; set; }
    public string? Url { get; set; }
    public string? Ref { get; set; }
    public string? Subdirectory { get; set; }
}
