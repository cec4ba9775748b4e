using Hsm.Diagnostics;
using Hsm.Manifest;
using Hsm.Yaml;

namespace Hsm.Registry;

/// <summary>
/// The registry (design §3): an index of file names built by listing the registry folders (no file is
/// parsed for it), and manifests parsed on demand, each at most once. The first folder that defines
/// a name wins; a name defined twice in one folder is an error.
/// </summary>
public sealed class RegistryLoader
{
    private static readonly string[] Subfolders = { "libraries", "services", "library_groups", "service_groups" };

    private readonly DiagnosticBag _d;
    private readonly Func<string, string> _label;
    // Path of each registry file by (kind, normalised name); its label is made when a file is parsed or named in a
    // diagnostic, not for every file of the listing (11,007 at N = 10,000, of which the stack parses about half).
    private readonly Dictionary<(ComponentKind, string), string> _index = new();
    private readonly Dictionary<(ComponentKind, string), object?> _parsed = new();

    public IReadOnlyList<string> Folders { get; }
    public IEnumerable<(ComponentKind Kind, string Name)> Names => _index.Keys;

    /// <param name="folders">Registry folders (absolute), in search order.</param>
    /// <param name="label">Maps an absolute path to the label used in diagnostics (project-relative).</param>
    public RegistryLoader(IReadOnlyList<string> folders, Func<string, string> label, DiagnosticBag diagnostics)
    {
        Folders = folders; _label = label; _d = diagnostics;
        foreach (var folder in folders) IndexFolder(folder);
        // Libraries and services share one namespace (a modes/conflicts key must be unambiguous).
        // (Loops over the index: LINQ over its (kind, name) entries costs JIT-compiled value-type instantiations per build.)
        var services = new List<string>();
        foreach (var key in _index.Keys) if (key.Item1 == ComponentKind.Service) services.Add(key.Item2);
        services.Sort(StringComparer.Ordinal);
        foreach (var name in services)
            if (_index.TryGetValue((ComponentKind.Library, NormalizeName(ComponentKind.Library, name)), out var lib))
            {
                var svc = _index[(ComponentKind.Service, name)];
                _d.Error(Codes.NameClash, new SourceSpan(_label(svc), 1, 1), $"'{name}' is defined both as a library ('{_label(lib)}') and as a service ('{_label(svc)}'); libraries and services share one namespace. Rename one.");
            }
    }

    public static string NormalizeName(ComponentKind kind, string name)
    {
        // Library names are distribution names (PEP 503); other kinds only fold case.
        return kind == ComponentKind.Library ? Grammars.Pep503Name(name) : name.ToLowerInvariant();
    }

    public static bool IsValidName(string name) => ComponentName.IsValid(name);

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
            // Every entry, not only files: a directory (or FIFO) named x.yaml is reported when it is loaded, never skipped or opened.
            foreach (var file in Directory.EnumerateFileSystemEntries(dir).OrderBy(f => f, StringComparer.Ordinal))
            {
                var fileName = Path.GetFileName(file);
                if (fileName.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                {
                    _d.Warning(Codes.YmlIgnored, new SourceSpan(_label(file), 1, 1), $"'{_label(file)}' is ignored: registry manifests must end in '.yaml'.");
                    continue;
                }
                if (!fileName.EndsWith(".yaml", StringComparison.Ordinal)) continue;
                var stem = fileName[..^5];
                if (stem.Equals("hsm", StringComparison.OrdinalIgnoreCase))
                {
                    _d.Error(Codes.InvalidName, new SourceSpan(_label(file), 1, 1), $"'hsm' is a reserved name; rename '{fileName}'.");
                    continue;
                }
                if (!IsValidName(stem))
                {
                    _d.Error(Codes.InvalidName, new SourceSpan(_label(file), 1, 1), $"Registry file name '{fileName}' is not a valid component name (letters, digits, '.', '_', '-'; at most 63; starting with a letter or digit).");
                    continue;
                }
                if (ComponentName.IsWindowsReserved(stem))
                    _d.Warning(Codes.WindowsReservedName, new SourceSpan(_label(file), 1, 1), $"'{stem}' is a name Windows reserves for a device ({stem.Split('.')[0].ToUpperInvariant()}): '{fileName}' cannot be checked out on Windows (git fails there). Rename the component if the project is used on Windows.");
                var key = (kind, NormalizeName(kind, stem));
                if (seenHere.TryGetValue(key, out var other))
                {
                    _d.Error(Codes.DuplicateDefinition, new SourceSpan(_label(file), 1, 1), $"'{key.Item2}' is defined twice in one registry folder: '{_label(other)}' and '{_label(file)}'.");
                    continue;
                }
                seenHere[key] = file;
                _index.TryAdd(key, file);
            }
        }
    }

    /// <summary>
    /// The files parsed so far (absolute paths, ordinal order): with the registry folders' listings, the
    /// only registry inputs of the resolution (HsmResolve writes them to obj/hsm/registry-files.txt).
    /// </summary>
    public IReadOnlyList<string> ParsedFiles =>
        _parsed.Keys.Where(_index.ContainsKey).Select(k => _index[k]).OrderBy(p => p, StringComparer.Ordinal).ToList();

    /// <summary>The parsed files that hold an <c>external</c> map with values (which may be credentials, design §9).</summary>
    public IReadOnlyList<string> ParsedFilesWithExternalValues =>
        _parsed.Where(kv => kv.Value is ServiceManifest sm && sm.Profiles.Values.Any(p => p.External.Count > 0) && _index.ContainsKey(kv.Key))
            .Select(kv => _index[kv.Key]).OrderBy(p => p, StringComparer.Ordinal).ToList();

    public bool Exists(ComponentKind kind, string name) => _index.ContainsKey((kind, NormalizeName(kind, name)));

    public IEnumerable<string> NamesOf(ComponentKind kind) => _index.Keys.Where(k => k.Item1 == kind).Select(k => k.Item2).OrderBy(x => x, StringComparer.Ordinal);


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
        if (_index.TryGetValue(key, out var path))
        {
            var entry = (Path: path, Label: _label(path));
            var root = SafeYamlLoader.LoadFile(entry.Path, entry.Label, _d);
            var stem = Path.GetFileName(entry.Path)[..^5];
            if (root is null)
            {
                if (!_d.Items.Any(x => x.Span.File == entry.Label && x.Severity == Severity.Error))
                    _d.Error(Codes.EmptyDocument, new SourceSpan(entry.Label, 1, 1), $"'{entry.Label}' is empty.");
            }
            else
            {
                int before = _d.ErrorCount;
                result = ManifestParser.Parse(kind, stem.ToLowerInvariant(), root, entry.Label, _d);
                if (result is ComponentManifest cm && _d.ErrorCount > before) cm.HadErrors = true;
            }
        }
        _parsed[key] = result;
        if (result != null) Validate(result);
        return result;
    }

    public static ComponentKind MemberKind(ComponentKind groupKind) => groupKind == ComponentKind.LibraryGroup ? ComponentKind.Library : ComponentKind.Service;

    public static string KindWord(ComponentKind k) => k switch
    {
        ComponentKind.Library => "library",
        ComponentKind.Service => "service",
        ComponentKind.LibraryGroup => "library group",
        _ => "service group",
    };

    /// <summary>
    /// Checks the references of one parsed file against the registry (design §3.3: options name existing
    /// components; implies targets exist and name options of their group; defaults are options). Runs
    /// once per file, when it is loaded, so every problem is reported once at its node.
    /// </summary>
    private void Validate(object parsed)
    {
        switch (parsed)
        {
            case GroupManifest g:
            {
                var member = MemberKind(g.Kind);
                foreach (var o in g.Options)
                {
                    if (!Exists(member, o.Name))
                    {
                        var other = member == ComponentKind.Library ? ComponentKind.Service : ComponentKind.Library;
                        var hint = Exists(other, o.Name) ? $" '{o.Name}' is a {KindWord(other)}; a {KindWord(g.Kind)} lists {KindWord(member)} names." : Suggest.DidYouMean(o.Name, NamesOf(member));
                        _d.Error(Codes.BadGroupOption, o.Span, $"Option '{o.Name}' of group '{g.Name}' names no {KindWord(member)} in the registry ({FolderOf(member)}/{o.Name}.yaml).{hint}");
                    }
                    foreach (var e in o.Implies) ValidateImplies(e);
                    foreach (var c in o.Conflicts) ValidateConflict(c);
                }
                if (g.Default != null)
                {
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var d in g.Default)
                    {
                        if (!g.Options.Any(o => NormalizeName(member, o.Name) == NormalizeName(member, d.Value)))
                            _d.Error(Codes.BadSelection, d.Span, $"Default '{d.Value}' of group '{g.Name}' is not one of its options ({string.Join(", ", g.Options.Select(o => o.Name))}).{Suggest.DidYouMean(d.Value, g.Options.Select(o => o.Name))}");
                        else if (!seen.Add(NormalizeName(member, d.Value)))
                            _d.Error(Codes.BadSelection, d.Span, $"Default '{d.Value}' of group '{g.Name}' is listed twice.");
                    }
                }
                break;
            }
            case ComponentManifest c:
                foreach (var e in c.Implies) ValidateImplies(e);
                foreach (var x in c.Conflicts) ValidateConflict(x);
                if (c is ServiceManifest s)
                    foreach (var dep in s.DependsOn)
                        if (!Exists(ComponentKind.Service, dep.Value))
                            _d.Error(Codes.UnknownReference, dep.Span, $"'depends_on: {dep.Value}' names no service in the registry.{Suggest.DidYouMean(dep.Value, NamesOf(ComponentKind.Service))}");
                break;
        }
    }

    private void ValidateConflict(Located<string> c)
    {
        if (!Exists(ComponentKind.Library, c.Value) && !Exists(ComponentKind.Service, c.Value))
            _d.Warning(Codes.UnknownReference, c.Span, $"'conflicts: {c.Value}' names no library or service in the registry.{Suggest.DidYouMean(c.Value, NamesOf(ComponentKind.Library).Concat(NamesOf(ComponentKind.Service)))}");
    }

    private void ValidateImplies(ImpliesEntry e)
    {
        if (e.TargetKind == "service")
        {
            if (!Exists(ComponentKind.Service, e.Target))
                _d.Error(Codes.UnknownReference, e.Span, $"Implies target 'service:{e.Target}' names no service in the registry.{Suggest.DidYouMean(e.Target, NamesOf(ComponentKind.Service))}");
            return;
        }
        var kind = e.TargetKind == "library_group" ? ComponentKind.LibraryGroup : ComponentKind.ServiceGroup;
        if (!Exists(kind, e.Target))
        {
            var other = kind == ComponentKind.LibraryGroup ? ComponentKind.ServiceGroup : ComponentKind.LibraryGroup;
            var hint = Exists(other, e.Target) ? $" '{e.Target}' is a {KindWord(other)}: write '{(other == ComponentKind.LibraryGroup ? "library_group" : "service_group")}:{e.Target}'." : Suggest.DidYouMean(e.Target, NamesOf(kind));
            _d.Error(Codes.UnknownReference, e.Span, $"Implies target '{e.TargetKind}:{e.Target}' names no {KindWord(kind)} in the registry.{hint}");
            return;
        }
        var g = Group(kind, e.Target);
        if (g is null) return;
        var member = MemberKind(kind);
        foreach (var o in e.Options)
            if (!g.Options.Any(x => NormalizeName(member, x.Name) == NormalizeName(member, o.Value)))
                _d.Error(Codes.UnknownReference, o.Span, $"'{o.Value}' (implied by '{e.TargetKind}:{e.Target}') is not an option of group '{g.Name}' ({string.Join(", ", g.Options.Select(x => x.Name))}).{Suggest.DidYouMean(o.Value, g.Options.Select(x => x.Name))}");
        if (!g.IsMany && e.Options.Count > 1)
            _d.Error(Codes.BadSelection, e.Span, $"Implies '{e.TargetKind}:{e.Target}' selects {e.Options.Count} options, but group '{g.Name}' is 1-of-N.");
    }
}
