using Hsm.Diagnostics;
using Hsm.Manifest;
using Hsm.Yaml;

namespace Hsm.Registry;

public enum ComponentKind { Library, Service, LibraryGroup, ServiceGroup }

/// <summary>One entry of an `implies` map: `service:x: {params}` or `library_group:g: option(s)`.</summary>
public sealed class ImpliesEntry
{
    /// <summary>service | library_group | service_group</summary>
    public string TargetKind { get; init; } = "";
    public string Target { get; init; } = "";
    public SourceSpan Span { get; init; }
    public List<(string Key, string Value, SourceSpan Span)> Params { get; } = new();
    public List<Located<string>> Options { get; } = new();
    /// <summary>True when the entry could not be read completely (its problem is already reported).</summary>
    public bool Broken { get; set; }
}

public sealed class SourceDef
{
    public string Key { get; init; } = "prod";   // prod | dev
    public string Type { get; set; } = "";
    public string? Package { get; set; }
    public string? Version { get; set; }
    public List<string>? Extras { get; set; }
    public string? Markers { get; set; }
    public string? Url { get; set; }
    public string? RefKind { get; set; }
    public string? Ref { get; set; }
    public string? Subdirectory { get; set; }
    public string? Path { get; set; }
    public SourceSpan PathSpan { get; set; }
    public bool? Editable { get; set; }
    public string? Image { get; set; }
    public string? Dockerfile { get; set; }
    public SourceSpan DockerfileSpan { get; set; }
    public string? ContainerName { get; set; }
    public List<string> Ports { get; } = new();
    public List<string> Volumes { get; } = new();
    /// <summary>Where each of <see cref="Volumes"/> is written (same order).</summary>
    public List<SourceSpan> VolumeSpans { get; } = new();
    public List<string> NetworkAliases { get; } = new();
    public List<(string Key, string Value, SourceSpan Span)> Env { get; } = new();
    public List<Located<string>> EnvFiles { get; } = new();
}

public abstract class ComponentManifest
{
    public string Name { get; init; } = "";
    public string File { get; init; } = "";
    public string? Description { get; set; }
    public Dictionary<string, SourceDef> Sources { get; } = new(StringComparer.Ordinal);
    public List<ImpliesEntry> Implies { get; } = new();
    public List<Located<string>> Conflicts { get; } = new();
    /// <summary>True when reading the file reported an error: follow-up errors (e.g. "no source") are not reported again.</summary>
    public bool HadErrors { get; set; }
}

public sealed class LibraryManifest : ComponentManifest { }

public sealed class DeploymentProfile
{
    public string Name { get; init; } = "";
    public SourceSpan Span { get; init; }
    public string Mode { get; set; } = "managed";
    public string Runtime { get; set; } = "docker";
    public List<(string Key, string Value, SourceSpan Span)> External { get; } = new();
    public List<(string Key, string Value, SourceSpan Span)> Env { get; } = new();
    /// <summary>The process command of a uv-runtime profile (string or list), or null.</summary>
    public System.Text.Json.Nodes.JsonNode? Command { get; set; }
    /// <summary>The process working directory of a uv-runtime profile, relative to the service's directory.</summary>
    public string? WorkingDir { get; set; }
}

public sealed class ServiceManifest : ComponentManifest
{
    public string? ContainerName { get; set; }
    public List<string> Ports { get; } = new();
    public List<string> Volumes { get; } = new();
    /// <summary>Where each of <see cref="Volumes"/> is written (same order).</summary>
    public List<SourceSpan> VolumeSpans { get; } = new();
    public List<string> NetworkAliases { get; } = new();
    public List<(string Key, string Value, SourceSpan Span)> Env { get; } = new();
    public List<Located<string>> EnvFiles { get; } = new();
    public System.Text.Json.Nodes.JsonNode? Healthcheck { get; set; }
    public System.Text.Json.Nodes.JsonNode? Command { get; set; }
    public System.Text.Json.Nodes.JsonObject? Compose { get; set; }
    /// <summary>The risky-setting keys the service's <c>allow_privileged</c> lists (see <see cref="RiskySettings"/>).</summary>
    public HashSet<string> AllowPrivileged { get; set; } = new(StringComparer.Ordinal);
    public List<Located<string>> DependsOn { get; } = new();
    public Dictionary<string, DeploymentProfile> Profiles { get; } = new(StringComparer.Ordinal);
    public List<Located<string>> Dependencies { get; } = new();
}

public sealed class GroupOption
{
    public string Name { get; init; } = "";
    public SourceSpan Span { get; init; }
    public string? Description { get; set; }
    public List<ImpliesEntry> Implies { get; } = new();
    public List<Located<string>> Conflicts { get; } = new();
}

public sealed class GroupManifest
{
    public string Name { get; init; } = "";
    public string File { get; init; } = "";
    public ComponentKind Kind { get; init; }
    public string Strategy { get; set; } = "1-of-N";
    public List<Located<string>>? Default { get; set; }
    public SourceSpan DefaultSpan { get; set; }
    public string? Comment { get; set; }
    public List<GroupOption> Options { get; } = new();
    public bool IsMany => Strategy == "M-of-N";
}
