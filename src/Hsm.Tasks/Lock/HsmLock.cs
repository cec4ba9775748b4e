using System.Text;
using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Python;
using Hsm.Yaml;

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

    public string Write()
    {
        var sb = new StringBuilder();
        sb.Append(Header).Append('\n');
        sb.Append("version: 1\n");
        sb.Append(Stack.Count == 0 ? "stack: []\n" : "stack:\n");
        foreach (var e in Stack)
        {
            sb.Append("  - kind: ").Append(Q(e.Kind)).Append('\n');
            sb.Append("    name: ").Append(Q(e.Name)).Append('\n');
            sb.Append("    mode: ").Append(Q(e.Mode)).Append('\n');
            sb.Append("    source: ").Append(Q(e.Source)).Append('\n');
            if (e.Profile != null) sb.Append("    profile: ").Append(Q(e.Profile)).Append('\n');
            sb.Append("    origin:\n");
            foreach (var o in e.Origin) sb.Append("      - ").Append(Q(o)).Append('\n');
        }
        var owned = Owned.Where(o => o.Value.Entries.Count > 0 || o.Value.Created.Count > 0).ToList();
        sb.Append(owned.Count == 0 ? "owned: {}\n" : "owned:\n");
        foreach (var (file, o) in owned)
        {
            sb.Append("  ").Append(Q(file)).Append(":\n");
            sb.Append("    entries:\n");
            foreach (var e in o.Entries.OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                sb.Append("      - name: ").Append(Q(e.Name)).Append('\n');
                sb.Append("        requirement: ").Append(Q(e.Requirement)).Append('\n');
                if (e.Source != null) sb.Append("        source: ").Append(Q(e.Source)).Append('\n');
                if (e.TakenOverRequirement != null) sb.Append("        taken_over_requirement: ").Append(Q(e.TakenOverRequirement)).Append('\n');
                if (e.TakenOverSource != null) sb.Append("        taken_over_source: ").Append(Q(e.TakenOverSource)).Append('\n');
            }
            if (o.Created.Count > 0)
            {
                sb.Append("    created:\n");
                foreach (var c in o.Created) sb.Append("      - ").Append(Q(c)).Append('\n');
            }
            if (o.AddedFinalNewline) sb.Append("    added_final_newline: true\n");
        }
        sb.Append(Files.Count == 0 ? "files: {}\n" : "files:\n");
        foreach (var (f, h) in Files) sb.Append("  ").Append(Q(f)).Append(": ").Append(Q(h)).Append('\n');
        return sb.ToString();
    }

    private static string Q(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20) sb.Append($"\\x{(int)c:x2}"); else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
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
