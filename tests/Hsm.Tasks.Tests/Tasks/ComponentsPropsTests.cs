using System.Security;
using Hsm.Tasks;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Xunit;

namespace Hsm.Tests.Tasks;

/// <summary>
/// obj/hsm/components.props, written by HsmResolve (issue 16 made the writer allocate a fifth of what it did): the
/// same bytes as the LINQ form it replaced, kept here as the reference, on random item sets with awkward values.
/// What MSBuild makes of the file is checked end to end (IdeTests: the items of a no-op build equal the task's).
/// </summary>
public sealed class ComponentsPropsTests
{
    private static readonly string[] Names = ["Kind", "Mode", "ModeOrigin", "Source", "Group", "Origin", "Profile", "Runtime", "Zeta", "a"];
    private static readonly string[] Values = ["", "prod", "dev", "default", "a;b", "100%", "$(X)", "@(Y)", "<&>\"'", "ünï", "x y", "lgrp-0001", "libraries.groups.g.selection"];

    private static TaskItem Item(Random r, int i)
    {
        var item = new TaskItem($"c-{i:D4}{(r.Next(8) == 0 ? "%3B" : "")}");
        foreach (var n in Names)
            if (r.Next(3) > 0) item.SetMetadata(n, Values[r.Next(Values.Length)]);
        return item;
    }

    [Fact]
    public void The_file_is_the_same_bytes_as_the_reference_writer_on_random_item_sets()
    {
        for (int seed = 0; seed < 300; seed++)
        {
            var r = new Random(seed);
            var libraries = Enumerable.Range(0, r.Next(0, 40)).Select(i => Item(r, i)).ToList();
            var services = Enumerable.Range(0, r.Next(0, 40)).Select(i => Item(r, i)).ToList();
            Assert.Equal(Reference(libraries, services), HsmResolve.ComponentsProps(libraries, services));
        }
    }

    [Fact]
    public void Ties_between_values_go_to_the_first_in_ordinal_order_and_empty_values_never_become_defaults()
    {
        var a = new TaskItem("a"); a.SetMetadata("Mode", "prod"); a.SetMetadata("Group", "");
        var b = new TaskItem("b"); b.SetMetadata("Mode", "dev"); b.SetMetadata("Group", "");
        var text = HsmResolve.ComponentsProps([a, b], []);
        Assert.Contains("<HsmLibrary><Mode>dev</Mode></HsmLibrary>", text);
        Assert.Contains("<HsmLibrary Include=\"a\"><Mode>prod</Mode></HsmLibrary>", text);
        Assert.Contains("<HsmLibrary Include=\"b\" />", text);
        Assert.Equal(Reference([a, b], []), text);
    }

    // ---- the writer as it was before issue 16's third round (LINQ, one dictionary per item) ----
    private static string Reference(IEnumerable<ITaskItem> libraries, IEnumerable<ITaskItem> services)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("<!-- Written by HsmResolve: the HsmLibrary and HsmService items of the last resolution (imported by Hsm.Sdk.targets). -->\n<Project>\n");
        var types = new[] { ("HsmLibrary", Metadata(libraries)), ("HsmService", Metadata(services)) };
        var defaults = types.Select(t => MostCommonValues(t.Item2)).ToArray();
        sb.Append("  <ItemDefinitionGroup>\n");
        for (int k = 0; k < types.Length; k++)
        {
            sb.Append($"    <{types[k].Item1}>");
            foreach (var (name, value) in defaults[k]) sb.Append($"<{name}>{Text(value)}</{name}>");
            sb.Append($"</{types[k].Item1}>\n");
        }
        sb.Append("  </ItemDefinitionGroup>\n  <ItemGroup>\n");
        for (int k = 0; k < types.Length; k++)
            foreach (var (spec, values) in types[k].Item2)
            {
                var d = defaults[k];
                var own = values.Keys.Union(d.Keys).Order(StringComparer.Ordinal)
                    .Select(n => (Name: n, Value: values.GetValueOrDefault(n, "")))
                    .Where(m => m.Value != d.GetValueOrDefault(m.Name, ""))
                    .ToList();
                sb.Append($"    <{types[k].Item1} Include=\"{Text(spec)}\"");
                if (own.Count == 0) { sb.Append(" />\n"); continue; }
                sb.Append('>');
                foreach (var (name, value) in own) sb.Append($"<{name}>{Text(value)}</{name}>");
                sb.Append($"</{types[k].Item1}>\n");
            }
        sb.Append("  </ItemGroup>\n</Project>\n");
        return sb.ToString();
    }

    private static string Text(string escaped) => SecurityElement.Escape(escaped) ?? "";

    private static List<(string Spec, Dictionary<string, string> Values)> Metadata(IEnumerable<ITaskItem> items) =>
        items.Select(i => (i.ItemSpec, i.MetadataNames.Cast<string>().Where(n => !IsWellKnown(n))
            .ToDictionary(n => n, n => ((ITaskItem2)i).GetMetadataValueEscaped(n), StringComparer.Ordinal))).ToList();

    private static SortedDictionary<string, string> MostCommonValues(List<(string Spec, Dictionary<string, string> Values)> items) =>
        new(items.SelectMany(i => i.Values).Where(m => m.Value.Length > 0)
            .GroupBy(m => m.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.GroupBy(m => m.Value, StringComparer.Ordinal)
                .OrderByDescending(v => v.Count()).ThenBy(v => v.Key, StringComparer.Ordinal).First().Key, StringComparer.Ordinal), StringComparer.Ordinal);

    private static bool IsWellKnown(string name) => name is "FullPath" or "RootDir" or "Filename" or "Extension" or "RelativeDir" or "Directory"
        or "RecursiveDir" or "Identity" or "ModifiedTime" or "CreatedTime" or "AccessedTime" or "DefiningProjectFullPath"
        or "DefiningProjectDirectory" or "DefiningProjectName" or "DefiningProjectExtension";
}
