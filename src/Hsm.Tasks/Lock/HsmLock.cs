using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Python;
using Hsm.Yaml;
using E = Hsm.Compose;

namespace Hsm.Lock;

/// <summary>
/// hsm.lock (spec §5.5): the resolved stack (no line numbers, no absolute paths, no timestamps), the
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

    /// <summary>Reads hsm.lock; a missing file gives an empty lock. A damaged one is a warning and counts as missing.</summary>
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
            return result;
        }
        if (map["stack"] is YSequence stack)
            foreach (var item in stack.Items.OfType<YMapping>())
                result.Stack.Add(new StackEntry
                {
                    Kind = S(item["kind"]), Name = S(item["name"]), Mode = S(item["mode"]), Source = S(item["source"]),
                    Profile = item["profile"] is YScalar p ? p.Value : null,
                    Origin = item["origin"] is YSequence os ? os.Items.OfType<YScalar>().Select(x => x.Value).ToList() : new(),
                });
        if (map["owned"] is YMapping owned)
            foreach (var (k, v) in owned.Entries)
            {
                var o = new OwnedPyProject();
                var vm = v as YMapping;
                if (vm?["created"] is YSequence created) o.Created.AddRange(created.Items.OfType<YScalar>().Select(x => x.Value));
                o.AddedFinalNewline = vm?["added_final_newline"] is YScalar { Value: "true" };
                if (vm?["entries"] is YSequence entries)
                    foreach (var e in entries.Items.OfType<YMapping>())
                        o.Entries.Add(new OwnedEntry
                        {
                            Name = S(e["name"]), Requirement = S(e["requirement"]),
                            Source = e["source"] is YScalar s ? s.Value : null,
                            TakenOverRequirement = e["taken_over_requirement"] is YScalar tr ? tr.Value : null,
                            TakenOverSource = e["taken_over_source"] is YScalar ts ? ts.Value : null,
                        });
                result.Owned[k.Value] = o;
            }
        if (map["files"] is YMapping files)
            foreach (var (k, v) in files.Entries) result.Files[k.Value] = S(v);
        return result;
    }

    private static string S(YNode? n) => n is YScalar s ? s.Value : "";
}
