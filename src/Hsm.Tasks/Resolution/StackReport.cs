using System.Text;
using Hsm.Model;

namespace Hsm.Resolution;

/// <summary>The stack as a tree (HsmList).</summary>
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
            sb.Append(libs ? "libraries\n" : "services\n");
            foreach (var g in stack.Groups.Where(g => g.Kind == kind))
            {
                sb.Append($"  group {g.Name} ({g.Strategy})").Append(g.Selection.Count == 0 ? ": nothing selected" : "").Append('\n');
                foreach (var (name, _) in names.Where(n => n.Group == g.Name)) Line(sb, stack, libs, name, "    ");
            }
            var rest = names.Where(n => n.Group is null || !stack.Groups.Any(g => g.Kind == kind && g.Name == n.Group)).ToList();
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
            sb.Append($"{indent}{l.Name}  mode={l.Mode} source={l.Source.Type}  ← {string.Join("; ", l.Origins.Select(o => o.Path))}\n");
        }
        else
        {
            var s = stack.Services.First(x => x.Name == name);
            sb.Append($"{indent}{s.Name}  mode={s.Mode} source={s.Source?.Type ?? "-"} profile={s.Profile} ({s.ProfileMode}, {s.Runtime})  ← {string.Join("; ", s.Origins.Select(o => o.Path))}\n");
        }
    }
}
