using System.Text.RegularExpressions;
using Hsm.Diagnostics;
using Hsm.Paths;
using Hsm.Manifest;
using Hsm.Model;
using Hsm.Registry;
using Hsm.Yaml;

namespace Hsm.Resolution;

public sealed class ResolveOptions
{
    /// <summary>Absolute project directory (the folder of hsm.yaml).</summary>
    public string ProjectDirectory { get; init; } = "";
    /// <summary>dev | prod | null: the Mode/HsmMode property forcing the whole stack.</summary>
    public string? ForcedMode { get; init; }
    /// <summary>HsmComponentMode items (a developer's local overrides, e.g. from hsm.proj.user): name → dev|prod. After ForcedMode, before hsm.yaml.</summary>
    public IReadOnlyDictionary<string, string> ComponentModes { get; init; } = new Dictionary<string, string>();
    /// <summary>Maps an absolute path to the label used in diagnostics.</summary>
    public Func<string, string> Label { get; init; } = p => p;
    /// <summary>The registry folders (absolute): an env_file inside one of them is not from elsewhere.</summary>
    public IReadOnlyList<string> RegistryFolders { get; init; } = Array.Empty<string>();
    /// <summary>Build settings recorded in resolved.json (so a change re-stages).</summary>
    public Dictionary<string, string> Settings { get; init; } = new();
}

/// <summary>
/// Resolution (design §4): explicit selections, implies evaluated to a fixed point (from group options
/// and from the selected components' own implies), then group defaults for groups still empty (and
/// their implies), conflicts, modes, sources and profiles. Deterministic: the result does not depend
/// on the order of declarations.
/// </summary>
public sealed partial class Resolver
{
    /// <param name="Root">For an implied selection: the hsm.yaml position that selected the component whose implies chain led here.</param>
    private sealed record OriginAt(Origin Origin, SourceSpan Span, SourceSpan? Root = null);

    /// <summary>The hsm.yaml position behind an origin: its own (a selection or standalone entry), or the root of an implies chain.</summary>
    private static SourceSpan? ManifestRoot(OriginAt o) => o.Root ?? (o.Origin.Rule is "selection" or "standalone" && o.Span.File != null ? o.Span : null);

    private sealed class Comp
    {
        public string Name = "";
        public ComponentKind Kind;
        public ComponentManifest Manifest = null!;
        public string? Group;
        public GroupOption? Option;
        /// <summary>Every (group, option) that selected it: a component may be an option of several groups.</summary>
        public List<(string Group, GroupOption Option)> Options = new();
        public List<OriginAt> Origins = new();
        public StandaloneEntry? Standalone;
    }

    private sealed class GroupState
    {
        public GroupManifest Manifest = null!;
        public GroupSelection? Entry;
        public readonly List<(string Option, OriginAt Origin)> Selected = new();
    }

    private readonly ProjectManifest _m;
    private readonly RegistryLoader _r;
    private readonly ResolveOptions _o;
    private readonly DiagnosticBag _d;
    private readonly Dictionary<string, Comp> _libs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Comp> _svcs = new(StringComparer.Ordinal);
    private readonly Dictionary<(ComponentKind, string), GroupState?> _groups = new();
    private readonly Dictionary<string, Dictionary<string, SortedSet<string>>> _params = new(StringComparer.Ordinal);
    /// <summary>Services whose params may be incomplete because an implies entry could not be read.</summary>
    private readonly HashSet<string> _brokenParams = new(StringComparer.Ordinal);
    /// <summary>Components whose implies are not evaluated yet, in evaluation order (kind, then name).</summary>
    private readonly SortedSet<Comp> _pendingImplies = new(Comparer<Comp>.Create((a, b) =>
        a.Kind != b.Kind ? a.Kind.CompareTo(b.Kind) : string.CompareOrdinal(a.Name, b.Name)));

    public Resolver(ProjectManifest manifest, RegistryLoader registry, ResolveOptions options, DiagnosticBag diagnostics)
    {
        _m = manifest; _r = registry; _o = options; _d = diagnostics;
    }

    public ResolvedStack Resolve()
    {
        // 1. explicit selections
        foreach (var g in _m.LibraryGroups) ExplicitGroup(g, ComponentKind.LibraryGroup);
        foreach (var g in _m.ServiceGroups) ExplicitGroup(g, ComponentKind.ServiceGroup);
        foreach (var s in _m.LibraryStandalone) Standalone(s, ComponentKind.Library);
        foreach (var s in _m.ServiceStandalone) Standalone(s, ComponentKind.Service);

        // 2. implies to a fixed point; then defaults of groups still empty, and their implies
        RunImplies();
        foreach (var entry in _m.LibraryGroups.Select(g => (g, ComponentKind.LibraryGroup)).Concat(_m.ServiceGroups.Select(g => (g, ComponentKind.ServiceGroup))))
            ApplyDefault(entry.g, entry.Item2);
        RunImplies();

        // 3. conflicts
        CheckConflicts();
        CheckModesKeys();

        // 4. the stack
        var stack = new ResolvedStack
        {
            ProjectName = _m.Name.Value ?? "",
            ProjectVersion = _m.Version,
            ContainerEngine = _m.ContainerEngine,
            Settings = new Dictionary<string, string>(_o.Settings, StringComparer.Ordinal),
        };
        var extra = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var c in _libs.Values.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            var lib = BuildLibrary(c, extra);
            if (lib != null) stack.Libraries.Add(lib);
        }
        foreach (var c in _svcs.Values.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            var svc = BuildService(c, extra);
            if (svc != null) stack.Services.Add(svc);
        }
        foreach (var svc in stack.Services.Where(s => s.Runtime == "uv" && s.ProfileMode == "managed"))
            ResolveDependencyLibraries(svc, stack, extra);
        foreach (var ((kind, name), gs) in _groups.OrderBy(k => k.Key.Item1).ThenBy(k => k.Key.Item2, StringComparer.Ordinal))
        {
            if (gs is null) continue;
            stack.Groups.Add(new ResolvedGroup
            {
                Name = name,
                Kind = kind == ComponentKind.LibraryGroup ? "library" : "service",
                Strategy = gs.Manifest.Strategy,
                Selection = gs.Selected.Select(s => s.Option).Distinct().OrderBy(x => x, StringComparer.Ordinal).ToList(),
                Comment = gs.Manifest.Comment,
            });
        }
        stack.ExtraInputs = extra.ToList();
        return stack;
    }

    // ---------- selection ----------

    private static ComponentKind MemberKind(ComponentKind groupKind) => RegistryLoader.MemberKind(groupKind);
    private static string KindWord(ComponentKind k) => RegistryLoader.KindWord(k);

    private GroupState? GetGroup(ComponentKind kind, string name, SourceSpan at, bool report = true)
    {
        var key = (kind, name.ToLowerInvariant());
        if (_groups.TryGetValue(key, out var existing)) return existing;
        var gm = _r.Group(kind, name);
        GroupState? gs = null;
        if (gm is null)
        {
            if (!_r.Exists(kind, name) && report)
            {
                var other = kind == ComponentKind.LibraryGroup ? ComponentKind.ServiceGroup : ComponentKind.LibraryGroup;
                var hint = _r.Exists(other, name) ? $" '{name}' is a {KindWord(other)}: move it to the other section." : Suggest.DidYouMean(name, _r.NamesOf(kind));
                _d.Error(Codes.UnknownReference, at, $"No {KindWord(kind)} '{name}' in the registry ({RegistryLoader.FolderOf(kind)}/{name}.yaml).{hint}");
            }
        }
        else gs = new GroupState { Manifest = gm };
        _groups[key] = gs;
        return gs;
    }

    private static bool SameName(ComponentKind kind, string a, string b) => RegistryLoader.NormalizeName(kind, a) == RegistryLoader.NormalizeName(kind, b);

    private void ExplicitGroup(GroupSelection g, ComponentKind kind)
    {
        var gs = GetGroup(kind, g.Name, g.Span);
        if (gs is null) return;
        gs.Entry = g;
        var gm = gs.Manifest;
        if (g.Strategy is { } st && st.Value != gm.Strategy)
            _d.Error(Codes.StrategyMismatch, st.Span, $"Group '{g.Name}' is {gm.Strategy} in the registry ({gm.File}), not {st.Value}.");
        if (g.Selection is null) return;
        if (!gm.IsMany && g.Selection.Count > 1)
        {
            _d.Error(Codes.BadSelection, g.SelectionSpan, $"Group '{g.Name}' is 1-of-N: select one option, not {g.Selection.Count}.");
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sel in g.Selection)
        {
            if (!seen.Add(RegistryLoader.NormalizeName(MemberKind(kind), sel.Value)))
            {
                _d.Error(Codes.BadSelection, sel.Span, $"'{sel.Value}' is selected twice in group '{g.Name}'.");
                continue;
            }
            Select(gs, sel.Value, new OriginAt(new Origin { Rule = "selection", Path = g.SelectionPath }, sel.Span), sel.Span);
        }
    }

    private void ApplyDefault(GroupSelection g, ComponentKind kind)
    {
        var gs = _groups.GetValueOrDefault((kind, g.Name.ToLowerInvariant()));
        if (gs is null || g.Selection != null || gs.Selected.Count > 0) return;
        if (gs.Manifest.Default is null || gs.Manifest.Default.Count == 0)
        {
            _d.Message(Codes.EmptyGroup, g.Span, $"Group '{g.Name}' has no selection and no default, and nothing implies an option of it: nothing is selected from it.");
            return;
        }
        foreach (var d in gs.Manifest.Default)
            Select(gs, d.Value, new OriginAt(new Origin { Rule = "default", Path = $"{RegistryLoader.FolderOf(kind)}/{gs.Manifest.Name}.yaml default" }, d.Span), d.Span);
    }

    /// <summary>Selects an option of a group, checking 1-of-N exclusivity.</summary>
    private void Select(GroupState gs, string option, OriginAt origin, SourceSpan at, bool report = true)
    {
        var gm = gs.Manifest;
        var member = MemberKind(gm.Kind);
        var opt = gm.Options.FirstOrDefault(o => SameName(member, o.Name, option));
        if (opt is null)
        {
            if (!report) return; // reported when the registry file was loaded
            _d.Error(Codes.UnknownReference, at, $"'{option}' is not an option of group '{gm.Name}' (options: {string.Join(", ", gm.Options.Select(o => o.Name))}).{Suggest.DidYouMean(option, gm.Options.Select(o => o.Name))}");
            return;
        }
        var existing = gs.Selected.FirstOrDefault(s => SameName(member, s.Option, opt.Name));
        if (existing.Option != null)
        {
            AddOrigin(member, opt.Name, origin);
            return;
        }
        if (!gm.IsMany && gs.Selected.Count > 0)
        {
            var (other, otherOrigin) = gs.Selected[0];
            var message = $"Group '{gm.Name}' is 1-of-N but two options are selected: '{other}' ({Describe(otherOrigin)}) and '{opt.Name}' ({Describe(origin)}).";
            _d.Error(Codes.ImpliedConflict, at, message);
            // An implied option: also at the hsm.yaml line whose selection implied it, where the user decides.
            if (origin.Root is { } root && root != at)
                _d.Error(Codes.ImpliedConflict, root, $"This selection implies '{opt.Name}' ({origin.Origin.Path} at {at}), but group '{gm.Name}' is 1-of-N and '{other}' is already selected ({Describe(otherOrigin)}).");
            return;
        }
        gs.Selected.Add((opt.Name, origin));
        AddComponent(member, opt.Name, origin, gm.Name, opt, null);
    }

    private static string Describe(OriginAt o) => o.Span.File is null ? o.Origin.Path : $"{o.Origin.Path} at {o.Span}";

    private void Standalone(StandaloneEntry s, ComponentKind kind)
    {
        var origin = new OriginAt(new Origin { Rule = "standalone", Path = s.Path }, s.Span);
        if (!_r.Exists(kind, s.Name))
        {
            var other = kind == ComponentKind.Library ? ComponentKind.Service : ComponentKind.Library;
            var hint = _r.Exists(other, s.Name) ? $" '{s.Name}' is a {KindWord(other)}: list it under '{(other == ComponentKind.Library ? "libraries" : "services")}.standalone'." : Suggest.DidYouMean(s.Name, _r.NamesOf(kind));
            _d.Error(Codes.UnknownReference, s.Span, $"No {KindWord(kind)} '{s.Name}' in the registry ({RegistryLoader.FolderOf(kind)}/{s.Name}.yaml).{hint}");
            return;
        }
        var table = kind == ComponentKind.Library ? _libs : _svcs;
        var key = RegistryLoader.NormalizeName(kind, s.Name);
        if (table.TryGetValue(key, out var existing) && existing.Standalone != null)
        {
            _d.Error(Codes.DuplicateKey, s.Span, $"'{s.Name}' is listed twice as a standalone {KindWord(kind)}.");
            return;
        }
        AddComponent(kind, s.Name, origin, null, null, s);
    }

    private void AddOrigin(ComponentKind kind, string name, OriginAt origin)
    {
        var table = kind == ComponentKind.Library ? _libs : _svcs;
        if (table.TryGetValue(RegistryLoader.NormalizeName(kind, name), out var c) && !c.Origins.Any(o => o.Origin.Path == origin.Origin.Path))
            c.Origins.Add(origin);
    }

    private void AddComponent(ComponentKind kind, string name, OriginAt origin, string? group, GroupOption? option, StandaloneEntry? standalone)
    {
        var table = kind == ComponentKind.Library ? _libs : _svcs;
        var key = RegistryLoader.NormalizeName(kind, name);
        if (table.TryGetValue(key, out var c))
        {
            if (!c.Origins.Any(o => o.Origin.Path == origin.Origin.Path)) c.Origins.Add(origin);
            // a component that is an option of two groups is reported under the ordinally first
            // (order-independent); the implies of every option that selected it apply
            if (group != null && (c.Group is null || string.CompareOrdinal(group, c.Group) < 0)) { c.Group = group; c.Option = option; }
            if (group != null && option != null && !c.Options.Any(o => o.Group == group))
            {
                c.Options.Add((group, option));
                _pendingImplies.Add(c);
            }
            c.Standalone ??= standalone;
            return;
        }
        ComponentManifest? manifest = kind == ComponentKind.Library ? _r.Library(name) : _r.Service(name);
        if (manifest is null) return; // unreadable file: its diagnostics are already reported
        var comp = new Comp { Name = manifest.Name, Kind = kind, Manifest = manifest, Group = group, Option = option, Standalone = standalone, Origins = { origin } };
        if (group != null && option != null) comp.Options.Add((group, option));
        table[key] = comp;
        _pendingImplies.Add(comp);
    }

    // ---------- implies ----------

    private void RunImplies()
    {
        for (int guard = 0; guard < 100_000; guard++)
        {
            // The first pending component by (kind, name): a sorted work set, not a scan of every component (O(n log n)).
            var next = _pendingImplies.Min;
            if (next is null) return;
            _pendingImplies.Remove(next);
            var from = new Origin { Rule = "implies", Path = $"implies from {KindWord(next.Kind)} {next.Name}" };
            var root = next.Origins.Select(ManifestRoot).FirstOrDefault(r => r != null);
            foreach (var e in next.Manifest.Implies) ApplyImplies(e, from, root);
            foreach (var (group, option) in next.Options.OrderBy(o => o.Group, StringComparer.Ordinal).ToList())
            {
                var optFrom = new Origin { Rule = "implies", Path = $"implies from {KindWord(next.Kind)} group {group} option {option.Name}" };
                foreach (var e in option.Implies) ApplyImplies(e, optFrom, root);
            }
        }
    }

    private void ApplyImplies(ImpliesEntry e, Origin from, SourceSpan? root)
    {
        var origin = new OriginAt(from, e.Span, root);
        if (e.TargetKind == "service")
        {
            if (!_r.Exists(ComponentKind.Service, e.Target)) return; // reported when the registry file was loaded
            AddComponent(ComponentKind.Service, e.Target, origin, null, null, null);
            var key = RegistryLoader.NormalizeName(ComponentKind.Service, e.Target);
            if (!_params.TryGetValue(key, out var ps)) _params[key] = ps = new(StringComparer.Ordinal);
            if (e.Broken) _brokenParams.Add(key);
            foreach (var (k, v, _) in e.Params)
            {
                if (!ps.TryGetValue(k, out var set)) ps[k] = set = new SortedSet<string>(StringComparer.Ordinal);
                set.Add(v);
            }
            return;
        }
        var kind = e.TargetKind == "library_group" ? ComponentKind.LibraryGroup : ComponentKind.ServiceGroup;
        var gs = GetGroup(kind, e.Target, e.Span, report: false);
        if (gs is null) return;
        if (!gs.Manifest.IsMany && e.Options.Count > 1) return; // reported when the registry file was loaded
        foreach (var opt in e.Options) Select(gs, opt.Value, origin, opt.Span, report: false);
    }

    // ---------- checks ----------

    private void CheckConflicts()
    {
        var all = _libs.Values.Concat(_svcs.Values).ToList();
        var reported = new HashSet<(string, string)>();
        foreach (var c in all.OrderBy(x => x.Kind).ThenBy(x => x.Name, StringComparer.Ordinal))
        {
            var conflicts = c.Manifest.Conflicts.Concat(c.Options.SelectMany(o => o.Option.Conflicts));
            foreach (var other in conflicts)
            {
                // Tables are keyed by normalised name: a lookup, not a scan of the stack (libraries first, as before).
                var o = _libs.GetValueOrDefault(RegistryLoader.NormalizeName(ComponentKind.Library, other.Value))
                    ?? _svcs.GetValueOrDefault(RegistryLoader.NormalizeName(ComponentKind.Service, other.Value));
                if (o is null || o == c) continue;
                var pair = string.CompareOrdinal(c.Name, o.Name) < 0 ? (c.Name, o.Name) : (o.Name, c.Name);
                if (!reported.Add(pair)) continue;
                _d.Error(Codes.ComponentConflict, other.Span,
                    $"'{c.Name}' conflicts with '{o.Name}', and both are selected: '{c.Name}' by {Describe(FirstOrigin(c))}, '{o.Name}' by {Describe(FirstOrigin(o))}.");
            }
        }
    }

    private static OriginAt FirstOrigin(Comp c) => c.Origins.OrderBy(o => o.Origin.Path, StringComparer.Ordinal).First();

    private void CheckModesKeys()
    {
        foreach (var name in _o.ComponentModes.Keys)
            if (!_r.Exists(ComponentKind.Library, name) && !_r.Exists(ComponentKind.Service, name))
                _d.Warning(Codes.UnknownReference, SourceSpan.None, $"HsmComponentMode '{name}' names no library or service in the registry.{Suggest.DidYouMean(name, _r.NamesOf(ComponentKind.Library).Concat(_r.NamesOf(ComponentKind.Service)))}");
        foreach (var (name, mode) in _m.Modes)
        {
            if (_r.Exists(ComponentKind.Library, name) && _r.Exists(ComponentKind.Service, name))
                _d.Error(Codes.NameClash, _m.ModeKeys.GetValueOrDefault(name, mode.Span), $"'modes.{name}' is ambiguous: '{name}' is both a library and a service in the registry.");
            else if (!_r.Exists(ComponentKind.Library, name) && !_r.Exists(ComponentKind.Service, name))
                _d.Warning(Codes.UnknownReference, _m.ModeKeys.GetValueOrDefault(name, mode.Span), $"'modes.{name}' names no library or service in the registry.{Suggest.DidYouMean(name, _r.NamesOf(ComponentKind.Library).Concat(_r.NamesOf(ComponentKind.Service)))}");
        }
    }

    // ---------- modes and sources ----------

    /// <summary>
    /// The component's mode and where it came from (<paramref name="why"/>, the `ModeOrigin` metadata of the
    /// HsmLibrary/HsmService items): "the Mode property", "&lt;section&gt;.standalone.&lt;name&gt;.mode", "modes.&lt;name&gt;",
    /// "&lt;section&gt;.groups.&lt;group&gt;.mode" or "default". A new rule (e.g. `HsmComponentMode` items) adds its
    /// branch here, in precedence order, with its own origin text.
    /// </summary>
    private string ModeOf(Comp c, out string why)
    {
        if (_o.ForcedMode != null) { why = "the Mode property"; return _o.ForcedMode; }
        var ok = FirstSameName(_o.ComponentModes.Keys, _componentModeKeys, c.Kind, c.Name);
        if (ok != null) { why = "HsmComponentMode"; return _o.ComponentModes[ok]; }
        if (c.Standalone?.Mode is { } sm) { why = c.Standalone.Path + ".mode"; return sm.Value; }
        var mk = FirstSameName(_m.Modes.Keys, _modeKeys, c.Kind, c.Name);
        if (mk != null) { why = $"modes.{mk}"; return _m.Modes[mk].Value; }
        if (c.Group != null)
        {
            var kind = c.Kind == ComponentKind.Library ? ComponentKind.LibraryGroup : ComponentKind.ServiceGroup;
            var gs = _groups.GetValueOrDefault((kind, c.Group.ToLowerInvariant()));
            if (gs?.Entry?.Mode is { } gm) { why = $"{gs.Entry.Section}.groups.{gs.Entry.Name}.mode"; return gm.Value; }
        }
        why = "default";
        return "prod";
    }

    // The first key (in the collection's order) naming a component, by normalised name: built once per way of
    // normalising (libraries: PEP 503; other kinds: case), not a scan of every `modes:` key per component (issue 16).
    private readonly Dictionary<bool, Dictionary<string, string>> _componentModeKeys = new(), _modeKeys = new();

    private static string? FirstSameName(IEnumerable<string> keys, Dictionary<bool, Dictionary<string, string>> cache, ComponentKind kind, string name)
    {
        var library = kind == ComponentKind.Library;
        if (!cache.TryGetValue(library, out var byName))
        {
            byName = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var k in keys) byName.TryAdd(RegistryLoader.NormalizeName(kind, k), k);
            cache[library] = byName;
        }
        return byName.TryGetValue(RegistryLoader.NormalizeName(kind, name), out var key) ? key : null;
    }

    private SourceDef? PickSource(Comp c, string mode)
    {
        var m = c.Manifest;
        var at = FirstOrigin(c).Span;
        if (m.HadErrors && !m.Sources.ContainsKey(mode) && !m.Sources.ContainsKey("prod")) return null; // the file's own error explains it
        if (m.Sources.Count == 0)
        {
            _d.Error(Codes.NoSource, at, $"'{c.Name}' is in the stack ({Describe(c.Origins[0])}) but {m.File} defines no sources.");
            return null;
        }
        if (m.Sources.TryGetValue(mode, out var s)) return s;
        if (mode == "dev" && m.Sources.TryGetValue("prod", out var prod))
        {
            _d.Message(Codes.DevFallback, at, $"'{c.Name}' is in dev mode but has no dev source; its prod source is used.");
            return prod;
        }
        _d.Error(Codes.NoProdSource, at, $"'{c.Name}' is in prod mode but {m.File} has no prod source. Add sources.prod, or select dev mode for it.");
        return null;
    }

    private string Abs(string relative) => Path.GetFullPath(Path.Combine(_o.ProjectDirectory, relative));

    private static List<Origin> Origins(Comp c) => c.Origins.Select(o => o.Origin).OrderBy(o => o.Path, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Design §5.4: the registry libraries a uv-runtime service depends on become managed entries of its own
    /// pyproject.toml with their chosen source (a local one as a path source, never a bare name), even when
    /// the stack itself does not select them. Their mode: the Mode property, a <c>modes:</c> key, else the service's.
    /// </summary>
    private void ResolveDependencyLibraries(ResolvedService svc, ResolvedStack stack, SortedSet<string> extra)
    {
        foreach (var dep in svc.Dependencies)
        {
            var name = Grammars.RequirementName(dep);
            if (name is null || !_r.Exists(ComponentKind.Library, name)) continue; // a plain PyPI requirement
            var key = RegistryLoader.NormalizeName(ComponentKind.Library, name);
            if (_libs.ContainsKey(key) || stack.Libraries.Any(l => RegistryLoader.NormalizeName(ComponentKind.Library, l.Package) == key)) continue;
            if (svc.DependencyLibraries?.Any(l => RegistryLoader.NormalizeName(ComponentKind.Library, l.Name) == key) == true) continue;
            var manifest = _r.Library(name);
            if (manifest is null) continue; // unreadable: reported
            var origin = new Origin { Rule = "dependency", Path = $"dependencies of service {svc.Name}" };
            var at = (_svcs.GetValueOrDefault(RegistryLoader.NormalizeName(ComponentKind.Service, svc.Name))?.Manifest as ServiceManifest)
                ?.Dependencies.FirstOrDefault(x => x.Value == dep).Span ?? SourceSpan.None;
            var c = new Comp { Name = manifest.Name, Kind = ComponentKind.Library, Manifest = manifest, Origins = { new OriginAt(origin, at) } };
            var lib = BuildLibrary(c, extra, defaultMode: svc.Mode);
            if (lib != null) (svc.DependencyLibraries ??= new()).Add(lib);
        }
    }

    private ResolvedLibrary? BuildLibrary(Comp c, SortedSet<string> extra, string? defaultMode = null)
    {
        var mode = ModeOf(c, out var modeOrigin);
        if (modeOrigin == "default" && defaultMode != null) { mode = defaultMode; modeOrigin = "the mode of the service that depends on it"; }
        var s = PickSource(c, mode);
        if (s is null) return null;
        var src = new LibrarySource
        {
            Type = s.Type, Key = s.Key, Version = s.Version, Extras = s.Extras, Markers = s.Markers,
            Url = s.Url, RefKind = s.RefKind, Ref = s.Ref, Subdirectory = s.Subdirectory, Path = s.Path,
        };
        if (s.Type == "local")
        {
            src.Editable = mode == "dev" && (s.Editable ?? true); // editable only in dev (design §5.4): a prod build never depends on a live working tree
            var abs = Abs(s.Path!);
            if (!Directory.Exists(abs))
            {
                if (s.Url != null) src.Clone = true;
                else _d.Error(Codes.LocalPathMissing, s.PathSpan, $"The local source of '{c.Name}' points to '{s.Path}', which does not exist (relative to the project directory). Check it out there, or give the source a 'url' and 'ref' to clone it on demand.");
            }
            else
            {
                var py = Path.Combine(abs, "pyproject.toml");
                extra.Add(_o.Label(py));
            }
        }
        return new ResolvedLibrary
        {
            Name = c.Name,
            Package = s.Package ?? c.Name,
            Mode = mode,
            ModeOrigin = modeOrigin,
            Group = c.Group,
            Origins = Origins(c),
            Source = src,
            RegistryFile = c.Manifest.File,
        };
    }

    [GeneratedRegex(@"\$\{HSM_MERGED_PARAMS\.([^}]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex MergedParam();

    private ResolvedService? BuildService(Comp c, SortedSet<string> extra)
    {
        var m = (ServiceManifest)c.Manifest;
        var mode = ModeOf(c, out var modeOrigin);
        var svc = new ResolvedService { Name = c.Name, Mode = mode, ModeOrigin = modeOrigin, Group = c.Group, Origins = Origins(c), RegistryFile = m.File };

        if (!ApplyProfile(c, m, svc, out var profile)) return null;
        _params.TryGetValue(RegistryLoader.NormalizeName(ComponentKind.Service, c.Name), out var ps);
        if (ps != null) foreach (var (k, set) in ps) svc.Params[k] = string.Join(",", set);

        var external = svc.ProfileMode == "external";
        var s = external ? null : PickSource(c, mode);
        if (!external && s is null) return null;
        if (s != null) ApplySource(c.Name, s, svc);
        svc.ContainerName = s?.ContainerName ?? m.ContainerName;
        svc.Command = m.Command?.DeepClone();
        if (svc.Runtime == "uv" && !external)
        {
            // A uv-runtime service runs as a process: the profile's command, else the service's (docs/run.md).
            if (profile?.Command != null) svc.Command = profile.Command.DeepClone();
            svc.WorkingDir = profile?.WorkingDir;
        }
        svc.Healthcheck = m.Healthcheck?.DeepClone();
        svc.Compose = (System.Text.Json.Nodes.JsonObject?)m.Compose?.DeepClone();
        svc.Ports = ComposeRules.MergeList(m.Ports, s?.Ports ?? new());
        svc.Volumes = ComposeRules.MergeVolumes(m.Volumes, s?.Volumes ?? new()).Select(RelativizeVolume).ToList();
        svc.NetworkAliases = ComposeRules.MergeList(m.NetworkAliases, s?.NetworkAliases ?? new());
        svc.DependsOn = m.DependsOn.Select(x => x.Value.ToLowerInvariant()).Distinct().ToList();
        svc.Dependencies = m.Dependencies.Select(x => x.Value).ToList();

        var inline = InlineEnvironment(m, s, profile, svc);
        var files = EnvFilesOf(c.Name, m, s);
        svc.EnvFiles = files.Select(f => f.Value).ToList();
        if (!external)
        {
            CheckEnvFiles(c.Name, m, files, inline, extra);
            CheckBindsOnThisMachine(c.Name, m, m.Volumes.Zip(m.VolumeSpans).Concat(s?.Volumes.Zip(s.VolumeSpans) ?? Enumerable.Empty<(string, SourceSpan)>()));
        }
        return svc;
    }

    /// <summary>
    /// The load-time check judges a bind mount's text; what it cannot see is where a relative path really
    /// leads on this machine: <c>../../../etc</c>, or <c>./config</c> when config is a symbolic link (git keeps
    /// links, so a pull request can carry one) to <c>/</c> or the engine's socket. The engine follows the
    /// link, so the real path is judged too (design §9, risky settings; key volumes).
    /// </summary>
    private void CheckBindsOnThisMachine(string service, ServiceManifest m, IEnumerable<(string Spec, SourceSpan Span)> volumes)
    {
        if (m.AllowPrivileged.Contains("volumes")) return;
        foreach (var (spec, span) in volumes)
        {
            var (source, _, _) = ComposeRules.SplitVolume(spec.Trim());
            if (source is null || ComposeRules.IsNamedVolume(spec.Trim(), out _)) continue;
            var text = Interpolation.AsIfUnset(source);
            if (text.StartsWith('~') || RiskySettings.SensitiveSource(source) != null) continue; // the home folder, or reported at load
            var real = ProjectPaths.RealPath(Path.GetFullPath(Path.Combine(_o.ProjectDirectory, text)));
            if (RiskySettings.SensitiveSource(real) is { } why)
                RiskySettings.Warn(service, m.File, new RiskyFinding("volumes", span, $"the bind mount of '{source}' is '{real}' on this machine, which {why}"), _d);
        }
    }

    /// <summary>The deployment profile (hsm.yaml entry or group, else default) and what it sets; false when the service has no such profile (reported).</summary>
    private bool ApplyProfile(Comp c, ServiceManifest m, ResolvedService svc, out DeploymentProfile? profile)
    {
        Located<string>? profileRef = c.Standalone?.Profile;
        if (profileRef is null && c.Group != null)
            profileRef = _groups.GetValueOrDefault((ComponentKind.ServiceGroup, c.Group.ToLowerInvariant()))?.Entry?.Profile;
        var profileName = profileRef?.Value ?? "default";
        svc.Profile = profileName;
        profile = null;
        if (m.Profiles.Count == 0) return true;
        if (!m.Profiles.TryGetValue(profileName, out profile))
        {
            _d.Error(Codes.UnknownProfile, profileRef?.Span ?? c.Origins[0].Span,
                $"Service '{c.Name}' has no deployment profile '{profileName}' (it has: {string.Join(", ", m.Profiles.Keys.OrderBy(k => k, StringComparer.Ordinal))}).{Suggest.DidYouMean(profileName, m.Profiles.Keys)}");
            return false;
        }
        svc.ProfileMode = profile.Mode;
        svc.Runtime = profile.Runtime;
        if (profile.Mode == "external")
            svc.External = new SortedDictionary<string, string>(profile.External.ToDictionary(e => e.Key, e => e.Value), StringComparer.Ordinal);
        return true;
    }

    /// <summary>The picked source as the stack records it; a missing local folder is reported (an error for a uv-runtime service).</summary>
    private void ApplySource(string name, SourceDef s, ResolvedService svc)
    {
        svc.Source = new ServiceSource { Type = s.Type, Key = s.Key, Image = s.Image, Path = s.Path, Dockerfile = s.Dockerfile, Url = s.Url, Ref = s.Ref, Subdirectory = s.Subdirectory };
        if (s.Type is "build" or "local" && s.Path != null && svc.Runtime != "uv" && !Directory.Exists(Abs(s.Path)))
            _d.Warning(Codes.LocalPathMissing, s.PathSpan, $"The build context '{s.Path}' of service '{name}' does not exist (relative to the project directory).");
        else if (s.Type is "build" or "local" && s.Path != null && svc.Runtime == "uv" && !Directory.Exists(Abs(s.Path)))
            _d.Error(Codes.LocalPathMissing, s.PathSpan, $"The folder '{s.Path}' of uv-runtime service '{name}' does not exist (relative to the project directory); uv locks and syncs the service there. Check it out there, or give the service a git source to clone.");
        RelativizeSourcePaths(name, s, svc.Source);
    }

    /// <summary>environment: service → source → profile (a higher layer overrides), params substituted.</summary>
    private Dictionary<string, (string Value, string Layer, SourceSpan Span)> InlineEnvironment(ServiceManifest m, SourceDef? s, DeploymentProfile? profile, ResolvedService svc)
    {
        var layers = new List<(string Layer, IEnumerable<(string Key, string Value, SourceSpan Span)> Items)>
        {
            ("service.env", m.Env),
            ("source.env", s?.Env ?? new()),
            ("profile.env", profile?.Env ?? new()),
        };
        var inline = new Dictionary<string, (string Value, string Layer, SourceSpan Span)>(StringComparer.Ordinal);
        foreach (var (layer, items) in layers)
            foreach (var (k, v, span) in items)
                inline[k] = (Substitute(v, svc, span), layer, span);
        foreach (var (k, v) in inline) svc.Environment[k] = v.Value;
        return inline;
    }

    /// <summary>env files: service level, then source level, relative to the project directory, each once.</summary>
    private List<Located<string>> EnvFilesOf(string name, ServiceManifest m, SourceDef? s)
    {
        var files = new List<Located<string>>();
        foreach (var raw in m.EnvFiles.Concat(s?.EnvFiles ?? new()))
        {
            var f = raw;
            if (!ProjectPaths.TryMakeRelative(raw.Value, _o.ProjectDirectory, out var rel))
            {
                _d.Error(Codes.NoRelativePath, raw.Span, $"env_file '{raw.Value}' of service '{name}' has no path relative to the project directory (another drive?); Hsm never writes absolute paths into committed files.");
                continue;
            }
            if (rel != raw.Value) f = new Located<string>(rel, raw.Span);
            if (!files.Any(x => x.Value == f.Value)) files.Add(f);
        }
        return files;
    }

    /// <summary>
    /// Absolute paths of a service's source as the Compose file needs them (design §9): the build context
    /// relative to the project directory, the Dockerfile relative to the build context (Compose reads it
    /// from there); no relative form (another drive, a git context) is HSM2017.
    /// </summary>
    private void RelativizeSourcePaths(string service, SourceDef s, ServiceSource target)
    {
        if (target.Path != null && s.Type is "build" or "local")
        {
            if (ProjectPaths.TryMakeRelative(target.Path, _o.ProjectDirectory, out var rel)) target.Path = rel;
            else _d.Error(Codes.NoRelativePath, s.PathSpan, $"The path '{target.Path}' of service '{service}' has no path relative to the project directory (another drive?); Hsm never writes absolute paths into committed files.");
        }
        if (target.Dockerfile is { } df && ProjectPaths.IsAbsolute(df))
        {
            var context = target.Path != null && s.Type is "build" or "local" ? Abs(target.Path) : null;
            if (context != null && ProjectPaths.RelativeFrom(context, df) is { } rel) target.Dockerfile = rel;
            else _d.Error(Codes.NoRelativePath, s.DockerfileSpan, $"The dockerfile '{df}' of service '{service}' has no path relative to its build context{(context is null ? " (a git context)" : " (another drive?)")}; Hsm never writes absolute paths into committed files. Give it relative to the build context.");
        }
    }

    /// <summary>
    /// A short-syntax volume whose host path is absolute and inside the project becomes <c>./relative</c>
    /// (Compose needs the <c>./</c> to tell a bind mount from a named volume). A host path outside the project
    /// (the Docker socket, /etc/localtime) names the machine, not the repository: it stays absolute.
    /// </summary>
    private string RelativizeVolume(string spec)
    {
        var (source, _, _) = ComposeRules.SplitVolume(spec);
        if (source is null || !ProjectPaths.IsAbsolute(source)) return spec;
        var abs = Path.GetFullPath(source);
        if (!ProjectPaths.IsInside(_o.ProjectDirectory, abs) || ProjectPaths.RelativeFrom(_o.ProjectDirectory, abs) is not { } rel) return spec;
        return (rel == "." ? "." : "./" + rel) + spec[source.Length..];
    }

    private string Substitute(string value, ResolvedService svc, SourceSpan span)
    {
        if (!value.Contains("${HSM_MERGED_PARAMS.", StringComparison.Ordinal)) return value;
        return MergedParam().Replace(value, match =>
        {
            var key = match.Groups[1].Value;
            if (svc.Params.TryGetValue(key, out var v)) return v;
            if (_brokenParams.Contains(RegistryLoader.NormalizeName(ComponentKind.Service, svc.Name))) return match.Value; // cause already reported
            _d.Error(Codes.UnknownParam, span, $"'${{HSM_MERGED_PARAMS.{key}}}' in service '{svc.Name}': no selected component implies a param '{key}' for it{(svc.Params.Count > 0 ? $" (params: {string.Join(", ", svc.Params.Keys)})" : "")}.{Suggest.DidYouMean(key, svc.Params.Keys)}");
            return match.Value;
        });
    }

    /// <summary>The project and registry folders as real paths, resolved once per resolution.</summary>
    private List<string> TrustedFolders => _trustedFolders ??= _o.RegistryFolders.Prepend(_o.ProjectDirectory).Select(ProjectPaths.RealPath).ToList();
    private List<string>? _trustedFolders;

    private void CheckEnvFiles(string service, ServiceManifest m, List<Located<string>> files, Dictionary<string, (string Value, string Layer, SourceSpan Span)> inline, SortedSet<string> extra)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            var abs = Abs(f.Value);
            var label = _o.Label(abs);
            extra.Add(label);
            var kind = IO.GuardedFile.KindOf(abs);
            if (kind == IO.FileKind.Missing)
            {
                _d.Error(Codes.EnvFileProblem, f.Span, $"env_file '{f.Value}' of service '{service}' does not exist (relative to the project directory).");
                continue;
            }
            if (kind != IO.FileKind.Regular)
            {
                _d.Error(Codes.NotRegularFile, f.Span, $"env_file '{f.Value}' of service '{service}' is {IO.GuardedFile.Describe(kind)}, not a regular file; Hsm never opens a pipe, socket, device or directory as an env file. Point env_file at a regular file.");
                continue;
            }
            // Compose hands every variable of the file to the container: one from outside the project and the
            // registry (a path leading out, or a link committed in a pull request pointing at a secret
            // elsewhere) is a risky setting (design §9), judged by its real path.
            if (!m.AllowPrivileged.Contains("env_file") && ProjectPaths.RealPath(abs) is var real && !TrustedFolders.Any(t => ProjectPaths.IsInsideReal(t, real)))
                RiskySettings.Warn(service, m.File, new RiskyFinding("env_file", f.Span,
                    $"env_file '{f.Value}' is '{real}', outside the project and the registry folders, and Compose hands all its variables to the container"), _d);
            var keys = EnvFiles.ReadKeys(abs, label, _d);
            foreach (var (key, line) in keys)
            {
                var here = $"env_file:{f.Value}:{line}";
                if (seen.TryGetValue(key, out var first))
                    _d.Error(Codes.EnvConflict, new SourceSpan(label, line, 1), $"Key '{key}' of service '{service}' is defined in both {first} and {here}.");
                else seen[key] = here;
                if (inline.TryGetValue(key, out var inl))
                    _d.Error(Codes.EnvConflict, inl.Span, $"Key '{key}' of service '{service}' is set both in {here} and inline in {inl.Layer} (Compose would silently prefer the inline value). Keep one.");
            }
        }
    }
}
