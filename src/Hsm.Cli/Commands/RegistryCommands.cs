using System.CommandLine;
using System.Text;
using Hsm.Cli.Editing;
using Hsm.Diagnostics;
using Hsm.Registry;
using Hsm.Yaml;

namespace Hsm.Cli.Commands;

/// <summary>
/// `hsm registry add library|service|group`, `remove`, `implies add|remove`, `validate`: authoring of
/// registry files. New files are written in the registry's usual layout; existing files are edited by
/// splices. Every file written must load without errors or warnings.
/// </summary>
public static class RegistryCommands
{
    public static Command Create(Cli cli)
    {
        var registry = new Command("registry", "Author the registry: add, remove, implies, validate.");
        var add = new Command("add", "Add a registry file: a library, a service or a group.");
        add.Subcommands.Add(AddLibrary(cli));
        add.Subcommands.Add(AddService(cli));
        add.Subcommands.Add(AddGroup(cli));
        registry.Subcommands.Add(add);
        registry.Subcommands.Add(Remove(cli));
        var implies = new Command("implies", "Edit the implies of a component or group option.");
        implies.Subcommands.Add(ImpliesAdd(cli));
        implies.Subcommands.Add(ImpliesRemove(cli));
        registry.Subcommands.Add(implies);
        registry.Subcommands.Add(Validate(cli));
        return registry;
    }

    private static Option<bool> Force() => new("--force") { Description = "Overwrite an existing file of that name." };
    private static Option<string[]> Many(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, AllowMultipleArgumentsPerToken = false, Arity = ArgumentArity.ZeroOrMore };

    /// <summary>The folder new registry files go to: the first registry folder (hsm-registry when there is none yet).</summary>
    public static string TargetFolder(Workspace ws)
    {
        var d = new DiagnosticBag();
        var manifest = File.Exists(ws.ManifestPath) ? ws.ParseManifest(ws.ReadManifestText(), d) : null;
        var folders = ws.RegistryFolders(manifest, d);
        return folders.Count > 0 ? folders[0] : Path.Combine(ws.Directory, "hsm-registry");
    }

    // ---------------- add library ----------------

    private static Command AddLibrary(Cli cli)
    {
        var name = new Argument<string>("name");
        var version = new Option<string?>("--version") { Description = "The component's version (informational; default 0.1.0)." };
        var description = new Option<string?>("--description", "-d");
        var prodType = new Option<string?>("--prod-type") { Description = "pypi (default), git or local." };
        prodType.AcceptOnlyFromAmong("pypi", "git", "local");
        var pypiVersion = new Option<string?>("--pypi-version") { Description = "PEP 440 specifier of the pypi source, e.g. \">=1.0,<2\"." };
        var prodUrl = new Option<string?>("--prod-url") { Description = "git URL of the prod source." };
        var prodRef = new Option<string?>("--prod-ref") { Description = "git tag/branch/commit of the prod source (default: main)." };
        var devPath = new Option<string?>("--dev-path") { Description = "Local checkout for dev (editable), relative to the project." };
        var devUrl = new Option<string?>("--dev-url") { Description = "git URL cloned into --dev-path on demand when it is missing." };
        var package = new Option<string?>("--package") { Description = "Distribution name in pyproject.toml when it differs from the name." };
        var force = Force();
        var cmd = new Command("library", "Add hsm-registry/libraries/<name>.yaml.") { name, version, description, prodType, pypiVersion, prodUrl, prodRef, devPath, devUrl, package, force };
        cmd.SetAction(r =>
        {
            var n = r.GetValue(name)!;
            var type = r.GetValue(prodType) ?? (r.GetValue(prodUrl) != null ? "git" : "pypi");
            var sb = new StringBuilder();
            sb.Append("name: ").Append(YamlEditor.Scalar(n)).Append('\n');
            sb.Append("version: ").Append(YamlEditor.Scalar(r.GetValue(version) ?? "0.1.0")).Append('\n');
            if (r.GetValue(description) is { } desc) sb.Append("description: ").Append(YamlEditor.Scalar(desc)).Append('\n');
            sb.Append("sources:\n");
            var prod = new YMap { { "type", type } };
            switch (type)
            {
                case "pypi":
                    if (r.GetValue(pypiVersion) is { } pv) prod.Add("version", pv);
                    break;
                case "git":
                    prod.Add("url", r.GetValue(prodUrl) ?? throw new UsageException("--prod-type git needs --prod-url."));
                    prod.Add("ref", r.GetValue(prodRef) ?? "main");
                    break;
                case "local":
                    prod.Add("path", r.GetValue(devPath) ?? throw new UsageException("--prod-type local needs --dev-path (the path used in both modes)."));
                    break;
            }
            if (r.GetValue(package) is { } pk) prod.Add("package", pk);
            sb.Append("  prod: ").Append(YamlEditor.Inline(prod)).Append('\n');
            if (r.GetValue(devPath) is { } dp)
            {
                var dev = new YMap { { "type", "local" }, { "path", dp }, { "editable", "true" } };
                if (r.GetValue(devUrl) is { } du) { dev.Add("url", du); dev.Add("ref", r.GetValue(prodRef) ?? "main"); }
                if (r.GetValue(package) is { } pk2) dev.Add("package", pk2);
                sb.Append("  dev: ").Append(YamlEditor.Inline(dev).Replace("editable: \"true\"", "editable: true")).Append('\n');
            }
            return WriteNew(cli.Workspace(r), ComponentKind.Library, n, sb.ToString(), r.GetValue(force));
        });
        return cmd;
    }

    // ---------------- add service ----------------

    private static Command AddService(Cli cli)
    {
        var name = new Argument<string>("name");
        var description = new Option<string?>("--description", "-d");
        var image = new Option<string?>("--image") { Description = "Released image: the prod source (docker-image)." };
        var buildPath = new Option<string?>("--build-path") { Description = "Build context for dev (or the working folder of a uv-runtime service)." };
        var dockerfile = new Option<string?>("--dockerfile") { Description = "Dockerfile of the dev build (default: Dockerfile)." };
        var ports = Many("--port", "A published port, e.g. 6333:6333 (repeatable).", "-p");
        var volumes = Many("--volume", "A volume, e.g. data:/var/lib/data (repeatable).");
        var env = Many("--env", "KEY=VALUE (repeatable).", "-e");
        var envFiles = Many("--env-file", "An env file relative to the project (repeatable).");
        var runtime = new Option<string?>("--runtime") { Description = "docker (default), podman or uv." };
        runtime.AcceptOnlyFromAmong("docker", "podman", "uv");
        var deps = Many("--dependency", "A library the uv-runtime service needs (repeatable).");
        var force = Force();
        var cmd = new Command("service", "Add hsm-registry/services/<name>.yaml.") { name, description, image, buildPath, dockerfile, ports, volumes, env, envFiles, runtime, deps, force };
        cmd.SetAction(r =>
        {
            var n = r.GetValue(name)!;
            var text = ServiceManifestText(n, r.GetValue(runtime) ?? "docker", r.GetValue(description), r.GetValue(ports), r.GetValue(volumes),
                r.GetValue(env), r.GetValue(envFiles), r.GetValue(image), r.GetValue(buildPath), r.GetValue(dockerfile), r.GetValue(deps));
            return WriteNew(cli.Workspace(r), ComponentKind.Service, n, text, r.GetValue(force));
        });
        return cmd;
    }

    /// <summary>The registry file of a new service, from the options of `hsm registry add service`.</summary>
    private static string ServiceManifestText(string n, string rt, string? desc, string[]? ports, string[]? volumes, string[]? env,
        string[]? envFiles, string? img, string? bp, string? dockerfile, string[]? deps)
    {
        var sb = new StringBuilder();
        sb.Append("name: ").Append(YamlEditor.Scalar(n)).Append('\n');
        if (desc is not null) sb.Append("description: ").Append(YamlEditor.Scalar(desc)).Append('\n');
        AppendList(sb, "ports", ports);
        AppendList(sb, "volumes", volumes);
        if (env is { Length: > 0 }) sb.Append("env: ").Append(YamlEditor.Inline(EnvMap(env))).Append('\n');
        AppendList(sb, "env_file", envFiles);
        if (img is null && bp is null) throw new UsageException("Give --image (prod) and/or --build-path (dev).");
        sb.Append("sources:\n");
        AppendServiceSources(sb, rt, img, bp, dockerfile);
        sb.Append("deployment_profiles:\n  default: ").Append(YamlEditor.Inline(new YMap { { "mode", "managed" }, { "runtime", rt } })).Append('\n');
        AppendList(sb, "dependencies", deps);
        return sb.ToString();
    }

    private static void AppendList(StringBuilder sb, string key, string[]? values)
    {
        if (values is { Length: > 0 }) sb.Append(key).Append(": ").Append(YamlEditor.Inline(new YList(values))).Append('\n');
    }

    private static YMap EnvMap(string[] envs)
    {
        var m = new YMap();
        foreach (var kv in envs)
        {
            int eq = kv.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--env takes KEY=VALUE, not '{kv}'.");
            m.Add(kv[..eq], kv[(eq + 1)..]);
        }
        return m;
    }

    /// <summary>A uv-runtime service runs from its folder in both modes; a container service pulls its image in prod and builds in dev.</summary>
    private static void AppendServiceSources(StringBuilder sb, string rt, string? img, string? bp, string? dockerfile)
    {
        if (rt == "uv")
        {
            if (bp is null) throw new UsageException("A uv-runtime service needs --build-path (its working folder).");
            sb.Append("  prod: ").Append(YamlEditor.Inline(new YMap { { "type", "local" }, { "path", bp } })).Append('\n');
            sb.Append("  dev: ").Append(YamlEditor.Inline(new YMap { { "type", "local" }, { "path", bp } })).Append('\n');
            return;
        }
        if (img != null) sb.Append("  prod: ").Append(YamlEditor.Inline(new YMap { { "type", "docker-image" }, { "image", img } })).Append('\n');
        if (bp != null)
        {
            var dev = new YMap { { "type", "build" }, { "path", bp } };
            if (dockerfile is { } df) dev.Add("dockerfile", df);
            sb.Append("  dev: ").Append(YamlEditor.Inline(dev)).Append('\n');
        }
    }

    // ---------------- add group ----------------

    private static Command AddGroup(Cli cli)
    {
        var name = new Argument<string>("name");
        var type = new Option<string?>("--type", "-t") { Description = "library_group (default) or service_group." };
        type.AcceptOnlyFromAmong("library_group", "service_group");
        var strategy = new Option<string?>("--strategy", "-s") { Description = "1-of-N (default) or M-of-N." };
        strategy.AcceptOnlyFromAmong("1-of-N", "M-of-N");
        var options = Many("--option", "An option: a library (or service) of the registry (repeatable).", "-o");
        options.CompletionSources.Add(ctx => Common.Safe(() => Common.CompletionRegistry(cli, ctx).Names.Where(n => n.Kind is ComponentKind.Library or ComponentKind.Service).Select(n => n.Name)));
        var def = Many("--default", "The default selection (repeatable for M-of-N).");
        var comment = new Option<string?>("--comment", "-c") { Description = "A comment; `hsm add` writes it above the group in hsm.yaml." };
        var force = Force();
        var cmd = new Command("group", "Add hsm-registry/library_groups/<name>.yaml (or service_groups/).") { name, type, strategy, options, def, comment, force };
        cmd.SetAction(r =>
        {
            var n = r.GetValue(name)!;
            var kind = r.GetValue(type) == "service_group" ? ComponentKind.ServiceGroup : ComponentKind.LibraryGroup;
            var st = r.GetValue(strategy) ?? "1-of-N";
            var opts = r.GetValue(options) ?? Array.Empty<string>();
            var sb = new StringBuilder();
            sb.Append("name: ").Append(YamlEditor.Scalar(n)).Append('\n');
            sb.Append("strategy: ").Append(st).Append('\n');
            if (r.GetValue(comment) is { } c) sb.Append("comment: ").Append(YamlEditor.Scalar(c)).Append('\n');
            if (r.GetValue(def) is { Length: > 0 } d)
                sb.Append("default: ").Append(st == "M-of-N" ? YamlEditor.Inline(new YList(d)) : d.Length == 1 ? YamlEditor.Scalar(d[0]) : throw new UsageException("A 1-of-N group has one --default.")).Append('\n');
            sb.Append("options:");
            if (opts.Length == 0) sb.Append(" []\n");
            else
            {
                sb.Append('\n');
                foreach (var o in opts) sb.Append("  - name: ").Append(YamlEditor.Scalar(o)).Append('\n');
            }
            var ws = cli.Workspace(r);
            // Every option must name a component of the group's kind (the loader checks it too, when the group is used).
            var (registry, _) = LoadForAuthoring(ws);
            var member = RegistryLoader.MemberKind(kind);
            foreach (var o in opts)
                if (!registry.Exists(member, o))
                    throw new CliError(Codes.BadGroupOption, new SourceSpan("hsm", 0, 0), $"Option '{o}' of group '{n}' is not a {Common.KindWord(member)} of the registry.{Suggest.DidYouMean(o, registry.NamesOf(member))} Add it first with 'hsm registry add {Common.KindWord(member)} {o}'.");
            return WriteNew(ws, kind, n, sb.ToString(), r.GetValue(force));
        });
        return cmd;
    }

    private static (RegistryLoader Registry, string Folder) LoadForAuthoring(Workspace ws)
    {
        var folder = TargetFolder(ws);
        var d = new DiagnosticBag();
        var folders = Directory.Exists(folder) ? new[] { folder } : Array.Empty<string>();
        try { var (registry, _) = ws.LoadRegistry(); return (registry, folder); }
        catch (CliError) { return (new RegistryLoader(folders, ws.Label, d), folder); }
    }

    /// <summary>Checks that a registry file's text loads without errors or warnings, then writes it atomically.</summary>
    private static int WriteNew(Workspace ws, ComponentKind kind, string name, string text, bool force)
    {
        if (!RegistryLoader.IsValidName(name) || name.Equals("hsm", StringComparison.OrdinalIgnoreCase))
            throw new CliError(Codes.InvalidName, new SourceSpan("hsm", 0, 0), $"'{name}' is not a valid component name: letters, digits, '.', '_' and '-', at most 63, starting with a letter or digit ('hsm' is reserved).");
        if (Hsm.Manifest.ComponentName.IsWindowsReserved(name))
            throw new CliError(Codes.WindowsReservedName, new SourceSpan("hsm", 0, 0), $"'{name}' is a name Windows reserves for a device: its registry file could not be checked out on Windows. Choose another name.");
        var (registry, folder) = LoadForAuthoring(ws);
        var path = Path.Combine(folder, RegistryLoader.FolderOf(kind), name + ".yaml");
        var label = ws.Label(path);
        var existing = Common.FileOf(registry, kind, name);
        if ((existing != null || File.Exists(path)) && !force)
            throw new CliError(Codes.RegistryEntryExists, new SourceSpan(ws.Label(existing ?? path), 1, 1), $"The registry already has {Common.KindWord(kind)} '{name}'. Pass --force to overwrite it, or edit the file (by hand or with 'hsm registry implies add').");
        var other = kind is ComponentKind.Library ? ComponentKind.Service : kind is ComponentKind.Service ? ComponentKind.Library : (ComponentKind?)null;
        if (other is { } o && registry.Exists(o, name))
            throw new CliError(Codes.NameClash, new SourceSpan(ws.Label(Common.FileOf(registry, o, name)!), 1, 1), $"'{name}' is already a {Common.KindWord(o)}; libraries and services share one namespace.");
        CheckLoads(kind, name, text, label);
        Workspace.WriteAtomically(path, Encoding.UTF8.GetBytes(text), ws.Directory, folder);
        ws.Out.WriteLine($"Wrote {label}.");
        return Cli.Ok;
    }

    /// <summary>HSM8008 (with the loader's own diagnostics) unless the text loads cleanly as a registry file.</summary>
    private static void CheckLoads(ComponentKind kind, string stem, string text, string label)
    {
        var d = new DiagnosticBag();
        var root = SafeYamlLoader.LoadText(text.TrimStart('\uFEFF'), label, d);
        if (root != null) ManifestParser.Parse(kind, stem.ToLowerInvariant(), root, label, d);
        var problems = d.Items.Where(x => x.Severity != Severity.Message).ToList();
        if (problems.Count > 0)
            throw new CliError(problems.Prepend(new Diagnostic(Codes.RegistryFileInvalid, Severity.Error, "The registry file would not load cleanly; nothing was written.", new SourceSpan(label, 1, 1))));
    }

    // ---------------- remove ----------------

    private static Command Remove(Cli cli)
    {
        var name = new Argument<string>("name");
        name.CompletionSources.Add(ctx => Common.AddableNames(cli, ctx));
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation." };
        var kind = new Option<string?>("--kind") { Description = "library, service, library_group or service_group: which one, when several kinds share the name." };
        kind.AcceptOnlyFromAmong("library", "service", "library_group", "service_group");
        var cmd = new Command("remove", "Delete a registry file (only the one of that kind; asks first unless --yes).") { name, yes, kind };
        cmd.SetAction(r =>
        {
            var ws = cli.Workspace(r);
            var n = r.GetValue(name)!;
            var (registry, _) = ws.LoadRegistry();
            var found = registry.Names.Where(x => x.Name == RegistryLoader.NormalizeName(x.Kind, n)).Select(x => x.Kind).ToList();
            if (r.GetValue(kind) is { } k)
            {
                var want = k switch { "library" => ComponentKind.Library, "service" => ComponentKind.Service, "library_group" => ComponentKind.LibraryGroup, _ => ComponentKind.ServiceGroup };
                found = found.Where(x => x == want).ToList();
            }
            if (found.Count == 0) throw Common.NotInRegistry(n, r.GetValue(kind)?.Replace('_', ' ') ?? "library, service or group", registry.Names.Select(x => x.Name));
            if (found.Count > 1) throw new UsageException($"'{n}' is a {string.Join(" and a ", found.Select(Common.KindWord))}; pass --kind to say which.");
            var file = Common.FileOf(registry, found[0], n)!;
            if (!r.GetValue(yes))
            {
                if (!cli.InputIsInteractive)
                    throw new CliError(Codes.NotConfirmed, new SourceSpan(ws.Label(file), 1, 1), $"Removing {ws.Label(file)} needs confirmation: pass --yes (no terminal to ask on).");
                ws.Out.Write($"Remove {Common.KindWord(found[0])} '{n}' ({ws.Label(file)})? [y/N] ");
                var answer = cli.In.ReadLine()?.Trim().ToLowerInvariant();
                if (answer is not ("y" or "yes"))
                    throw new CliError(Codes.NotConfirmed, new SourceSpan(ws.Label(file), 1, 1), "Not confirmed; nothing was removed.");
            }
            File.Delete(file);
            ws.Out.WriteLine($"Removed {ws.Label(file)}.");
            try
            {
                if (File.Exists(ws.ManifestPath) && ProjectCommands.ManifestNames(ws).Contains(n, StringComparer.OrdinalIgnoreCase))
                    ws.Out.WriteLine($"hsm.yaml still names '{n}': run 'hsm remove {n}'.");
            }
            catch (CliError) { }
            return Cli.Ok;
        });
        return cmd;
    }

    // ---------------- implies ----------------

    private static (ComponentKind Kind, string File) Owner(Workspace ws, RegistryLoader registry, string name, string? option)
    {
        var kinds = option != null ? new[] { ComponentKind.LibraryGroup, ComponentKind.ServiceGroup } : new[] { ComponentKind.Library, ComponentKind.Service };
        foreach (var k in kinds)
            if (registry.Exists(k, name)) return (k, Common.FileOf(registry, k, name)!);
        throw Common.NotInRegistry(name, option != null ? "group" : "library or service", registry.Names.Where(n => kinds.Contains(n.Kind)).Select(n => n.Name));
    }

    /// <summary>The map that holds `implies`: the file's root, or the group option's map.</summary>
    private static PMap Container(YamlText doc, string label, string? option)
    {
        var root = doc.Root as PMap ?? throw new CliError(Codes.CannotEdit, new SourceSpan(label, 1, 1), $"'{label}' is not a map.");
        if (option is null) return root;
        var opts = root.Get("options")?.Value as PSeq;
        var item = opts?.Items.OfType<PMap>().FirstOrDefault(m => (m.Get("name")?.Value as PScalar)?.Value == option);
        if (item is null)
            throw new CliError(Codes.NotInRegistry, new SourceSpan(label, 1, 1), $"Group '{Path.GetFileNameWithoutExtension(label)}' has no option '{option}' (written as a '- name: {option}' map).");
        return item;
    }

    private static void CheckTarget(RegistryLoader registry, string target, string[] values)
    {
        int colon = target.IndexOf(':');
        var kindWord = colon > 0 ? target[..colon] : "";
        var name = colon > 0 ? target[(colon + 1)..] : "";
        var kind = kindWord switch { "service" => ComponentKind.Service, "library_group" => ComponentKind.LibraryGroup, "service_group" => ComponentKind.ServiceGroup, _ => (ComponentKind?)null };
        if (kind is null || name.Length == 0)
            throw new UsageException($"The target must be service:<name>, library_group:<group> or service_group:<group>, not '{target}'.");
        if (!registry.Exists(kind.Value, name))
            throw Common.NotInRegistry(name, Common.KindWord(kind.Value), registry.NamesOf(kind.Value));
        if (kind == ComponentKind.Service)
        {
            foreach (var v in values)
                if (v.IndexOf('=') <= 0) throw new UsageException($"Params of a service target are KEY=VALUE, not '{v}'.");
        }
        else
        {
            if (values.Length == 0) throw new UsageException($"Name the option(s) of '{name}' to select.");
            var g = registry.Group(kind.Value, name)!;
            foreach (var v in values)
                if (!g.Options.Any(o => o.Name == v))
                    throw new CliError(Codes.BadSelection, new SourceSpan("hsm", 0, 0), $"'{v}' is not an option of group '{name}'.{Suggest.DidYouMean(v, g.Options.Select(o => o.Name))}");
        }
    }

    private static Command ImpliesAdd(Cli cli)
    {
        var name = new Argument<string>("name") { Description = "A library or service (or, with --option, a group)." };
        var target = new Argument<string>("target") { Description = "service:<name>, library_group:<group> or service_group:<group>." };
        var values = new Argument<string[]>("values") { Arity = ArgumentArity.ZeroOrMore, Description = "KEY=VALUE params for a service; option name(s) for a group." };
        var option = new Option<string?>("--option", "-o") { Description = "The group option that implies (name is then a group)." };
        var cmd = new Command("add", "Set an implies entry (replacing one for the same target).") { name, target, values, option };
        cmd.SetAction(r =>
        {
            var ws = cli.Workspace(r);
            var (registry, _) = ws.LoadRegistry();
            var n = r.GetValue(name)!; var t = r.GetValue(target)!; var v = r.GetValue(values) ?? Array.Empty<string>(); var o = r.GetValue(option);
            var (kind, file) = Owner(ws, registry, n, o);
            CheckTarget(registry, t, v);
            object value = t.StartsWith("service:", StringComparison.Ordinal)
                ? new YFlow(v.Length == 0 ? new YMap() : new YMap { { "params", Params(v) } })
                : v.Length == 1 ? v[0] : new YFlow(new YList(v));
            return EditRegistryFile(ws, registry.Folders, kind, file, o, (doc, container, ed) =>
            {
                var implies = container.Get("implies");
                if (implies is null) return ed.Insert(container, "implies", container.Flow ? new YFlow(new YMap { { t, value } }) : new YMap { { t, value } }, null, "conflicts", "dependencies");
                if (implies.Value is PScalar { IsNull: true }) return ed.FillNull(container, implies, new YMap { { t, value } });
                if (implies.Value is not PMap im) throw new EditException("'implies' is not a map.", implies.Value.Start);
                if (im.Entries.Count == 0 && !im.Flow) throw new EditException("'implies' is empty.", im.Start);
                return ed.Set(im, t, value);
            });
        });
        return cmd;
    }

    private static YMap Params(string[] values)
    {
        var m = new YMap();
        foreach (var kv in values) { int eq = kv.IndexOf('='); m.Add(kv[..eq], kv[(eq + 1)..]); }
        return m;
    }

    private static Command ImpliesRemove(Cli cli)
    {
        var name = new Argument<string>("name");
        var target = new Argument<string>("target");
        var option = new Option<string?>("--option", "-o") { Description = "The group option (name is then a group)." };
        var cmd = new Command("remove", "Remove an implies entry.") { name, target, option };
        cmd.SetAction(r =>
        {
            var ws = cli.Workspace(r);
            var (registry, _) = ws.LoadRegistry();
            var n = r.GetValue(name)!; var t = r.GetValue(target)!; var o = r.GetValue(option);
            var (kind, file) = Owner(ws, registry, n, o);
            return EditRegistryFile(ws, registry.Folders, kind, file, o, (doc, container, ed) =>
            {
                var im = container.Get("implies")?.Value as PMap;
                if (im?.Get(t) is null) throw new CliError(Codes.NotInRegistry, new SourceSpan(ws.Label(file), 1, 1), $"'{n}'{(o != null ? $" option '{o}'" : "")} has no implies entry '{t}'.{Suggest.DidYouMean(t, im?.Entries.Select(e => e.Key.Value) ?? Array.Empty<string>())}");
                if (im.Entries.Count == 1 && !container.Flow) return ed.Remove(container, "implies");
                return ed.Remove(im, t);
            });
        });
        return cmd;
    }

    private static int EditRegistryFile(Workspace ws, IReadOnlyList<string> folders, ComponentKind kind, string file, string? option, Func<YamlText, PMap, YamlEditor, YamlText> edit)
    {
        var label = ws.Label(file);
        var doc = Workspace.ReadYaml(file, label);
        YamlText edited;
        try { edited = edit(doc, Container(doc, label, option), new YamlEditor(doc)); }
        catch (EditException e) { throw Common.CannotEdit(doc, label, e); }
        if (edited.Text == doc.Text) { ws.Out.WriteLine($"{label} already says so; nothing changed."); return Cli.Ok; }
        // No new problem: the edited file loads with no more warnings than before, and no error.
        var before = new DiagnosticBag();
        var stem = Path.GetFileNameWithoutExtension(file).ToLowerInvariant();
        if (SafeYamlLoader.LoadText(doc.Text, label, before) is { } r0) ManifestParser.Parse(kind, stem, r0, label, before);
        var after = new DiagnosticBag();
        if (SafeYamlLoader.LoadText(edited.Text, label, after) is { } r1) ManifestParser.Parse(kind, stem, r1, label, after);
        if (after.HasErrors || after.Items.Count(x => x.Severity == Severity.Warning) > before.Items.Count(x => x.Severity == Severity.Warning))
            throw new CliError(after.Items.Where(x => x.Severity != Severity.Message).Prepend(new Diagnostic(Codes.RegistryFileInvalid, Severity.Error, "The edited registry file would not load cleanly; nothing was written.", new SourceSpan(label, 1, 1))));
        ws.Replace(file, doc.Text, edited.ToBytes(), [ws.Directory, .. folders]);
        ws.Out.WriteLine($"Updated {label}.");
        return Cli.Ok;
    }

    // ---------------- validate ----------------

    private static Command Validate(Cli cli)
    {
        var cmd = new Command("validate", "Load every registry file (not only those the stack uses) and report every problem.");
        cmd.SetAction(r =>
        {
            var ws = cli.Workspace(r);
            var d = new DiagnosticBag();
            var manifest = File.Exists(ws.ManifestPath) ? ws.ParseManifest(ws.ReadManifestText(), new DiagnosticBag()) : null;
            var folders = ws.RegistryFolders(manifest, d);
            var registry = new RegistryLoader(folders, ws.Label, d);
            registry.LoadAll();
            int code = cli.Report(d.Items);
            int files = registry.Names.Count();
            ws.Out.WriteLine(code == 0
                ? $"The registry ({string.Join(", ", folders.Select(ws.Label))}) is valid: {files} file(s), {d.Items.Count(x => x.Severity == Severity.Warning)} warning(s)."
                : $"The registry has {d.ErrorCount} error(s).");
            return code;
        });
        return cmd;
    }
}
