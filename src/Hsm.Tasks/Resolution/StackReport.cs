using System.Text;
using Hsm.Model;

namespace Hsm.Resolution;

/// <summary>
/// The stack as a tree (HsmList): per section, each group with its strategy and selection, then its
/// members with mode, source and origin; then standalone and implied components. Services show their
/// deployment profile, whether it is managed or external, and the runtime.
/// </summary>
public static class StackReport
{
    public static string Tree(ResolvedStack stack)
    {
        var sb = new StringBuilder();
        sb.Append($"{stack.ProjectName} {stack.ProjectVersion}".TrimEnd()).Append('\n');
        foreach (var kind in new[] { "library", "service" })
        {
            var libs = kind == "library";
            var names = libs ? stack.Libraries.Select(l => (l.Name, l.Group)).ToList() : stack.Services.Select(s => (s.Name, s.Group)).ToList();
            var groups = stack.Groups.Where(g => g.Kind == kind).ToList();
            sb.Append(libs ? "libraries" : "services").Append(names.Count == 0 && groups.Count == 0 ? ": none\n" : "\n");
            foreach (var g in groups)
            {
                sb.Append($"  group {g.Name} ({g.Strategy}): ").Append(g.Selection.Count == 0 ? "nothing selected" : string.Join(", ", g.Selection)).Append('\n');
                foreach (var (name, _) in names.Where(n => n.Group == g.Name)) Line(sb, stack, libs, name, "    ");
            }
            var rest = names.Where(n => n.Group is null || !groups.Any(g => g.Name == n.Group)).ToList();
            if (rest.Count > 0)
            {
                sb.Append("  standalone and implied\n");
                foreach (var (name, _) in rest) Line(sb, stack, libs, name, "    ");
            }
        }
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, ResolvedStack stack, bool lib, string name, string indent)
    {
        if (lib)
        {
            var l = stack.Libraries.First(x => x.Name == name);
            sb.Append($"{indent}{l.Name}  {l.Mode}, {Describe(l.Source)}\n");
            sb.Append(ModeFrom(l.ModeOrigin, indent));
            foreach (var o in l.Origins) sb.Append($"{indent}  <- {o.Path}\n");
        }
        else
        {
            var s = stack.Services.First(x => x.Name == name);
            var src = s.Source is null ? "no source (external)" : s.Source.Type + (s.Source.Image != null ? " " + s.Source.Image : s.Source.Path != null ? " " + s.Source.Path : s.Source.Url != null ? " " + s.Source.Url : "");
            sb.Append($"{indent}{s.Name}  {s.Mode}, {src}, profile {s.Profile} ({s.ProfileMode}, {s.Runtime})\n");
            sb.Append(ModeFrom(s.ModeOrigin, indent));
            if (s.Params.Count > 0) sb.Append($"{indent}  params: {string.Join(", ", s.Params.Select(p => $"{p.Key}={p.Value}"))}\n");
            foreach (var o in s.Origins) sb.Append($"{indent}  <- {o.Path}\n");
        }
    }

    /// <summary>Where the mode came from (the Mode property, HsmComponentMode, a YAML path); nothing for the default (prod).</summary>
    private static string ModeFrom(string? from, string indent) => from is null or "default" ? "" : $"{indent}  mode from {from}\n";

    private static string Describe(LibrarySource s) => s.Type switch
    {
        "pypi" => "pypi" + (s.Version != null ? " " + s.Version : ""),
        "git" => $"git {s.Url}" + (s.Ref != null ? $" {s.RefKind ?? "ref"} {s.Ref}" : ""),
        "local" => $"local {s.Path}" + (s.Editable == true ? " (editable)" : "") + (s.Clone ? " (cloned on demand)" : ""),
        _ => s.Type,
    };
}
