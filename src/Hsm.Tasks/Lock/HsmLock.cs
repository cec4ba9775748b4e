using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Python;
using Hsm.Yaml;
using E = Hsm.Compose;

namespace Hsm.Lock;

/// <summary>
/// hsm.lock (design §5.5): the resolved stack (no line numbers, no absolute paths, no timestamps), the
/// pyproject entries hsm owns, and the sha256 of each generated Compose and .env* file. Committed.
/// </summary>
public sealed class HsmLock
{
    /// <summary>Size limit of hsm.lock when it is read back (a generated file: far above what a 10,000-component stack writes).</summary>
    public const int LockMaxBytes = 64 * 1024 * 1024;

    public const string Header = "# hsm.lock: the stack Hsm.Sdk resolved and the entries it owns. Commit it; do not edit.";

    public sealed class StackEntry
    {
        public string Kind { get; set; } = "";
        public string Name { get; set; } = "";
        public string Mode { get; set; } = "";
        public string Source { get; set; } = "";
        public string? Profile { get; set; }
        public List<string> Origin { get; set; } = new();
    }

    public List<StackEntry> Stack { get; } = new();
    /// <summary>pyproject label (project-relative) → owned entries.</summary>
    public SortedDictionary<string, OwnedPyProject> Owned { get; } = new(StringComparer.Ordinal);
    /// <summary>generated file label → sha256.</summary>
    public SortedDictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>A lock with the same stack, owned entries and file records (the entries are shared, the collections are not).</summary>
    public HsmLock Copy()
    {
        var copy = new HsmLock { Invalid = Invalid };
        copy.Stack.AddRange(Stack);
        foreach (var (k, v) in Owned) copy.Owned[k] = v;
        foreach (var (k, v) in Files) copy.Files[k] = v;
        return copy;
    }

    public static List<StackEntry> StackOf(ResolvedStack stack) =>
        stack.Libraries.Select(l => new StackEntry { Kind = "library", Name = l.Name, Mode = l.Mode, Source = l.Source.Type, Origin = l.Origins.Select(o => o.Path).ToList() })
        .Concat(stack.Services.Select(s => new StackEntry { Kind = "service", Name = s.Name, Mode = s.Mode, Source = s.Source?.Type ?? "external", Profile = s.Profile, Origin = s.Origins.Select(o => o.Path).ToList() }))
        .OrderBy(e => e.Kind, StringComparer.Ordinal).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();

    /// <summary>The lock as YAML: block style, every string double-quoted, keys in a fixed order (the Compose file's emitter).</summary>
    public string Write()
    {
        static E.YScalar Str(string v) => E.YamlEmitter.Str(v, composeValue: false);
        var root = new E.YMap().Add("version", new E.YScalar("1"));
        var stack = new E.YSeq();
        foreach (var e in Stack)
        {
            var m = new E.YMap().Add("kind", Str(e.Kind)).Add("name", Str(e.Name)).Add("mode", Str(e.Mode)).Add("source", Str(e.Source));
            if (e.Profile != null) m.Add("profile", Str(e.Profile));
            stack.Items.Add(m.Add("origin", new E.YSeq(e.Origin.Select(o => (E.YNode)Str(o)).ToList())));
        }
        root.Add("stack", stack);
        var owned = new E.YMap();
        foreach (var (file, o) in Owned.Where(o => o.Value.Entries.Count > 0 || o.Value.Created.Count > 0))
        {
            var entries = new E.YSeq();
            foreach (var e in o.Entries.OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                var m = new E.YMap().Add("name", Str(e.Name)).Add("requirement", Str(e.Requirement));
                if (e.Source != null) m.Add("source", Str(e.Source));
                if (e.TakenOverRequirement != null) m.Add("taken_over_requirement", Str(e.TakenOverRequirement));
                if (e.TakenOverSource != null) m.Add("taken_over_source", Str(e.TakenOverSource));
                entries.Items.Add(m);
            }
            var f = new E.YMap().Add("entries", entries);
            if (o.Created.Count > 0) f.Add("created", new E.YSeq(o.Created.Select(c => (E.YNode)Str(c)).ToList()));
            if (o.AddedFinalNewline) f.Add("added_final_newline", new E.YScalar("true"));
            owned.Add(file, f);
        }
        root.Add("owned", owned);
        var files = new E.YMap();
        foreach (var (f, h) in Files) files.Add(f, Str(h));
        root.Add("files", files);
        return E.YamlEmitter.Write(root, Header);
    }

    /// <summary>The only hsm.lock format this version reads and writes.</summary>
    public const string FormatVersion = "1";

    /// <summary>Where each <c>files:</c> key stands in the hsm.lock that was read (for diagnostics).</summary>
    public Dictionary<string, SourceSpan> FileSpans { get; } = new(StringComparer.Ordinal);

    /// <summary>The structures <see cref="OwnedPyProject.Created"/> may name.</summary>
    public static readonly string[] CreatedStructures = { "project", "project.dependencies", "tool.uv.sources" };

    /// <summary>
    /// Reads hsm.lock; a missing file gives an empty lock. A file that is not YAML is a warning and counts
    /// as missing (hsm then owns nothing and rewrites it). The lock is input, not authority (design §9): an
    /// unknown <c>version:</c>, an unknown key, a value of the wrong shape, a hash that is not a sha256, or an
    /// <c>owned</c> text that is not exactly one PEP 508 string / one single-line TOML value is an error
    /// (HSM4009, HSM4010) at its line and column, and the build stops before anything is written. Which
    /// <c>files:</c> keys may be acted on is decided by the stager, which knows the project's paths.
    /// </summary>
    public static HsmLock Read(string path, string label, DiagnosticBag d)
    {
        var result = new HsmLock();
        if (!System.IO.File.Exists(path)) return result;
        var local = new DiagnosticBag();
        // hsm.lock grows with the stack (about 250 bytes a component: 1 MiB near 4,000 components), so the
        // 1 MiB limit of hand-written YAML would make a large stack's own lock unreadable; the other guards stay.
        var root = SafeYamlLoader.LoadFile(path, label, local, LockMaxBytes);
        if (root is not YMapping map)
        {
            foreach (var x in local.Items) d.Warning(Codes.GeneratedFileEdited, x.Span, $"hsm.lock cannot be read ({x.Message}); it is treated as absent and will be rewritten.");
            if (local.Items.Count == 0 && root is not null)
                d.Warning(Codes.GeneratedFileEdited, root.Span, "hsm.lock is not a map; it is treated as absent and will be rewritten.");
            return result;
        }
        var errorsBefore = d.ErrorCount;
        new LockReader(d, result).Read(map, label);
        if (d.ErrorCount > errorsBefore) result.Invalid = true;
        return result;
    }

    /// <summary>Checks and reads the parts of a loaded hsm.lock into a lock; every problem is an error at its node.</summary>
    private sealed class LockReader(DiagnosticBag d, HsmLock result)
    {
        private void Bad(YNode n, string message) => d.Error(Codes.LockValueInvalid, n.Span, "hsm.lock: " + message + " hsm.lock is checked before use; restore it from version control or delete it (hsm then owns nothing and rewrites it).");

        private void Known(YMapping m, string what, params string[] keys)
        {
            foreach (var (k, _) in m.Entries)
                if (!keys.Contains(k.Value)) Bad(k, $"unknown key '{k.Value}' in {what}.");
        }

        private string? Str(YMapping m, string key, string what, bool required)
        {
            var n = m[key];
            if (n is null) { if (required) Bad(m, $"{what} has no '{key}'."); return null; }
            if (n is YScalar sc && !sc.IsNull) return sc.Value;
            Bad(n, $"'{key}' of {what} must be a string.");
            return null;
        }

        public void Read(YMapping map, string label)
        {
            Known(map, "the top level", "version", "stack", "owned", "files");
            var version = map["version"];
            if (version is null)
                d.Error(Codes.LockVersionUnknown, new SourceSpan(label, 1, 1), $"hsm.lock has no 'version:'; this Hsm.Sdk reads version {FormatVersion} only and does not rewrite a lock it cannot read.");
            else if (version is not YScalar { Value: FormatVersion })
                d.Error(Codes.LockVersionUnknown, version.Span, $"hsm.lock has 'version: {(version as YScalar)?.Value ?? version.KindName}', which this Hsm.Sdk does not know (it reads version {FormatVersion}). Use the Hsm.Sdk version that wrote it, or delete hsm.lock to start over.");
            if (map["stack"] is YNode stackNode) ReadStack(stackNode);
            if (map["owned"] is YNode ownedNode and not YScalar { IsNull: true }) ReadOwned(ownedNode);
            if (map["files"] is YNode filesNode and not YScalar { IsNull: true }) ReadFiles(filesNode);
        }

        private void ReadStack(YNode stackNode)
        {
            if (stackNode is not YSequence stack) { Bad(stackNode, "'stack' must be a list."); return; }
            foreach (var node in stack.Items)
            {
                if (node is not YMapping item) { Bad(node, "every 'stack' entry must be a map."); continue; }
                Known(item, "a stack entry", "kind", "name", "mode", "source", "profile", "origin");
                var origin = new List<string>();
                if (item["origin"] is YNode on)
                {
                    if (on is YSequence os && os.Items.All(o => o is YScalar)) origin = os.Items.Cast<YScalar>().Select(x => x.Value).ToList();
                    else Bad(on, "'origin' must be a list of strings.");
                }
                result.Stack.Add(new StackEntry
                {
                    Kind = Str(item, "kind", "a stack entry", true) ?? "", Name = Str(item, "name", "a stack entry", true) ?? "",
                    Mode = Str(item, "mode", "a stack entry", true) ?? "", Source = Str(item, "source", "a stack entry", true) ?? "",
                    Profile = Str(item, "profile", "a stack entry", false), Origin = origin,
                });
            }
        }

        private void ReadOwned(YNode ownedNode)
        {
            if (ownedNode is not YMapping owned) { Bad(ownedNode, "'owned' must be a map of pyproject.toml files."); return; }
            foreach (var (k, v) in owned.Entries)
            {
                var what = $"owned '{k.Value}'";
                if (v is not YMapping vm) { Bad(v, $"{what} must be a map."); continue; }
                Known(vm, what, "entries", "created", "added_final_newline");
                if (ReadOwnedFile(vm) is { } o) result.Owned[k.Value] = o;
            }
        }

        /// <summary>One pyproject.toml's owned record; null when its 'entries' is not a list (reported).</summary>
        private OwnedPyProject? ReadOwnedFile(YMapping vm)
        {
            var o = new OwnedPyProject();
            if (vm["created"] is YNode cn)
            {
                if (cn is not YSequence created) Bad(cn, "'created' must be a list.");
                else
                    foreach (var c in created.Items)
                        if (c is YScalar cs && CreatedStructures.Contains(cs.Value)) { if (!o.Created.Contains(cs.Value)) o.Created.Add(cs.Value); }
                        else Bad(c, $"'created' may only list {string.Join(", ", CreatedStructures)}.");
            }
            if (vm["added_final_newline"] is YNode fn)
            {
                if (fn is YScalar fs && fs.AsBool() is bool b) o.AddedFinalNewline = b;
                else Bad(fn, "'added_final_newline' must be true or false.");
            }
            if (vm["entries"] is YNode en and not YScalar { IsNull: true })
            {
                if (en is not YSequence entries) { Bad(en, "'entries' must be a list."); return null; }
                foreach (var node in entries.Items)
                {
                    if (node is not YMapping e) { Bad(node, "every owned entry must be a map."); continue; }
                    o.Entries.Add(ReadOwnedEntry(e));
                }
            }
            return o;
        }

        private OwnedEntry ReadOwnedEntry(YMapping e)
        {
            Known(e, "an owned entry", "name", "requirement", "source", "taken_over_requirement", "taken_over_source");
            var name = Str(e, "name", "an owned entry", true);
            if (name != null && !LockTexts.IsDistributionName(name)) { Bad(e["name"]!, $"'{Printable(name)}' is not a distribution name."); name = null; }
            return new OwnedEntry
            {
                Name = name ?? "",
                Requirement = Requirement(e, "requirement", name, true) ?? "",
                TakenOverRequirement = Requirement(e, "taken_over_requirement", name, false),
                Source = Toml(e, "source"),
                TakenOverSource = Toml(e, "taken_over_source"),
            };
        }

        private string? Requirement(YMapping e, string key, string? name, bool required)
        {
            var r = Str(e, key, "an owned entry", required);
            if (r is null || name is null) return r;
            if (LockTexts.IsRequirementFor(r, name)) return r;
            Bad(e[key]!, $"'{key}' is not exactly one PEP 508 requirement for '{name}' ({Printable(r)}); it is never written into pyproject.toml.");
            return null;
        }

        private string? Toml(YMapping e, string key)
        {
            var t = Str(e, key, "an owned entry", false);
            if (t is null || LockTexts.IsSingleLineTomlValue(t)) return t;
            Bad(e[key]!, $"'{key}' is not exactly one single-line TOML value ({Printable(t)}); it is never written into pyproject.toml.");
            return null;
        }

        private void ReadFiles(YNode filesNode)
        {
            if (filesNode is not YMapping files) { Bad(filesNode, "'files' must be a map of file → sha256."); return; }
            foreach (var (k, v) in files.Entries)
            {
                if (v is not YScalar hs || !LockTexts.IsSha256(hs.Value)) { Bad(v, $"the hash of '{Printable(k.Value)}' is not a sha256 (64 lowercase hex digits)."); continue; }
                result.Files[k.Value] = hs.Value;
                result.FileSpans[k.Value] = k.Span;
            }
        }
    }

    /// <summary>True when <see cref="Read"/> reported an error: the lock must not be used.</summary>
    public bool Invalid { get; private set; }

    /// <summary>A text from hsm.lock as a diagnostic may quote it: control characters escaped, at most 120 characters.</summary>
    public static string Printable(string s)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var c in s.Length > 120 ? s[..120] + "…" : s)
            sb.Append(c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ when c < 0x20 || c == 0x7f => $"\\u{(int)c:X4}", _ => c.ToString() });
        return sb.ToString();
    }

    private static string S(YNode? n) => n is YScalar s ? s.Value : "";
}
