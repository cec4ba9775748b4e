using Hsm.Diagnostics;
using Hsm.Manifest;
using Hsm.Yaml;

namespace Hsm.Registry;

/// <summary>Turns a registry file's YAML into a component or group manifest (design §3), reporting every problem.</summary>
public static class ManifestParser
{
    private static readonly string[] CommonSourceFields = { "type", "package" };
    private static readonly string[] ContainerFields = { "ports", "volumes", "env", "env_file", "container_name", "network_aliases" };

    /// <summary>Null when the file is not a map at all (already reported): the component counts as unreadable.</summary>
    public static object? Parse(ComponentKind kind, string stem, YNode root, string label, DiagnosticBag d)
    {
        if (root is not YMapping)
        {
            Top(root, kind switch { ComponentKind.Library => $"library '{stem}'", ComponentKind.Service => $"service '{stem}'", _ => $"group '{stem}'" }, d);
            return null;
        }
        return kind switch
        {
            ComponentKind.Library => ParseLibrary(stem, root, label, d),
            ComponentKind.Service => ParseService(stem, root, label, d),
            _ => ParseGroup(kind, stem, root, label, d),
        };
    }

    private static MapReader? Top(YNode root, string what, DiagnosticBag d, params string[] known)
    {
        var r = MapReader.For(root, what, d, known);
        if (r is null && root is YScalar { IsNull: true }) d.Error(Codes.EmptyDocument, new SourceSpan(root.File, 1, 1), $"{what} is empty.");
        return r;
    }

    private static void CheckName(MapReader r, string stem, ComponentKind kind, DiagnosticBag d)
    {
        var n = r.Scalar("name");
        if (n is null) return; // the file stem is the name
        if (RegistryLoader.NormalizeName(kind, n.Value) != RegistryLoader.NormalizeName(kind, stem))
            d.Error(Codes.NameMismatch, n.Span, $"'name: {n.Value}' differs from the file name '{stem}.yaml'; the file name is the component's name. Rename one so they agree.");
    }

    public static LibraryManifest ParseLibrary(string stem, YNode root, string label, DiagnosticBag d)
    {
        var m = new LibraryManifest { Name = stem, File = label };
        var r = Top(root, $"library '{stem}'", d, "name", "version", "description", "sources", "implies", "conflicts", "dependencies", "type", "entrypoints");
        if (r is null) return m;
        CheckName(r, stem, ComponentKind.Library, d);
        r.String("version");
        m.Description = r.String("description");
        r.Ignore("type", "entrypoints");
        r.ScalarList("dependencies"); // only meaningful for services; accepted for compatibility
        ReadSources(r, m, isService: false, d);
        ReadImplies(r.Node("implies"), m.Implies, $"library '{stem}'", d);
        m.Conflicts.AddRange(Names(r.ScalarList("conflicts")));
        r.Finish();
        return m;
    }

    public static ServiceManifest ParseService(string stem, YNode root, string label, DiagnosticBag d)
    {
        var m = new ServiceManifest { Name = stem, File = label };
        var r = Top(root, $"service '{stem}'", d, "name", "version", "description", "sources", "implies", "conflicts", "dependencies",
            "container_name", "network_aliases", "ports", "volumes", "env", "env_file", "healthcheck", "depends_on", "command", "compose",
            "deployment_profiles", "type", "entrypoints", "library_groups", "allow_privileged");
        if (r is null) return m;
        var risky = new List<RiskyFinding>();
        CheckName(r, stem, ComponentKind.Service, d);
        r.String("version");
        m.Description = r.String("description");
        r.Ignore("type", "entrypoints", "library_groups");
        m.ContainerName = Checked(r.Scalar("container_name"), Grammars.CheckContainerName, Codes.InvalidContainerName, "container_name", d);
        m.NetworkAliases.AddRange(Strings(CheckedList(r.ScalarList("network_aliases"), Grammars.CheckNetworkAlias, Codes.InvalidNetworkAlias, "network alias", d)));
        m.Ports.AddRange(Strings(CheckedList(r.ScalarList("ports"), Grammars.CheckPort, Codes.InvalidPort, "port", d)));
        AddVolumes(r, m.Volumes, m.VolumeSpans, risky);
        m.Env.AddRange(Pairs(CheckedEnv(r.ScalarMap("env"), "env", d)));
        m.EnvFiles.AddRange(Names(r.ScalarList("env_file", allowSingle: true)).Select(p => new Located<string>(NormalizePath(p.Value), p.Span)));
        m.Healthcheck = r.Json("healthcheck");
        if (r.Node("healthcheck") is YMapping hcMap) ComposeBlock.CheckHealthcheck(hcMap, "healthcheck", stem, d);
        else if (r.Node("healthcheck") is { } hc) d.Error(Codes.WrongType, hc.Span, "'healthcheck' must be a map (test, interval, retries, ...).");
        m.Command = r.Json("command");
        if (r.Node("command") is YMapping cm) d.Error(Codes.WrongType, cm.Span, "'command' must be a string or a list of strings.");
        if (r.Node("compose") is { } compose)
        {
            if (compose is YMapping cmap) { m.Compose = (System.Text.Json.Nodes.JsonObject)cmap.ToJson(); risky.AddRange(RiskySettings.InCompose(cmap)); ComposeBlock.Check(cmap, stem, d);
                // compose: keys that pass through unchanged follow the same grammars as hsm's own fields
                if (cmap["image"] is YScalar ci && !ci.IsNull && Grammars.CheckImage(ci.Value) is { } badImage)
                    d.Error(Codes.InvalidImageReference, ci.Span, $"'compose.image: {ci.Value}' is not a valid image reference: {badImage}.");
                Checked(cmap["container_name"] as YScalar, Grammars.CheckContainerName, Codes.InvalidContainerName, "compose.container_name", d); }
            else d.Error(Codes.WrongType, compose.Span, "'compose' must be a map of Compose service keys.");
        }
        m.DependsOn.AddRange(Names(r.ScalarList("depends_on")));
        ReadDependencies(r, m, d);
        ReadSources(r, m, isService: true, d, risky);
        ReadProfiles(r, m, d);
        CheckReservedServiceName(r, m, stem, label, d);
        ReadImplies(r.Node("implies"), m.Implies, $"service '{stem}'", d);
        m.Conflicts.AddRange(Names(r.ScalarList("conflicts")));
        m.AllowPrivileged = RiskySettings.Report(stem, label, r.ScalarList("allow_privileged", allowSingle: true), risky, d);
        r.Finish();
        return m;
    }

    /// <summary>
    /// A uv-runtime service writes <c>.env.&lt;name&gt;</c> into the project: a name that would take
    /// Hsm's own or a commonly user-owned env file is rejected (design §9). <c>hsm.*</c> is reserved for
    /// every service.
    /// </summary>
    private static void CheckReservedServiceName(MapReader r, ServiceManifest m, string stem, string label, DiagnosticBag d)
    {
        if (!EnvNames.IsReservedServiceName(stem)) return;
        var hsmPrefix = stem.StartsWith("hsm.", StringComparison.OrdinalIgnoreCase);
        if (!hsmPrefix && !m.Profiles.Values.Any(p => p.Runtime == "uv")) return;
        d.Error(Codes.ReservedServiceName, r.Scalar("name")?.Span ?? new SourceSpan(label, 1, 1),
            $"Service name '{stem}' is reserved: {(hsmPrefix ? "names beginning with 'hsm.' are Hsm's own" : "as a uv-runtime service it would write '.env." + stem.ToLowerInvariant() + "', a file name reserved for Hsm or commonly used for your own settings")}. Rename '{stem}.yaml' (and its references).");
    }

    private static void ReadDependencies(MapReader r, ServiceManifest m, DiagnosticBag d)
    {
        var node = r.Node("dependencies");
        if (node is null) return;
        if (node is not YSequence seq) { d.Error(Codes.WrongType, node.Span, "'dependencies' must be a list."); return; }
        foreach (var item in seq.Items)
        {
            if (item is YScalar s && !s.IsNull)
            {
                if (Grammars.CheckRequirement(s.Value) is { } why) d.Error(Codes.InvalidRequirement, s.Span, $"Dependency '{s.Value}' is not a PEP 508 requirement: {why}.");
                else m.Dependencies.Add(new(s.Value, s.Span));
                continue;
            }
            var ir = MapReader.For(item, "a dependency", d, "name", "version");
            if (ir is null) continue;
            var name = ir.Scalar("name");
            var version = ir.String("version");
            if (name is null) d.Error(Codes.MissingField, item.Span, "A dependency needs a 'name'.");
            else if (!Grammars.Identifier().IsMatch(name.Value)) d.Error(Codes.InvalidRequirement, name.Span, $"Dependency name '{name.Value}' is not a PEP 508 distribution name.");
            else if (version is not (null or "*") && Grammars.CheckRequirement($"{name.Value}=={version}") != null) d.Error(Codes.InvalidRequirement, ir.Scalar("version")!.Span, $"Dependency version '{version}' of '{name.Value}' is not a PEP 440 version.");
            else m.Dependencies.Add(new(version is null or "*" ? name.Value : $"{name.Value}=={version}", name.Span));
            ir.Finish();
        }
    }

    private static void ReadProfiles(MapReader r, ServiceManifest m, DiagnosticBag d)
    {
        var pr = MapReader.For(r.Map["deployment_profiles"], "'deployment_profiles'", d);
        if (pr is null) return;
        foreach (var (k, v) in pr.Map.Entries)
        {
            var p = new DeploymentProfile { Name = k.Value, Span = k.Span };
            var x = v is YScalar { IsNull: true } ? null : MapReader.For(v, $"profile '{k.Value}'", d, "mode", "runtime", "external", "env", "command", "working_dir", "ports");
            if (x != null)
            {
                x.Ignore("ports");
                // command / working_dir: how a uv-runtime service runs as a process (docs/run.md); a container
                // profile's command is not used (the service-level `command` is the container's).
                p.Command = x.Json("command");
                if (x.Node("command") is Hsm.Yaml.YMapping pcm) d.Error(Codes.WrongType, pcm.Span, "'command' must be a string or a list of strings.");
                var wd = x.Scalar("working_dir");
                p.WorkingDir = wd?.Value;
                var mode = x.Scalar("mode");
                if (mode != null)
                {
                    if (mode.Value is "managed" or "external") p.Mode = mode.Value;
                    else d.Error(Codes.InvalidValue, mode.Span, $"Profile mode must be managed or external, not '{mode.Value}'.{Suggest.DidYouMean(mode.Value, new[] { "managed", "external" })}");
                }
                var rt = x.Scalar("runtime");
                if (rt != null)
                {
                    if (rt.Value is "docker" or "podman" or "uv") p.Runtime = rt.Value;
                    else d.Error(Codes.InvalidValue, rt.Span, $"Runtime must be docker, podman or uv, not '{rt.Value}'.{Suggest.DidYouMean(rt.Value, new[] { "docker", "podman", "uv" })}");
                }
                if (p.Runtime != "uv")
                    foreach (var key in new[] { "command", "working_dir" })
                        if (x.KeyNode(key) is YScalar kn)
                            d.Warning(Codes.IgnoredField, kn.Span, $"'{key}' of profile '{k.Value}' is used only when the profile's runtime is uv (a process run by `dotnet run`/HsmUp); a container's command is the service-level 'command'. It is ignored here.");
                p.External.AddRange(Pairs(x.ScalarMap("external")));
                p.Env.AddRange(Pairs(CheckedEnv(x.ScalarMap("env"), $"deployment_profiles.{k.Value}.env", d)));
                if (p.Mode == "external" && p.External.Count == 0)
                    d.Warning(Codes.MissingField, p.Span, $"External profile '{k.Value}' has no 'external' map (host, port): no connection variables can be written for it.");
                x.Finish();
            }
            m.Profiles[k.Value] = p;
        }
    }

    private static void ReadSources(MapReader r, ComponentManifest m, bool isService, DiagnosticBag d, List<RiskyFinding>? risky = null)
    {
        var sr = MapReader.For(r.Map["sources"], "'sources'", d, "prod", "dev");
        if (sr is null) return;
        foreach (var key in new[] { "prod", "dev" })
        {
            var node = sr.Node(key);
            if (node is null) continue;
            var src = ReadSource(node, key, m.Name, isService, d, risky);
            if (src != null) m.Sources[key] = src;
        }
        sr.Finish();
    }

    private static SourceDef? ReadSource(YNode node, string key, string component, bool isService, DiagnosticBag d, List<RiskyFinding>? risky)
    {
        string what = $"source '{key}' of '{component}'";
        var probe = MapReader.For(node, what, d);
        if (probe is null) return null;
        var typeNode = probe.Scalar("type");
        if (typeNode is null) { d.Error(Codes.MissingField, node.Span, $"The {what} needs a 'type'."); return null; }
        string[] types = isService ? new[] { "docker-image", "build", "local", "git" } : new[] { "pypi", "git", "local" };
        if (!types.Contains(typeNode.Value))
        {
            d.Error(Codes.InvalidSource, typeNode.Span, $"Source type '{typeNode.Value}' is not valid for a {(isService ? "service" : "library")}; use one of {string.Join(", ", types)}.{Suggest.DidYouMean(typeNode.Value, types)}");
            return null;
        }
        var r = new MapReader(probe.Map, what, d, SourceFields(typeNode.Value, isService));
        if (typeNode.Value == "pypi") r.Ignore("name");
        var s = new SourceDef { Key = key, Type = typeNode.Value };
        s.Package = r.String("package");
        if (s.Package != null && !RegistryLoader.IsValidName(s.Package))
            d.Error(Codes.InvalidName, r.Scalar("package")!.Span, $"'package: {s.Package}' is not a valid distribution name.");
        switch (s.Type)
        {
            case "pypi": ReadPypi(r, s, d); break;
            case "git": ReadGit(r, s, d); break;
            case "local":
                ReadPath(r, s, d, required: true);
                s.Editable = r.Bool("editable");
                if (r.Has("url")) { ReadUrl(r, s, d, required: false); s.RefKind = "ref"; }
                if (r.Has("ref")) s.Ref = ReadRef(r, "ref", d);
                ReadDockerfile(r, s);
                break;
            case "build":
                ReadPath(r, s, d, required: true);
                ReadDockerfile(r, s);
                break;
            case "docker-image":
                s.Image = r.String("image");
                if (!string.IsNullOrWhiteSpace(s.Image) && Grammars.CheckImage(s.Image) is { } badImage)
                    d.Error(Codes.InvalidImageReference, r.Scalar("image")!.Span, $"'image: {s.Image}' is not a valid image reference: {badImage}.");
                if (string.IsNullOrWhiteSpace(s.Image) && r.Node("image") is null or YScalar) d.Error(Codes.MissingField, node.Span, $"The {what} (docker-image) needs an 'image'.");
                break;
        }
        if (isService) ReadContainerFields(r, s, key, d, risky);
        r.Finish();
        return s;
    }

    /// <summary>The keys a source of a type may have.</summary>
    private static string[] SourceFields(string type, bool isService)
    {
        var fields = new List<string>(CommonSourceFields);
        switch (type)
        {
            case "pypi": fields.AddRange(new[] { "version", "extras", "markers", "name" }); break;
            case "git": fields.AddRange(new[] { "url", "ref", "tag", "branch", "rev", "subdirectory" }); break;
            case "local": fields.AddRange(new[] { "path", "editable", "url", "ref", "dockerfile" }); break;
            case "build": fields.AddRange(new[] { "path", "dockerfile" }); break;
            case "docker-image": fields.Add("image"); break;
        }
        if (isService) fields.AddRange(ContainerFields);
        return fields.ToArray();
    }

    private static void ReadPypi(MapReader r, SourceDef s, DiagnosticBag d)
    {
        s.Version = r.String("version")?.Trim();
        if (s.Version is "" or "*") s.Version = null; // any version
        else if (s.Version != null)
        {
            // a bare version such as 1.2.0 means ==1.2.0 (what a user of pip would expect)
            if (Grammars.IsPep440Version(s.Version)) s.Version = "==" + s.Version;
            else if (!Grammars.IsVersionSpecifier(s.Version))
                d.Error(Codes.InvalidSource, r.Scalar("version")!.Span, $"'version: {s.Version}' is not a PEP 440 version specifier (e.g. \">=1.0,<2\", \"==1.2.0\" or a bare 1.2.0 meaning ==1.2.0).");
        }
        var extras = r.ScalarList("extras", allowSingle: true);
        if (extras != null)
        {
            s.Extras = new();
            foreach (var x in extras)
            {
                if (Grammars.Identifier().IsMatch(x.Value)) s.Extras.Add(x.Value);
                else d.Error(Codes.InvalidSource, x.Span, $"Extra '{x.Value}' is not a PEP 508 extra name (letters and digits, with '.', '_' or '-' only between them).");
            }
        }
        var markers = r.Scalar("markers");
        if (markers != null && Grammars.CheckMarker(markers.Value) is { } bad)
            d.Error(Codes.InvalidRequirement, markers.Span, $"'markers: {markers.Value}' is not a PEP 508 environment marker: {bad}.");
        else s.Markers = markers?.Value;
    }

    private static void ReadGit(MapReader r, SourceDef s, DiagnosticBag d)
    {
        ReadUrl(r, s, d, required: true);
        var refs = new[] { "ref", "tag", "branch", "rev" }.Where(r.Has).ToList();
        if (refs.Count > 1) d.Error(Codes.InvalidSource, r.KeyNode(refs[1])!.Span, $"A git source takes one of ref, tag, branch or rev, not {string.Join(" and ", refs)}.");
        if (refs.Count >= 1) { s.RefKind = refs[0]; s.Ref = ReadRef(r, refs[0], d); }
        s.Subdirectory = NormalizePathOrNull(r.String("subdirectory"));
    }

    private static void ReadDockerfile(MapReader r, SourceDef s)
    {
        s.Dockerfile = r.String("dockerfile");
        s.DockerfileSpan = r.Scalar("dockerfile")?.Span ?? default;
    }

    /// <summary>The container keys a service's source may set over the service's own.</summary>
    private static void ReadContainerFields(MapReader r, SourceDef s, string key, DiagnosticBag d, List<RiskyFinding>? risky)
    {
        s.ContainerName = Checked(r.Scalar("container_name"), Grammars.CheckContainerName, Codes.InvalidContainerName, "container_name", d);
        s.Ports.AddRange(Strings(CheckedList(r.ScalarList("ports"), Grammars.CheckPort, Codes.InvalidPort, "port", d)));
        AddVolumes(r, s.Volumes, s.VolumeSpans, risky);
        s.NetworkAliases.AddRange(Strings(CheckedList(r.ScalarList("network_aliases"), Grammars.CheckNetworkAlias, Codes.InvalidNetworkAlias, "network alias", d)));
        s.Env.AddRange(Pairs(CheckedEnv(r.ScalarMap("env"), $"sources.{key}.env", d)));
        s.EnvFiles.AddRange(Names(r.ScalarList("env_file", allowSingle: true)).Select(p => new Located<string>(NormalizePath(p.Value), p.Span)));
    }

    private static void ReadPath(MapReader r, SourceDef s, DiagnosticBag d, bool required)
    {
        var p = r.Scalar("path");
        if (p is null || p.Value.Trim().Length == 0)
        {
            if (required) d.Error(Codes.MissingField, r.Map.Span, $"A {s.Type} source needs a 'path'.");
            return;
        }
        s.Path = NormalizePath(p.Value);
        s.PathSpan = p.Span;
    }

    private static readonly System.Text.RegularExpressions.Regex AllowedUrl = new(@"^(https?://|ssh://|git://|file://|git@[^:]+:|[A-Za-z0-9_.-]+@[^:/]+:)", System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    private static void ReadUrl(MapReader r, SourceDef s, DiagnosticBag d, bool required)
    {
        var u = r.Scalar("url");
        if (u is null || u.Value.Trim().Length == 0)
        {
            if (required) d.Error(Codes.MissingField, r.Map.Span, $"A {s.Type} source needs a 'url'.");
            return;
        }
        var v = u.Value.Trim();
        bool localPath = Paths.ProjectPaths.IsAbsolute(v) || v.StartsWith("./") || v.StartsWith("../");
        if (v.StartsWith('-') || (!AllowedUrl.IsMatch(v) && !localPath))
            d.Error(Codes.InvalidSource, u.Span, $"'url: {v}' is not a supported git URL (https://, ssh://, git@host:path, file:// or a local path).");
        s.Url = v;
    }

    private static string? ReadRef(MapReader r, string key, DiagnosticBag d)
    {
        var n = r.Scalar(key);
        if (n is null) return null;
        if (n.Value.StartsWith('-') || n.Value.Any(char.IsWhiteSpace) || n.Value.Length == 0)
        {
            d.Error(Codes.InvalidSource, n.Span, $"'{key}: {n.Value}' is not a valid git reference (it must not start with '-' or contain spaces).");
            return null;
        }
        return n.Value;
    }

    /// <summary>A path as written in a registry file, trimmed and normalised (<see cref="Paths.ProjectPaths.Normalize"/>).</summary>
    public static string NormalizePath(string path) => Paths.ProjectPaths.Normalize(path.Trim());

    private static string? NormalizePathOrNull(string? p) => p is null ? null : NormalizePath(p);

    public static GroupManifest ParseGroup(ComponentKind kind, string stem, YNode root, string label, DiagnosticBag d)
    {
        var g = new GroupManifest { Name = stem, File = label, Kind = kind };
        var r = Top(root, $"group '{stem}'", d, "name", "type", "strategy", "comment", "default", "options", "description");
        if (r is null) return g;
        CheckName(r, stem, kind, d);
        r.Ignore("description");
        var type = r.Scalar("type");
        var expected = kind == ComponentKind.LibraryGroup ? "library_group" : "service_group";
        if (type != null && type.Value != expected && !(type.Value == "container_group" && kind == ComponentKind.ServiceGroup) && type.Value != "group")
            d.Error(Codes.InvalidValue, type.Span, $"'type: {type.Value}' does not match the folder: a file in {RegistryLoader.FolderOf(kind)}/ is a {expected}.");
        var st = r.Scalar("strategy");
        if (st != null)
        {
            if (st.Value is "1-of-N" or "M-of-N") g.Strategy = st.Value;
            else d.Error(Codes.StrategyMismatch, st.Span, $"'strategy' must be 1-of-N or M-of-N, not '{st.Value}'.{Suggest.DidYouMean(st.Value, new[] { "1-of-N", "M-of-N" })}");
        }
        g.Comment = r.String("comment");
        ReadDefault(r, g, stem, d);

        var opts = r.Node("options");
        if (opts is null) d.Error(Codes.MissingField, root.Span, $"Group '{stem}' needs 'options'.");
        else if (opts is not YSequence seq) d.Error(Codes.WrongType, opts.Span, "'options' must be a list.");
        else
            foreach (var item in seq.Items)
                if (ReadOption(item, g, stem, d) is { } o) g.Options.Add(o);
        r.Finish();
        return g;
    }

    private static void ReadDefault(MapReader r, GroupManifest g, string stem, DiagnosticBag d)
    {
        var def = r.Node("default");
        if (def is YScalar ds) { g.Default = new() { new(ds.Value, ds.Span) }; g.DefaultSpan = ds.Span; }
        else if (def is YSequence) { g.Default = Names(r.ScalarList("default")).ToList(); g.DefaultSpan = def.Span; }
        if (g.Default != null) g.Default = g.Default.Where(x => Manifest.ManifestReader.CheckName(new YScalar { File = x.Span.File ?? "", Line = x.Span.Line, Column = x.Span.Column, Value = x.Value }, $"the default of group '{stem}'", d)).ToList();
        else if (def is YMapping) d.Error(Codes.WrongType, def.Span, "'default' must be an option name or a list of names.");
        if (g.Default != null && !g.IsMany && g.Default.Count > 1)
            d.Error(Codes.BadSelection, g.DefaultSpan, $"Group '{stem}' is 1-of-N, so its default must be a single option, not a list of {g.Default.Count}.");
    }

    /// <summary>One item of a group's options: a name, or a {name, description, implies, conflicts} map; null when it is not valid (reported).</summary>
    private static GroupOption? ReadOption(YNode item, GroupManifest g, string stem, DiagnosticBag d)
    {
        if (item is YScalar s && !s.IsNull)
            return OptionName(s, g, stem, d) ? new GroupOption { Name = s.Value, Span = s.Span } : null;
        if (item is YScalar) { d.Error(Codes.WrongType, item.Span, $"An option of group '{stem}' is empty; give a name or a {{name, description, implies}} map."); return null; }
        var or = MapReader.For(item, $"an option of group '{stem}'", d, "name", "description", "implies", "conflicts");
        if (or is null) return null;
        var name = or.Scalar("name");
        if (name is null) { d.Error(Codes.MissingField, item.Span, $"An option of group '{stem}' needs a 'name'."); or.Finish(); return null; }
        if (!OptionName(name, g, stem, d)) { or.Finish(); return null; }
        var o = new GroupOption { Name = name.Value, Span = name.Span, Description = or.String("description") };
        ReadImplies(or.Node("implies"), o.Implies, $"option '{name.Value}' of group '{stem}'", d);
        o.Conflicts.AddRange(Names(or.ScalarList("conflicts")));
        or.Finish();
        return o;
    }

    private static bool OptionName(YScalar n, GroupManifest g, string stem, DiagnosticBag d)
    {
        if (!Manifest.ManifestReader.CheckName(n, $"an option of group '{stem}'", d)) return false;
        var member = g.Kind == ComponentKind.LibraryGroup ? ComponentKind.Library : ComponentKind.Service;
        if (g.Options.Any(o => RegistryLoader.NormalizeName(member, o.Name) == RegistryLoader.NormalizeName(member, n.Value)))
        {
            d.Error(Codes.DuplicateKey, n.Span, $"Option '{n.Value}' is listed twice in group '{stem}'.");
            return false;
        }
        return true;
    }

    public static void ReadImplies(YNode? node, List<ImpliesEntry> into, string owner, DiagnosticBag d)
    {
        var r = MapReader.For(node, $"'implies' of {owner}", d);
        if (r is null) return;
        foreach (var (k, v) in r.Map.Entries)
        {
            var colon = k.Value.IndexOf(':');
            var kind = colon > 0 ? k.Value[..colon] : "";
            var target = colon > 0 ? k.Value[(colon + 1)..] : "";
            if (kind == "container_group")
            {
                d.Warning(Codes.LegacyKey, k.Span, $"'container_group:' is a legacy implies target; use 'service_group:{target}'.");
                kind = "service_group";
            }
            if (kind is not ("service" or "library_group" or "service_group") || target.Length == 0)
            {
                d.Error(Codes.WrongType, k.Span, $"Implies key '{k.Value}' must be 'service:<name>', 'library_group:<group>' or 'service_group:<group>'.{(kind.Length > 0 ? Suggest.DidYouMean(kind, new[] { "service", "library_group", "service_group" }) : "")}");
                continue;
            }
            if (!RegistryLoader.IsValidName(target))
            {
                d.Error(Codes.InvalidName, k.Span, $"'{target}' in implies key '{k.Value}' is not a valid name.");
                continue;
            }
            var e = new ImpliesEntry { TargetKind = kind, Target = target.ToLowerInvariant(), Span = k.Span };
            if (kind == "service")
            {
                int before = d.ErrorCount;
                var pr = MapReader.For(v, $"implies '{k.Value}' of {owner}", d, "params");
                if (pr != null)
                {
                    foreach (var p in Pairs(pr.ScalarMap("params"))) e.Params.Add(p);
                    pr.Finish();
                }
                e.Broken = d.ErrorCount > before;
            }
            else
            {
                if (v is YScalar s && !s.IsNull) { if (Manifest.ManifestReader.CheckName(s, $"an option implied by '{k.Value}'", d)) e.Options.Add(new(s.Value, s.Span)); }
                else if (v is YSequence seq)
                    foreach (var item in seq.Items)
                    {
                        if (item is YScalar si && !si.IsNull) { if (Manifest.ManifestReader.CheckName(si, $"an option implied by '{k.Value}'", d)) e.Options.Add(new(si.Value, si.Span)); }
                        else d.Error(Codes.WrongType, item.Span, $"Options implied by '{k.Value}' must be names.");
                    }
                else d.Error(Codes.WrongType, v.Span, $"Implies '{k.Value}' must name an option or a list of options.");
            }
            into.Add(e);
        }
    }

    /// <summary>A scalar checked against its grammar: its value, or null (reported at its node) when invalid.</summary>
    private static string? Checked(YScalar? s, Func<string, string?> check, string code, string what, DiagnosticBag d)
    {
        if (s is null || s.IsNull) return null;
        if (check(s.Value) is not { } why) return s.Value;
        d.Error(code, s.Span, $"'{what}: {s.Value}' is not valid: {why}.");
        return null;
    }

    private static List<YScalar>? CheckedList(List<YScalar>? list, Func<string, string?> check, string code, string what, DiagnosticBag d) =>
        list?.Where(s => Checked(s, check, code, what, d) != null).ToList();

    private static List<(YScalar Key, YScalar Value)>? CheckedEnv(List<(YScalar Key, YScalar Value)>? env, string where, DiagnosticBag d)
    {
        if (env is null) return null;
        var ok = new List<(YScalar, YScalar)>();
        foreach (var (k, v) in env)
        {
            if (Grammars.CheckEnvKey(k.Value) is { } why) d.Error(Codes.InvalidEnvKey, k.Span, $"'{k.Value}' in {where} is not a valid environment variable name: {why}.");
            else ok.Add((k, v));
        }
        return ok;
    }

    private static void AddVolumes(MapReader r, List<string> volumes, List<SourceSpan> spans, List<RiskyFinding>? risky)
    {
        foreach (var v in r.ScalarList("volumes") ?? new())
        {
            if (risky != null && RiskySettings.InVolume(v) is { } f) risky.Add(f);
            volumes.Add(v.Value);
            spans.Add(v.Span);
        }
    }

    private static IEnumerable<string> Strings(List<YScalar>? list) => list?.Select(s => s.Value) ?? Enumerable.Empty<string>();
    private static IEnumerable<Located<string>> Names(List<YScalar>? list) => list?.Select(s => new Located<string>(s.Value, s.Span)) ?? Enumerable.Empty<Located<string>>();
    private static IEnumerable<(string, string, SourceSpan)> Pairs(List<(YScalar Key, YScalar Value)>? list) =>
        list?.Select(p => (p.Key.Value, p.Value.Value, p.Key.Span)) ?? Enumerable.Empty<(string, string, SourceSpan)>();
}
