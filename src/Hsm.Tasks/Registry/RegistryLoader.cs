using System.Text.RegularExpressions;
using Hsm.Diagnostics;
using Hsm.Manifest;
using Hsm.Yaml;

namespace Hsm.Registry;

/// <summary>
/// The registry (spec §3): an index of file names built by listing the registry folders (no file is
/// parsed for it), and manifests parsed on demand, each at most once. The first folder that defines
/// a name wins; a name defined twice in one folder is an error.
/// </summary>
public sealed class RegistryLoader
{
    public static readonly Regex NamePattern = new("^[a-z0-9][a-z0-9._-]{0,62}$", RegexOptions.CultureInvariant);
    private static readonly string[] Subfolders = { "libraries", "services", "library_groups", "service_groups" };

    private readonly DiagnosticBag _d;
    private readonly Func<string, string> _label;
    private readonly Dictionary<(ComponentKind, string), (string Path, string Label)> _index = new();
    private readonly Dictionary<(ComponentKind, string), object?> _parsed = new();

    public IReadOnlyList<string> Folders { get; }
    public IEnumerable<(ComponentKind Kind, string Name)> Names => _index.Keys;

    /// <param name="folders">Registry folders (absolute), in search order.</param>
    /// <param name="label">Maps an absolute path to the label used in diagnostics (project-relative).</param>
    public RegistryLoader(IReadOnlyList<string> folders, Func<string, string> label, DiagnosticBag diagnostics)
    {
        Folders = folders; _label = label; _d = diagnostics;
        foreach (var folder in folders) IndexFolder(folder);
    }

    /// <summary>Every *.yaml file of the registry folders (the inputs of HsmResolve).</summary>
    public static IEnumerable<string> AllFiles(IEnumerable<string> folders) =>
        folders.Where(Directory.Exists).SelectMany(f => Subfolders.Select(s => Path.Combine(f, s)))
            .Where(Directory.Exists).SelectMany(d => Directory.EnumerateFiles(d, "*.yaml"));

    public static string NormalizeName(ComponentKind kind, string name)
    {
        var n = name.ToLowerInvariant();
        if (kind != ComponentKind.Library) return n;
        // Fast path (the common case, called for every lookup): nothing for PEP 503 to change.
        if (n.IndexOfAny(PepSeparators) < 0 && !n.Contains("--", StringComparison.Ordinal)) return n;
        return Regex.Replace(n, "[-_.]+", "-");
    }

    private static readonly char[] PepSeparators = { '_', '.' };

    public static bool IsValidName(string name) => NamePattern.IsMatch(name.ToLowerInvariant());

    private static ComponentKind KindOf(string sub) => sub switch
    {
        "libraries" => ComponentKind.Library,
        "services" => ComponentKind.Service,
        "library_groups" => ComponentKind.LibraryGroup,
        _ => ComponentKind.ServiceGroup,
    };

    public static string FolderOf(ComponentKind kind) => kind switch
    {
        ComponentKind.Library => "libraries",
        ComponentKind.Service => "services",
        ComponentKind.LibraryGroup => "library_groups",
        _ => "service_groups",
    };

    private void IndexFolder(string folder)
    {
        var seenHere = new Dictionary<(ComponentKind, string), string>();
        foreach (var sub in Subfolders)
        {
            var dir = Path.Combine(folder, sub);
            if (!Directory.Exists(dir)) continue;
            var kind = KindOf(sub);
            foreach (var file in Directory.EnumerateFiles(dir).OrderBy(f => f, StringComparer.Ordinal))
            {
                var fileName = Path.GetFileName(file);
                if (fileName.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                {
                    _d.Warning(Codes.YmlIgnored, new SourceSpan(_label(file), 0, 0), $"'{_label(file)}' is ignored: registry manifests must end in '.yaml'.");
                    continue;
                }
                if (!fileName.EndsWith(".yaml", StringComparison.Ordinal)) continue;
                var stem = fileName[..^5];
                if (!IsValidName(stem))
                {
                    _d.Error(Codes.InvalidName, new SourceSpan(_label(file), 0, 0), $"Registry file name '{fileName}' is not a valid component name (letters, digits, '.', '_', '-'; at most 63; starting with a letter or digit).");
                    continue;
                }
                var key = (kind, NormalizeName(kind, stem));
                if (seenHere.TryGetValue(key, out var other))
                {
                    _d.Error(Codes.DuplicateDefinition, new SourceSpan(_label(file), 0, 0), $"'{key.Item2}' is defined twice in one registry folder: '{_label(other)}' and '{_label(file)}'.");
                    continue;
                }
                seenHere[key] = file;
                _index.TryAdd(key, (file, _label(file)));
            }
        }
    }

    /// <summary>
    /// The files parsed so far (absolute paths, ordinal order): with the registry folders' listings, the
    /// only registry inputs of the resolution (HsmResolve writes them to obj/hsm/registry-files.txt).
    /// </summary>
    public IReadOnlyList<string> ParsedFiles =>
        _parsed.Keys.Where(_index.ContainsKey).Select(k => _index[k].Path).OrderBy(p => p, StringComparer.Ordinal).ToList();

    public bool Exists(ComponentKind kind, string name) => _index.ContainsKey((kind, NormalizeName(kind, name)));

    public IEnumerable<string> NamesOf(ComponentKind kind) => _index.Keys.Where(k => k.Item1 == kind).Select(k => k.Item2).OrderBy(x => x, StringComparer.Ordinal);

    public string? LabelOf(ComponentKind kind, string name) => _index.TryGetValue((kind, NormalizeName(kind, name)), out var e) ? e.Label : null;

    public LibraryManifest? Library(string name) => Get(ComponentKind.Library, name) as LibraryManifest;
    public ServiceManifest? Service(string name) => Get(ComponentKind.Service, name) as ServiceManifest;
    public GroupManifest? Group(ComponentKind kind, string name) => Get(kind, name) as GroupManifest;

    /// <summary>Parses every file of the index (HsmCheck validates the whole registry).</summary>
    public void LoadAll()
    {
        foreach (var key in _index.Keys.ToList()) Get(key.Item1, key.Item2);
    }

    private object? Get(ComponentKind kind, string name)
    {
        var key = (kind, NormalizeName(kind, name));
        if (_parsed.TryGetValue(key, out var cached)) return cached;
        object? result = null;
        if (_index.TryGetValue(key, out var entry))
        {
            var root = SafeYamlLoader.LoadFile(entry.Path, entry.Label, _d);
            var stem = Path.GetFileName(entry.Path)[..^5];
            if (root is null)
            {
                if (!_d.Items.Any(x => x.Span.File == entry.Label && x.Severity == Severity.Error))
                    _d.Error(Codes.EmptyDocument, new SourceSpan(entry.Label, 1, 1), $"'{entry.Label}' is empty.");
            }
            else result = ManifestParser.Parse(kind, stem.ToLowerInvariant(), root, entry.Label, _d);
        }
        _parsed[key] = result;
        return result;
    }
}
