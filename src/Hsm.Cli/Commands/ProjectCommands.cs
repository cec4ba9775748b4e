using System.CommandLine;
using System.Reflection;
using System.Text;
using Hsm.Cli.Editing;
using Hsm.Diagnostics;
using Hsm.Manifest;
using Hsm.Registry;
using Hsm.Yaml;

namespace Hsm.Cli.Commands;

/// <summary>init, add, remove, select, mode, search, show: the commands that change or read intent.</summary>
public static class ProjectCommands
{
    public static IEnumerable<Command> Create(Cli cli)
    {
        yield return Init(cli);
        yield return Add(cli);
        yield return Remove(cli);
        yield return Select(cli);
        yield return Mode(cli);
        yield return Search(cli);
        yield return Show(cli);
    }

    // ---------------- init ----------------

    private static Command Init(Cli cli)
    {
        var name = new Option<string?>("--name", "-n") { Description = "project.name (default: the folder's name)." };
        var cmd = new Command("init", "Create hsm.proj, hsm.yaml, an empty registry, .gitignore/.gitattributes lines, global.json and editor schemas (the files of `dotnet new hsm`).") { name };
        cmd.SetAction(r =>
        {
            var ws = cli.Workspace(r);
            foreach (var line in Templates.Init(ws.Directory, r.GetValue(name))) ws.Out.WriteLine(line);
            ws.Out.WriteLine("Project initialised. Next: 'hsm registry add library <name>' or 'hsm add <name>', then 'hsm sync'.");
            return Cli.Ok;
        });
        return cmd;
    }

    // ---------------- add ----------------

    private static Command Add(Cli cli)
    {
        var component = new Argument<string>("component") { Description = "A library or service of the registry (added as standalone), or a group (added with its default)." };
        component.CompletionSources.Add(ctx => Common.AddableNames(cli, ctx));
        var group = new Option<string?>("--group", "-g") { Description = "Select the component as an option of this group (1-of-N: replaces the selection; M-of-N: appends)." };
        group.CompletionSources.Add(ctx => Common.GroupNames(cli, ctx));
        var mode = new Option<string?>("--mode") { Description = "dev or prod for this component (or group)." };
        mode.AcceptOnlyFromAmong(Common.Modes);
        var profile = new Option<string?>("--profile") { Description = "Deployment profile (services only)." };
        var dry = Common.DryRun();
        var cmd = new Command("add", "Add a component or group to hsm.yaml.") { component, group, mode, profile, dry };
        cmd.SetAction(r => AddAction(cli.Workspace(r), r.GetValue(component)!, r.GetValue(group), r.GetValue(mode), r.GetValue(profile), r.GetValue(dry)));
        return cmd;
    }

    public static int AddAction(Workspace ws, string name, string? group, string? mode, string? profile, bool dryRun)
    {
        var doc = ws.ReadManifestText();
        var d = new DiagnosticBag();
        var manifest = ws.ParseManifest(doc, d);
        var registry = ws.Registry(manifest, d);
        name = Common.CanonicalName(registry, name);
        YamlText edited;
        string message;
        string? same = null; // what to say when the edit changes nothing (else the message)
        try
        {
            if (group != null)
            {
                var g = Common.RequireGroup(ws, registry, group, d);
                var section = Common.SectionOf(g.Kind);
                if (profile != null && section != "services") throw new UsageException("--profile applies to services only.");
                edited = g.IsMany ? ManifestEditor.AddOption(doc, section, g.Name, name, g.Comment) : ManifestEditor.SelectOne(doc, section, g.Name, name, g.Comment);
                if (mode != null) edited = ManifestEditor.SetGroupKey(edited, section, g.Name, "mode", mode);
                if (profile != null) edited = ManifestEditor.SetGroupKey(edited, section, g.Name, "profile", profile);
                message = g.IsMany ? $"Added '{name}' to group '{g.Name}'." : $"Group '{g.Name}' now selects '{name}'.";
                same = $"Group '{g.Name}' already selects '{name}'{(mode != null || profile != null ? " as asked" : "")}; nothing {(dryRun ? "would change" : "changed")}.";
            }
            else if (registry.Exists(ComponentKind.Library, name) || registry.Exists(ComponentKind.Service, name))
            {
                var kind = registry.Exists(ComponentKind.Library, name) ? ComponentKind.Library : ComponentKind.Service;
                var section = Common.SectionOf(kind);
                if (profile != null && kind == ComponentKind.Library) throw new UsageException("--profile applies to services only.");
                if (ManifestEditor.IndexOfStandalone(doc, section, name) >= 0)
                {
                    edited = mode != null ? ManifestEditor.SetStandaloneMode(doc, section, name, mode) : doc;
                    message = $"'{name}' is already in hsm.yaml{(mode != null ? $"; its mode is now {mode}" : "")}.";
                }
                else
                {
                    edited = ManifestEditor.AddStandalone(doc, section, name, mode, profile);
                    message = $"Added {Common.KindWord(kind)} '{name}'.";
                }
            }
            else if (registry.Exists(ComponentKind.LibraryGroup, name) || registry.Exists(ComponentKind.ServiceGroup, name))
            {
                var g = Common.RequireGroup(ws, registry, name, d);
                var section = Common.SectionOf(g.Kind);
                if (ManifestEditor.Group(doc, section, g.Name).Group != null)
                {
                    edited = mode != null ? ManifestEditor.SetGroupKey(doc, section, g.Name, "mode", mode) : doc;
                    message = $"Group '{g.Name}' is already in hsm.yaml.";
                }
                else
                {
                    edited = ManifestEditor.AddGroup(doc, section, g.Name, null, g.Comment, mode, profile);
                    message = $"Added {Common.KindWord(g.Kind)} '{g.Name}' (its default: {(g.Default is { Count: > 0 } def ? string.Join(", ", def.Select(x => x.Value)) : "nothing")}).";
                }
            }
            else throw Common.NotInRegistry(name, "library, service or group", registry.Names.Select(n => n.Name));
        }
        catch (EditException e) { throw Common.CannotEdit(doc, "hsm.yaml", e); }
        bool changed = ws.Commit(doc, edited, dryRun);
        Common.Applied(ws, changed, dryRun, message, same ?? message);
        return Cli.Ok;
    }

    // ---------------- remove ----------------

    private static Command Remove(Cli cli)
    {
        var component = new Argument<string>("component") { Description = "A standalone component, a group, or (with --group) an option of a group." };
        component.CompletionSources.Add(ctx => Common.Safe(() => ManifestNames(cli.Workspace(ctx.ParseResult)).Where(n => n.StartsWith(ctx.WordToComplete, StringComparison.OrdinalIgnoreCase))));
        var group = new Option<string?>("--group", "-g") { Description = "Remove the option from this group's selection." };
        var dry = Common.DryRun();
        var cmd = new Command("remove", "Remove a component, group or group option from hsm.yaml.") { component, group, dry };
        cmd.SetAction(r => RemoveAction(cli.Workspace(r), r.GetValue(component)!, r.GetValue(group), r.GetValue(dry)));
        return cmd;
    }

    /// <summary>Standalone entries, groups and selected options named in hsm.yaml.</summary>
    public static IEnumerable<string> ManifestNames(Workspace ws)
    {
        var m = ws.ParseManifest(ws.ReadManifestText(), new DiagnosticBag());
        return m.LibraryStandalone.Concat(m.ServiceStandalone).Select(e => e.Name)
            .Concat(m.LibraryGroups.Concat(m.ServiceGroups).Select(g => g.Name))
            .Concat(m.LibraryGroups.Concat(m.ServiceGroups).SelectMany(g => g.Selection ?? new()).Select(s => s.Value))
            .Distinct().OrderBy(x => x, StringComparer.Ordinal);
    }

    public static int RemoveAction(Workspace ws, string name, string? group, bool dryRun)
    {
        var doc = ws.ReadManifestText();
        var d = new DiagnosticBag();
        var manifest = ws.ParseManifest(doc, d);
        var registry = ws.Registry(manifest, d);
        string? Comment(string section, string g) =>
            registry.Exists(Common.GroupKindOf(section), g) ? registry.Group(Common.GroupKindOf(section), g)?.Comment : null;
        YamlText edited;
        string message;
        try
        {
            var groups = manifest.LibraryGroups.Concat(manifest.ServiceGroups).ToList();
            if (group != null)
            {
                var g = groups.FirstOrDefault(x => string.Equals(x.Name, group, StringComparison.OrdinalIgnoreCase))
                    ?? throw NotInManifest(name: group, "group", groups.Select(x => x.Name));
                if (!(g.Selection ?? new()).Any(s => string.Equals(s.Value, name, StringComparison.OrdinalIgnoreCase)))
                    throw new CliError(Codes.NotInManifest, g.Span, $"Group '{g.Name}' does not select '{name}'.{Suggest.DidYouMean(name, (g.Selection ?? new()).Select(s => s.Value))}");
                edited = ManifestEditor.RemoveOption(doc, g.Section, g.Name, (g.Selection ?? new()).First(s => string.Equals(s.Value, name, StringComparison.OrdinalIgnoreCase)).Value, Comment(g.Section, g.Name));
                message = $"Removed '{name}' from group '{g.Name}'.";
            }
            else if (manifest.LibraryStandalone.Concat(manifest.ServiceStandalone).FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase)) is { } entry)
            {
                edited = ManifestEditor.RemoveStandalone(doc, entry.Section, entry.Name);
                message = $"Removed '{entry.Name}'.";
            }
            else if (groups.FirstOrDefault(x => string.Equals(x.Name, name, StringComparison.OrdinalIgnoreCase)) is { } g)
            {
                edited = ManifestEditor.RemoveGroup(doc, g.Section, g.Name, Comment(g.Section, g.Name));
                message = $"Removed group '{g.Name}'.";
            }
            else if (groups.FirstOrDefault(x => (x.Selection ?? new()).Any(s => string.Equals(s.Value, name, StringComparison.OrdinalIgnoreCase))) is { } sg)
            {
                edited = ManifestEditor.RemoveOption(doc, sg.Section, sg.Name, sg.Selection!.First(s => string.Equals(s.Value, name, StringComparison.OrdinalIgnoreCase)).Value, Comment(sg.Section, sg.Name));
                message = $"Removed '{name}' from group '{sg.Name}'.";
            }
            else throw NotInManifest(name, "component or group", ManifestNames(ws));
        }
        catch (EditException e) { throw Common.CannotEdit(doc, "hsm.yaml", e); }
        bool changed = ws.Commit(doc, edited, dryRun);
        Common.Applied(ws, changed, dryRun, message);
        return Cli.Ok;
    }

    private static CliError NotInManifest(string name, string what, IEnumerable<string> candidates) =>
        new(Codes.NotInManifest, new SourceSpan("hsm.yaml", 1, 1), $"hsm.yaml has no {what} '{name}'.{Suggest.DidYouMean(name, candidates)}");

    // ---------------- select ----------------

    private static Command Select(Cli cli)
    {
        var group = new Argument<string>("group") { Description = "A group of the registry." };
        group.CompletionSources.Add(ctx => Common.GroupNames(cli, ctx));
        var options = new Argument<string[]>("option") { Description = "The option(s) to select: one for 1-of-N, any number for M-of-N (the selection becomes exactly these).", Arity = ArgumentArity.OneOrMore };
        options.CompletionSources.Add(ctx => Common.OptionsOf(cli, ctx, ctx.ParseResult.GetValue(group)));
        var dry = Common.DryRun();
        var cmd = new Command("select", "Set the selection of a group (adding the group to hsm.yaml when needed).") { group, options, dry };
        cmd.SetAction(r => SelectAction(cli.Workspace(r), r.GetValue(group)!, r.GetValue(options)!, r.GetValue(dry)));
        return cmd;
    }

    public static int SelectAction(Workspace ws, string group, string[] options, bool dryRun)
    {
        var doc = ws.ReadManifestText();
        var d = new DiagnosticBag();
        var manifest = ws.ParseManifest(doc, d);
        var registry = ws.Registry(manifest, d);
        var g = Common.RequireGroup(ws, registry, group, d);
        var section = Common.SectionOf(g.Kind);
        options = options.Select(o => Common.CanonicalName(registry, o)).ToArray();
        if (options.GroupBy(o => o, StringComparer.Ordinal).FirstOrDefault(x => x.Count() > 1) is { } twice)
            throw new UsageException($"'{twice.Key}' is given twice; a group selects an option once.");
        YamlText edited;
        try
        {
            object selection = g.IsMany || options.Length > 1 ? new YList(options) : options[0];
            if (ManifestEditor.Group(doc, section, g.Name).Group is null)
                edited = ManifestEditor.AddGroup(doc, section, g.Name, selection, g.Comment);
            else if (!g.IsMany && options.Length == 1)
                edited = ManifestEditor.SelectOne(doc, section, g.Name, options[0], g.Comment);
            else
                edited = ManifestEditor.SetGroupKey(doc, section, g.Name, "selection", selection);
        }
        catch (EditException e) { throw Common.CannotEdit(doc, "hsm.yaml", e); }
        bool changed = ws.Commit(doc, edited, dryRun);
        Common.Applied(ws, changed, dryRun, $"Group '{g.Name}' now selects {string.Join(", ", options.Select(o => $"'{o}'"))}.");
        return Cli.Ok;
    }

    // ---------------- mode ----------------

    private static Command Mode(Cli cli)
    {
        var values = new Argument<string[]>("target-and-mode") { Description = "<component|group> dev|prod, or dev|prod with --all.", Arity = new ArgumentArity(1, 2) };
        values.CompletionSources.Add(ctx => Common.Safe(() =>
        {
            var given = ctx.ParseResult.GetValue(values) ?? Array.Empty<string>();
            if (given.Length >= 1 && given.Any(v => v != ctx.WordToComplete)) return Common.Modes;
            return ManifestNames(cli.Workspace(ctx.ParseResult)).Concat(Common.Modes).Where(n => n.StartsWith(ctx.WordToComplete, StringComparison.OrdinalIgnoreCase));
        }));
        var all = new Option<bool>("--all") { Description = "Every component: sets the mode on every entry of hsm.yaml (with --local: the HsmMode property in hsm.proj.user)." };
        var local = new Option<bool>("--local") { Description = "Write the choice into hsm.proj.user (yours, git-ignored) instead of hsm.yaml." };
        var dry = Common.DryRun();
        var cmd = new Command("mode", "Set the mode (dev or prod) of a component, a group or everything.") { values, all, local, dry };
        cmd.SetAction(r =>
        {
            var v = r.GetValue(values)!;
            bool isAll = r.GetValue(all);
            if (isAll && v.Length != 1) throw new UsageException("With --all give only the mode: hsm mode --all dev|prod.");
            if (!isAll && v.Length != 2) throw new UsageException("Give a component or group and a mode: hsm mode <name> dev|prod (or hsm mode --all dev|prod).");
            var mode = v[^1];
            if (!Common.Modes.Contains(mode)) throw new UsageException($"The mode must be dev or prod, not '{mode}'.");
            return ModeAction(cli.Workspace(r), isAll ? null : v[0], mode, r.GetValue(local), r.GetValue(dry));
        });
        return cmd;
    }

    public static int ModeAction(Workspace ws, string? target, string mode, bool local, bool dryRun)
    {
        if (local) return LocalMode(ws, target, mode, dryRun);
        var doc = ws.ReadManifestText();
        var d = new DiagnosticBag();
        var manifest = ws.ParseManifest(doc, d);
        YamlText edited = doc;
        string message;
        try
        {
            if (target is null)
            {
                edited = ManifestEditor.SetAllModes(doc, manifest, mode);
                message = $"Every component of hsm.yaml is now {mode}.";
            }
            else if (manifest.LibraryStandalone.Concat(manifest.ServiceStandalone).FirstOrDefault(e => string.Equals(e.Name, target, StringComparison.OrdinalIgnoreCase)) is { } entry)
            {
                edited = ManifestEditor.SetStandaloneMode(doc, entry.Section, entry.Name, mode);
                message = $"'{entry.Name}' is now {mode}.";
            }
            else if (manifest.LibraryGroups.Concat(manifest.ServiceGroups).FirstOrDefault(g => string.Equals(g.Name, target, StringComparison.OrdinalIgnoreCase)) is { } g)
            {
                edited = ManifestEditor.SetGroupKey(doc, g.Section, g.Name, "mode", mode);
                message = $"Group '{g.Name}' is now {mode}.";
            }
            else
            {
                var registry = ws.Registry(manifest, d);
                if (!registry.Exists(ComponentKind.Library, target) && !registry.Exists(ComponentKind.Service, target))
                    throw Common.NotInRegistry(target, "component or group", ManifestNames(ws).Concat(registry.NamesOf(ComponentKind.Library)).Concat(registry.NamesOf(ComponentKind.Service)));
                edited = ManifestEditor.SetModesKey(doc, target, mode);
                message = $"'{target}' is now {mode} (modes.{target}).";
            }
        }
        catch (EditException e) { throw Common.CannotEdit(doc, "hsm.yaml", e); }
        bool changed = ws.Commit(doc, edited, dryRun);
        Common.Applied(ws, changed, dryRun, message);
        return Cli.Ok;
    }

    private static int LocalMode(Workspace ws, string? target, string mode, bool dryRun)
    {
        var path = Path.Combine(ws.Directory, LocalOverrides.FileName);
        var current = Workspace.ReadText(path, LocalOverrides.FileName, "an MSBuild file"); // null: no file yet
        var before = current ?? "";
        string after;
        if (target is null) after = LocalOverrides.SetAll(current, mode == "dev" ? "Dev" : "Prod");
        else
        {
            var d = new DiagnosticBag();
            var manifest = File.Exists(ws.ManifestPath) ? ws.ParseManifest(ws.ReadManifestText(), d) : null;
            var registry = ws.Registry(manifest, d);
            if (!registry.Exists(ComponentKind.Library, target) && !registry.Exists(ComponentKind.Service, target))
                throw Common.NotInRegistry(target, "library or service", registry.NamesOf(ComponentKind.Library).Concat(registry.NamesOf(ComponentKind.Service)));
            after = LocalOverrides.SetComponent(current, target, mode);
        }
        if (after == before) { ws.Out.WriteLine($"{LocalOverrides.FileName} already says so; nothing changed."); return Cli.Ok; }
        if (dryRun) { ws.Out.Write(UnifiedDiff.Create(before, after, LocalOverrides.FileName)); return Cli.Ok; }
        ws.Replace(path, current, Encoding.UTF8.GetBytes(after), ws.Directory);
        ws.Out.WriteLine($"{(target is null ? "Every component" : $"'{target}'")} is {mode} for you ({LocalOverrides.FileName}, not committed; hsm.yaml unchanged). Run 'hsm sync' (or dotnet build) to apply.");
        return Cli.Ok;
    }

    // ---------------- search / show ----------------

    private static Command Search(Cli cli)
    {
        var text = new Argument<string>("text") { Description = "Matched (case-insensitively) against names and descriptions." };
        var cmd = new Command("search", "Search the registry by name and description.") { text };
        cmd.SetAction(r => SearchAction(cli.Workspace(r), r.GetValue(text)!));
        return cmd;
    }

    public static int SearchAction(Workspace ws, string text)
    {
        var (registry, _) = ws.LoadRegistry();
        var hits = new List<(string Kind, string Name, string Description)>();
        foreach (var (kind, name) in registry.Names.OrderBy(n => n.Kind).ThenBy(n => n.Name, StringComparer.Ordinal))
        {
            var description = Describe(registry, kind, name);
            if (name.Contains(text, StringComparison.OrdinalIgnoreCase) || description.Contains(text, StringComparison.OrdinalIgnoreCase))
                hits.Add((Common.KindWord(kind), name, description));
        }
        if (hits.Count == 0) { ws.Out.WriteLine($"Nothing in the registry matches '{text}'."); return Cli.Ok; }
        int w1 = hits.Max(h => h.Kind.Length), w2 = hits.Max(h => h.Name.Length);
        // Descriptions and the registry's text are a pull request's: shown with control characters made visible.
        foreach (var h in hits) ws.Out.WriteLine(Printable.Text($"{h.Kind.PadRight(w1)}  {h.Name.PadRight(w2)}  {h.Description}".TrimEnd()));
        return Cli.Ok;
    }

    /// <summary>A one-line description: a component's `description`, a group's `comment` and its options' descriptions.</summary>
    private static string Describe(RegistryLoader registry, ComponentKind kind, string name)
    {
        try
        {
            return kind switch
            {
                ComponentKind.Library => registry.Library(name)?.Description ?? "",
                ComponentKind.Service => registry.Service(name)?.Description ?? "",
                _ => registry.Group(kind, name) is { } g
                    ? string.Join(" ", new[] { g.Comment ?? "" }.Concat(g.Options.Select(o => o.Description ?? "")).Where(s => s.Length > 0))
                    : "",
            };
        }
        catch (HsmException) { return ""; }
    }

    private static Command Show(Cli cli)
    {
        var name = new Argument<string>("name") { Description = "A library, service or group of the registry." };
        name.CompletionSources.Add(ctx => Common.AddableNames(cli, ctx));
        var cmd = new Command("show", "Show a registry entry: its kind, file, description and, for a group, its options.") { name };
        cmd.SetAction(r => ShowAction(cli.Workspace(r), r.GetValue(name)!));
        return cmd;
    }

    public static int ShowAction(Workspace ws, string name)
    {
        var (registry, _) = ws.LoadRegistry();
        var found = registry.Names.Where(n => string.Equals(n.Name, RegistryLoader.NormalizeName(n.Kind, name), StringComparison.Ordinal)).OrderBy(n => n.Kind).ToList();
        if (found.Count == 0) throw Common.NotInRegistry(name, "library, service or group", registry.Names.Select(n => n.Name));
        var d = new DiagnosticBag();
        foreach (var (kind, n) in found)
        {
            var file = Common.FileOf(registry, kind, n)!;
            ws.Out.WriteLine($"{Common.KindWord(kind)} {n}  ({ws.Label(file)})");
            if (kind is ComponentKind.LibraryGroup or ComponentKind.ServiceGroup && registry.Group(kind, n) is { } g)
            {
                ws.Out.WriteLine($"  strategy: {g.Strategy}" + (g.Default is { Count: > 0 } def ? $", default: {string.Join(", ", def.Select(x => x.Value))}" : ""));
                if (g.Comment != null) ws.Out.WriteLine(Printable.Text($"  {g.Comment}"));
                ws.Out.WriteLine("  options:");
                int w = g.Options.Count == 0 ? 0 : g.Options.Max(o => o.Name.Length);
                foreach (var o in g.Options) ws.Out.WriteLine(Printable.Text($"    {o.Name.PadRight(w)}  {o.Description ?? (registry.Exists(RegistryLoader.MemberKind(kind), o.Name) ? Describe(registry, RegistryLoader.MemberKind(kind), o.Name) : "")}".TrimEnd()));
            }
            ws.Out.WriteLine();
            var text = Workspace.ReadText(file, ws.Label(file), "a registry file") ?? "";
            ws.Out.Write(Printable.Text(text.TrimStart('\uFEFF')));
            if (!text.EndsWith('\n')) ws.Out.WriteLine();
        }
        return Cli.Ok;
    }
}
