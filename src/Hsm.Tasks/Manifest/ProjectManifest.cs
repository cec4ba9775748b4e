using Hsm.Diagnostics;
using Hsm.Yaml;

namespace Hsm.Manifest;

/// <summary>A value with the position it was read from.</summary>
public readonly record struct Located<T>(T Value, SourceSpan Span);

public sealed class GroupSelection
{
    public string Name { get; init; } = "";
    public SourceSpan Span { get; init; }
    /// <summary>"libraries" or "services".</summary>
    public string Section { get; init; } = "";
    public Located<string>? Strategy { get; set; }
    /// <summary>null when absent or null (the group's default applies).</summary>
    public List<Located<string>>? Selection { get; set; }
    public SourceSpan SelectionSpan { get; set; }
    public Located<string>? Mode { get; set; }
    public Located<string>? Profile { get; set; }
    /// <summary>YAML path of the selection, used as a stable origin.</summary>
    public string SelectionPath => $"{Section}.groups.{Name}.selection";
}

public sealed class StandaloneEntry
{
    public string Name { get; init; } = "";
    public SourceSpan Span { get; init; }
    public string Section { get; init; } = "";
    public Located<string>? Mode { get; set; }
    public Located<string>? Profile { get; set; }
    /// <summary>Stable origin: by name, not index, so reordering hsm.yaml does not change the result.</summary>
    public string Path => $"{Section}.standalone.{Name}";
}

/// <summary>The project manifest hsm.yaml (design §2).</summary>
public sealed class ProjectManifest
{
    public string File { get; init; } = "";
    public Located<string> Name { get; set; }
    public string Version { get; set; } = "";
    public string ContainerEngine { get; set; } = "docker";
    public List<Located<string>> Registry { get; set; } = new();
    public List<GroupSelection> LibraryGroups { get; } = new();
    public List<StandaloneEntry> LibraryStandalone { get; } = new();
    public List<GroupSelection> ServiceGroups { get; } = new();
    public List<StandaloneEntry> ServiceStandalone { get; } = new();
    public Dictionary<string, Located<string>> Modes { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Position of each key of <see cref="Modes"/>.</summary>
    public Dictionary<string, SourceSpan> ModeKeys { get; } = new(StringComparer.OrdinalIgnoreCase);
}

public static class ManifestReader
{
    /// <summary>Loads hsm.yaml; returns null when it cannot be read at all (diagnostics say why).</summary>
    public static ProjectManifest? Load(string path, string label, DiagnosticBag diagnostics)
    {
        if (IO.GuardedFile.KindOf(path) == IO.FileKind.Missing)
        {
            diagnostics.Error(Codes.ManifestMissing, new SourceSpan(label, 0, 0), $"The project manifest '{label}' does not exist. Create it (see docs/manifest.md) or set HsmManifestPath.");
            return null;
        }
        var root = SafeYamlLoader.LoadFile(path, label, diagnostics);
        if (root is null)
        {
            if (!diagnostics.HasErrors) ReportEmpty(label, diagnostics);
            return null;
        }
        return Read(root, label, diagnostics);
    }

    /// <summary>HSM1023: hsm.yaml is empty, only comments, or null (the loader then has no root and no error).</summary>
    public static void ReportEmpty(string label, DiagnosticBag d) =>
        d.Error(Codes.EmptyDocument, new SourceSpan(label, 1, 1), $"'{label}' is empty; it needs at least 'project: {{ name: ... }}'.");

    public static ProjectManifest? Read(YNode root, string label, DiagnosticBag d)
    {
        var top = MapReader.For(root, "hsm.yaml", d, "project", "libraries", "services", "modes", "dependencies");
        if (top is null)
        {
            if (root is YScalar { IsNull: true }) ReportEmpty(label, d);
            return null;
        }
        var m = new ProjectManifest { File = label };

        ReadProject(top, root, m, d);
        // libraries (and the legacy 'dependencies' section)
        ReadSection(top, "libraries", m.LibraryGroups, m.LibraryStandalone, d, legacy: false);
        if (top.Has("dependencies")) ReadLegacyDependencies(top, m, d);
        ReadSection(top, "services", m.ServiceGroups, m.ServiceStandalone, d, legacy: false);
        ReadModes(top, m, d);
        top.Finish();
        return m;
    }

    private static void ReadProject(MapReader top, YNode root, ProjectManifest m, DiagnosticBag d)
    {
        var project = MapReader.For(top.Map["project"], "'project'", d, "name", "version", "container_engine", "registry", "manager", "description");
        if (project is null)
        {
            if (top.Node("project") is null)
                d.Error(Codes.MissingField, top.KeyNode("project")?.Span ?? root.Span, "hsm.yaml needs a 'project' map with a 'name'.");
            return;
        }
        var name = project.Scalar("name");
        if (project.Node("name") is null || name?.Value.Trim().Length == 0)
            d.Error(Codes.MissingField, project.Map.Span, "'project.name' is required (it also names the Compose project).");
        else if (name != null) m.Name = new(name.Value, name.Span);
        m.Version = project.String("version") ?? "";
        var engine = project.Scalar("container_engine");
        if (engine != null)
        {
            if (engine.Value is "docker" or "podman") m.ContainerEngine = engine.Value;
            else d.Error(Codes.InvalidValue, engine.Span, $"'project.container_engine' must be docker or podman, not '{engine.Value}'.{Suggest.DidYouMean(engine.Value, new[] { "docker", "podman" })}");
        }
        var reg = project.ScalarList("registry", allowSingle: true);
        if (reg != null)
        {
            foreach (var r in reg)
            {
                if (r.Value.Trim().Length == 0) d.Error(Codes.InvalidValue, r.Span, "'project.registry' entries must be folder paths, not empty strings.");
                else m.Registry.Add(new Located<string>(r.Value.Trim(), r.Span));
            }
        }
        var manager = project.KeyNode("manager");
        if (manager != null)
        {
            d.Warning(Codes.LegacyKey, manager.Span, "'project.manager' is a legacy key; use 'libraries.package_manager'.");
            CheckPackageManager(project.Scalar("manager"), d);
        }
        project.Ignore("description");
        project.Finish();
    }

    private static void ReadLegacyDependencies(MapReader top, ProjectManifest m, DiagnosticBag d)
    {
        bool any = false;
        if (top.Node("dependencies") is YMapping dm)
            foreach (var (old, now) in new[] { ("package_groups", "libraries.groups"), ("packages", "libraries.standalone"), ("package_manager", "libraries.package_manager") })
                if (dm.Entries.FirstOrDefault(e => e.Key.Value == old).Key is { } lk)
                {
                    any = true;
                    d.Warning(Codes.LegacyKey, lk.Span, $"'dependencies.{old}' is a legacy key of the original hsm; use '{now}'.");
                }
        if (!any) d.Warning(Codes.LegacyKey, top.KeyNode("dependencies")!.Span, "'dependencies' is a legacy section of the original hsm; use 'libraries' ('package_groups' → 'groups', 'packages' → 'standalone').");
        ReadSection(top, "dependencies", m.LibraryGroups, m.LibraryStandalone, d, legacy: true);
    }

    private static void ReadModes(MapReader top, ProjectManifest m, DiagnosticBag d)
    {
        var modes = MapReader.For(top.Map["modes"], "'modes'", d);
        if (modes is null) return;
        foreach (var (k, v) in modes.Map.Entries)
        {
            if (!CheckName(k, "a 'modes' key", d)) continue;
            if (v is YScalar s && !s.IsNull)
            {
                if (CheckMode(s, $"modes.{k.Value}", d)) { m.Modes[k.Value] = new(s.Value, s.Span); m.ModeKeys[k.Value] = k.Span; }
            }
            else if (v is not YScalar) d.Error(Codes.WrongType, v.Span, $"'modes.{k.Value}' must be dev or prod, not {v.KindName}.");
        }
    }

    /// <summary>
    /// Names become file names and Compose keys: anything but ^[a-z0-9][a-z0-9._-]{0,62}$ (any case) is
    /// rejected here, before a registry lookup or a file name is built from it (design §3).
    /// </summary>
    public static bool CheckName(YScalar s, string what, DiagnosticBag d)
    {
        if (ComponentName.IsValid(s.Value)) return true;
        d.Error(Codes.InvalidName, s.Span, $"'{s.Value}' ({what}) is not a valid component name: letters, digits, '.', '_' and '-', at most 63, starting with a letter or digit (no '/', '\\' or '..').");
        return false;
    }

    private static void CheckPackageManager(YScalar? s, DiagnosticBag d)
    {
        if (s != null && s.Value != "uv")
            d.Error(Codes.InvalidValue, s.Span, $"The package manager must be 'uv' (the only one Hsm.Sdk drives), not '{s.Value}'.");
    }

    public static bool CheckMode(YScalar s, string where, DiagnosticBag d)
    {
        if (s.Value is "dev" or "prod") return true;
        d.Error(Codes.InvalidMode, s.Span, $"'{where}' must be 'dev' or 'prod', not '{s.Value}'.{Suggest.DidYouMean(s.Value, new[] { "dev", "prod" })}");
        return false;
    }

    private static void ReadSection(MapReader top, string key, List<GroupSelection> groups, List<StandaloneEntry> standalone, DiagnosticBag d, bool legacy)
    {
        bool services = key == "services";
        string section = services ? "services" : "libraries";
        string[] known = services
            ? new[] { "groups", "standalone", "container_groups", "containers" }
            : legacy ? new[] { "package_manager", "package_groups", "packages" } : new[] { "package_manager", "groups", "standalone" };
        var r = MapReader.For(top.Map[key], $"'{key}'", d, known);
        if (r is null) return;
        if (!services) CheckPackageManager(r.Scalar("package_manager"), d);

        string groupsKey = legacy ? "package_groups" : "groups";
        string standaloneKey = legacy ? "packages" : "standalone";
        if (services)
        {
            foreach (var (old, now) in new[] { ("container_groups", "groups"), ("containers", "standalone") })
                if (r.KeyNode(old) is { } k) d.Warning(Codes.LegacyKey, k.Span, $"'services.{old}' is a legacy key of the original hsm; use 'services.{now}'.");
        }
        foreach (var gk in services ? new[] { "groups", "container_groups" } : new[] { groupsKey })
            ReadGroups(r, gk, section, groups, d);
        foreach (var sk in services ? new[] { "standalone", "containers" } : new[] { standaloneKey })
            ReadStandalone(r, sk, section, standalone, d);
        r.Finish();
    }

    private static void ReadGroups(MapReader r, string key, string section, List<GroupSelection> groups, DiagnosticBag d)
    {
        var gm = MapReader.For(r.Map[key], $"'{section}.{key}'", d);
        if (gm is null) return;
        foreach (var (k, v) in gm.Map.Entries)
        {
            if (!CheckName(k, $"a group under '{section}.{key}'", d)) continue;
            var g = new GroupSelection { Name = k.Value, Span = k.Span, Section = section };
            if (groups.Any(x => string.Equals(x.Name, g.Name, StringComparison.OrdinalIgnoreCase)))
            {
                d.Error(Codes.DuplicateKey, k.Span, $"Group '{k.Value}' is listed twice under '{section}'.");
                continue;
            }
            var gr = v is YScalar { IsNull: true } ? null : MapReader.For(v, $"group '{k.Value}'", d, "strategy", "selection", "mode", "profile", "type", "comment");
            if (gr != null)
            {
                gr.Ignore("type", "comment");
                var st = gr.Scalar("strategy");
                if (st != null)
                {
                    if (st.Value is "1-of-N" or "M-of-N") g.Strategy = new(st.Value, st.Span);
                    else d.Error(Codes.StrategyMismatch, st.Span, $"'strategy' must be 1-of-N or M-of-N, not '{st.Value}'.{Suggest.DidYouMean(st.Value, new[] { "1-of-N", "M-of-N" })}");
                }
                var sel = gr.Node("selection");
                if (sel is YScalar ss)
                {
                    g.Selection = new();
                    if (CheckName(ss, $"the selection of group '{k.Value}'", d)) g.Selection.Add(new(ss.Value, ss.Span));
                    g.SelectionSpan = ss.Span;
                }
                else if (sel is YSequence seq)
                {
                    g.SelectionSpan = seq.Span;
                    g.Selection = new();
                    foreach (var item in seq.Items)
                    {
                        if (item is YScalar s && !s.IsNull) { if (CheckName(s, $"the selection of group '{k.Value}'", d)) g.Selection.Add(new(s.Value, s.Span)); }
                        else d.Error(Codes.WrongType, item.Span, $"Items of the selection of group '{k.Value}' must be option names, not {item.KindName}.");
                    }
                }
                else if (sel is YMapping) d.Error(Codes.WrongType, sel.Span, $"The selection of group '{k.Value}' must be an option name or a list of names, not a map.");
                (g.Mode, g.Profile) = ModeAndProfile(gr, section, $"{section}.groups.{k.Value}.mode", "'profile' applies to service groups only: a library has no deployment profile.", d);
                gr.Finish();
            }
            groups.Add(g);
        }
    }

    /// <summary>The mode and profile keys of a group or standalone entry; a profile outside the services section is reported.</summary>
    private static (Located<string>? Mode, Located<string>? Profile) ModeAndProfile(MapReader r, string section, string modePath, string profileOutsideServices, DiagnosticBag d)
    {
        Located<string>? mode = null, profile = null;
        var m = r.Scalar("mode");
        if (m != null && CheckMode(m, modePath, d)) mode = new(m.Value, m.Span);
        var p = r.Scalar("profile");
        if (p != null)
        {
            if (section != "services") d.Error(Codes.UnknownKey, r.KeyNode("profile")!.Span, profileOutsideServices);
            else profile = new(p.Value, p.Span);
        }
        return (mode, profile);
    }

    private static void ReadStandalone(MapReader r, string key, string section, List<StandaloneEntry> list, DiagnosticBag d)
    {
        var node = r.Node(key);
        if (node is null) return;
        if (node is not YSequence seq)
        {
            d.Error(Codes.WrongType, node.Span, $"'{section}.{key}' must be a list of names or {{name, mode, profile}} maps, not {node.KindName}.");
            return;
        }
        int index = 0;
        foreach (var item in seq.Items)
        {
            int i = index++;
            if (item is YScalar s && !s.IsNull)
            {
                if (!CheckName(s, $"an entry of '{section}.{key}'", d)) continue;
                list.Add(new StandaloneEntry { Name = s.Value, Span = s.Span, Section = section });
                continue;
            }
            var er = MapReader.For(item, $"an entry of '{section}.{key}'", d, "name", "mode", "profile", "version");
            if (er is null) { if (item is YScalar) d.Error(Codes.WrongType, item.Span, $"An entry of '{section}.{key}' is empty."); continue; }
            er.Ignore("version");
            var name = er.Scalar("name");
            if (name is null) { d.Error(Codes.MissingField, item.Span, $"An entry of '{section}.{key}' needs a 'name'."); er.Finish(); continue; }
            if (!CheckName(name, $"an entry of '{section}.{key}'", d)) { er.Finish(); continue; }
            var e = new StandaloneEntry { Name = name.Value, Span = name.Span, Section = section };
            (e.Mode, e.Profile) = ModeAndProfile(er, section, $"{section}.standalone[{i}].mode", "'profile' applies to services only: a library has no deployment profile.", d);
            er.Finish();
            list.Add(e);
        }
    }
}
