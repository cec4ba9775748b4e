using Hsm.Diagnostics;
using Hsm.Manifest;
using Hsm.Model;
using Hsm.Registry;

namespace Hsm.Resolution;

/// <summary>What HsmResolve needs from the build, as plain values.</summary>
public sealed class ResolveRequest
{
    public string ManifestPath { get; init; } = "";
    public string ProjectDirectory { get; init; } = "";
    /// <summary>The folder MSBuild property paths are relative to.</summary>
    public string PropertyBaseDirectory { get; init; } = "";
    /// <summary>HsmRegistryPath: ';'-separated, relative to PropertyBaseDirectory.</summary>
    public string? RegistryProperty { get; init; }
    /// <summary>HSM_REGISTRY_PATH: OS path separator, relative to ProjectDirectory.</summary>
    public string? RegistryEnvironment { get; init; }
    public string? ForcedMode { get; init; }
    /// <summary>HsmComponentMode items: component → dev|prod (already validated).</summary>
    public IReadOnlyDictionary<string, string> ComponentModes { get; init; } = new Dictionary<string, string>();
    public Dictionary<string, string> Settings { get; init; } = new();
    /// <summary>Parse every registry file (HsmCheck), not only those the stack needs.</summary>
    public bool ValidateWholeRegistry { get; init; }
    /// <summary>When set, receives the registry files the resolution parsed (absolute paths): the inputs of the next build.</summary>
    public List<string>? RegistryFilesRead { get; init; }
    /// <summary>When set, receives those of <see cref="RegistryFilesRead"/> that hold an <c>external</c> map with values.</summary>
    public List<string>? RegistryFilesWithExternalValues { get; init; }
}

public static class ResolvePipeline
{
    /// <summary>Normalises a Mode/HsmMode value (case-insensitive dev|prod); null when empty.</summary>
    public static string? ParseMode(string? value, string from, DiagnosticBag d)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var v = value.Trim().ToLowerInvariant();
        if (v is "dev" or "prod") return v;
        d.Error(Codes.InvalidModeProperty, SourceSpan.None, $"{from} is '{value}'; it must be Dev or Prod (any case).");
        return null;
    }

    /// <summary>
    /// Loads hsm.yaml and the registry and resolves the stack. Every problem becomes a diagnostic (all of
    /// them together); no exception escapes: a defect becomes HSM9001 instead of a stack trace.
    /// </summary>
    public static (ResolvedStack? Stack, IReadOnlyList<string> RegistryFolders) Run(ResolveRequest req, DiagnosticBag d)
    {
        var folders = new List<string>();
        try
        {
            return RunCore(req, d, folders);
        }
        catch (HsmException e)
        {
            d.Add(e.Diagnostic);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            d.Error(Codes.Internal, new SourceSpan(Paths.ProjectPaths.Key(req.ProjectDirectory, req.ManifestPath), 0, 0), $"Internal error while resolving the stack ({e.GetType().Name}: {e.Message}). Please report it with this message.");
        }
        return (null, folders);
    }

    private static (ResolvedStack? Stack, IReadOnlyList<string> RegistryFolders) RunCore(ResolveRequest req, DiagnosticBag d, List<string> foldersOut)
    {
        string label(string p) => Paths.ProjectPaths.Key(req.ProjectDirectory, p);
        var manifest = ManifestReader.Load(req.ManifestPath, label(req.ManifestPath), d);
        var folders = LocateRegistry(req, manifest, d);
        foldersOut.AddRange(folders);
        if (manifest is null) return (null, folders);
        // Without its registry every reference would fail: report the missing folder, not the cascade.
        if (d.Items.Any(x => x.Code == Codes.RegistryMissing)) return (null, folders);
        var registry = new RegistryLoader(folders, label, d);
        if (req.ValidateWholeRegistry) registry.LoadAll();
        var resolver = new Resolver(manifest, registry, new ResolveOptions
        {
            ProjectDirectory = req.ProjectDirectory,
            ForcedMode = req.ForcedMode,
            ComponentModes = req.ComponentModes,
            Label = label,
            RegistryFolders = folders,
            Settings = req.Settings,
        }, d);
        var stack = resolver.Resolve();
        req.RegistryFilesRead?.AddRange(registry.ParsedFiles);
        req.RegistryFilesWithExternalValues?.AddRange(registry.ParsedFilesWithExternalValues);
        stack.RegistryFolders = folders.Select(label).ToList();
        return (d.HasErrors ? null : stack, folders);
    }

    /// <summary>Registry folders, first that applies: HsmRegistryPath → HSM_REGISTRY_PATH → project.registry → hsm-registry.</summary>
    public static IReadOnlyList<string> LocateRegistry(ResolveRequest req, ProjectManifest? manifest, DiagnosticBag d)
    {
        List<(string Path, SourceSpan Span, string From)> list;
        if (!string.IsNullOrWhiteSpace(req.RegistryProperty))
            list = Split(req.RegistryProperty, ';').Select(p => (Path.GetFullPath(Path.Combine(req.PropertyBaseDirectory, p)), SourceSpan.None, "HsmRegistryPath")).ToList();
        else if (!string.IsNullOrWhiteSpace(req.RegistryEnvironment))
            list = Split(req.RegistryEnvironment, Path.PathSeparator).Select(p => (Path.GetFullPath(Path.Combine(req.ProjectDirectory, p)), SourceSpan.None, "HSM_REGISTRY_PATH")).ToList();
        else if (manifest != null && manifest.Registry.Count > 0)
            list = manifest.Registry.Select(r => (Path.GetFullPath(Path.Combine(req.ProjectDirectory, r.Value.Replace('\\', '/'))), r.Span, "project.registry")).ToList();
        else
        {
            var def = Path.Combine(req.ProjectDirectory, "hsm-registry");
            // The default folder may be absent when the manifest selects nothing (or cannot be read).
            bool needed = manifest != null && (manifest.LibraryGroups.Count + manifest.LibraryStandalone.Count + manifest.ServiceGroups.Count + manifest.ServiceStandalone.Count) > 0;
            if (!Directory.Exists(def) && !needed) return Array.Empty<string>();
            list = new() { (def, new SourceSpan(manifest?.File, 1, 1), "the default") };
        }

        var result = new List<string>();
        foreach (var (path, span, from) in list)
        {
            if (Directory.Exists(path)) { if (!result.Contains(path)) result.Add(path); }
            else d.Error(Codes.RegistryMissing, span, $"The registry folder '{Paths.ProjectPaths.Key(req.ProjectDirectory, path)}' (from {from}) does not exist.");
        }
        return result;
    }

    /// <summary>HsmComponentMode items as "name=mode" values: case-insensitive dev|prod, else HSM1026 naming the item.</summary>
    public static Dictionary<string, string> ParseComponentModes(IEnumerable<string>? items, DiagnosticBag d)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in items ?? Array.Empty<string>())
        {
            int eq = item.IndexOf('=');
            var name = (eq < 0 ? item : item[..eq]).Trim();
            var mode = ParseMode(eq < 0 ? "" : item[(eq + 1)..], $"The Mode of HsmComponentMode '{name}'", d);
            if (eq < 0 || string.IsNullOrWhiteSpace(item[(eq + 1)..]))
                d.Error(Codes.InvalidModeProperty, SourceSpan.None, $"HsmComponentMode '{name}' has no Mode; write <HsmComponentMode Include=\"{name}\" Mode=\"dev\" />.");
            else if (mode != null) result[name] = mode;
        }
        return result;
    }

    private static IEnumerable<string> Split(string value, char sep) =>
        value.Split(sep, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
