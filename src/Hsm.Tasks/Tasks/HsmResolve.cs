using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Pipeline;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Hsm.Tasks;

/// <summary>
/// Loads hsm.yaml and the registry, resolves the stack and writes obj/hsm/resolved.json (only when its
/// content changes, so an unchanged stack stops the chain here). Recovers an interrupted commit first.
/// </summary>
public sealed class HsmResolve : ResolvingTask
{
    [Output] public ITaskItem[] Libraries { get; private set; } = Array.Empty<ITaskItem>();
    [Output] public ITaskItem[] Services { get; private set; } = Array.Empty<ITaskItem>();

    protected override void Run(DiagnosticBag d)
    {
        var inputs = BuildInputs(d, wholeRegistry: false);
        if (inputs is null) return;
        var resolved = Pipeline().Resolve(inputs, d);
        var (stack, folders) = (resolved.Stack, resolved.RegistryFolders);

        // Inputs of the next build: the registry folders and the non-YAML files read, even on failure
        // (so fixing a missing file re-runs the chain).
        Directory.CreateDirectory(IntermediateDirectory);
        // The registry files the binlog must not embed pair with registry-files.txt: removed before that list is
        // rewritten and written again only after a resolution that succeeded, so a stale one never meets a newer list
        // (without it, _HsmComponentItems embeds no registry file).
        var binlogExcludePath = Path.Combine(IntermediateDirectory, "binlog-exclude.txt");
        File.Delete(binlogExcludePath);
        WriteIfChanged(Path.Combine(IntermediateDirectory, "registry-dirs.txt"), string.Join("\n", folders) + "\n");
        // Only the registry files this resolution parsed are inputs (plus the folders' listings, in listing.cache):
        // a no-op build checks the stack's files, not every file of a large registry.
        WriteIfChanged(Path.Combine(IntermediateDirectory, "registry-files.txt"), string.Concat(resolved.RegistryFilesRead.Select(f => f + "\n")));
        if (stack is null) return;
        var extraFile = Path.Combine(IntermediateDirectory, "extra-inputs.txt");
        // A missing extra input is a line of listing.cache (so its creation re-runs the chain).
        WriteIfChanged(extraFile, string.Concat(stack.ExtraInputs.Select(p => Path.GetFullPath(Path.Combine(ProjectDirectory, p)) + "\n")));
        var resolvedPath = ResolvedStack.PathIn(IntermediateDirectory);
        if (WriteIfChanged(resolvedPath, stack.ToJsonUtf8(new FileInfo(resolvedPath) is { Exists: true } last ? last.Length : 0)))
            Log.LogMessage(MessageImportance.Normal, "hsm: resolved {0} libraries and {1} services.", stack.Libraries.Count, stack.Services.Count);
        else
            Log.LogMessage(MessageImportance.Normal, "hsm: the resolved stack is unchanged.");
        StackHandoff.Offer(BuildEngine, resolvedPath, stack);

        Libraries = stack.Libraries.Select(l => Item("library", l.Name, l.Mode, l.ModeOrigin, l.Source.Type, l.Group, l.Origins)).ToArray();
        Services = stack.Services.Select(s =>
        {
            var item = Item("service", s.Name, s.Mode, s.ModeOrigin, s.Source?.Type ?? "external", s.Group, s.Origins);
            item.SetMetadata("Profile", ProjectXml.Escape(s.Profile));
            item.SetMetadata("Runtime", ProjectXml.Escape(s.Runtime));
            return item;
        }).ToArray();
        WriteIfChanged(Path.Combine(IntermediateDirectory, "binlog-embed.txt"), string.Concat(BinlogEmbeds(stack).Select(f => f + "\n")));
        WriteIfChanged(binlogExcludePath, string.Concat(BinlogExcludes(resolved).Select(f => f + "\n")));
        // The same items for the builds that skip this target: Hsm.Sdk.targets imports this file at evaluation.
        WriteIfChanged(Path.Combine(IntermediateDirectory, "components.props"), ComponentsProps(Libraries, Services));
    }

    /// <summary>
    /// The files _HsmComponentItems embeds in the binlog (issue 14) besides the registry files: hsm.yaml and
    /// resolved.json — the latter not when a service has an <c>external</c> map with values (they may be
    /// credentials, and no binlog may quote them, design §9).
    /// </summary>
    private IEnumerable<string> BinlogEmbeds(ResolvedStack stack)
    {
        yield return ManifestPath;
        if (!stack.Services.Any(s => s.External is { Count: > 0 })) yield return Path.GetFullPath(ResolvedStack.PathIn(IntermediateDirectory));
    }

    /// <summary>
    /// The registry files read (registry-files.txt, the same strings) that _HsmComponentItems must not embed: those
    /// that hold an <c>external</c> map with values (design §9). The target embeds the others, from the
    /// <c>HsmRegistryFile</c> items it already has, so a no-op build reads this short list instead of a list of every
    /// file. What the resolution parsed decides; nothing is read again. In registry-files.txt's order (and any such
    /// file that list would not name, last: excluding more is always safe).
    /// </summary>
    private static IEnumerable<string> BinlogExcludes(ResolveResult resolved)
    {
        var external = new HashSet<string>(resolved.RegistryFilesWithExternalValues, StringComparer.Ordinal);
        var read = new HashSet<string>(resolved.RegistryFilesRead, StringComparer.Ordinal);
        return resolved.RegistryFilesRead.Where(external.Contains)
            .Concat(resolved.RegistryFilesWithExternalValues.Where(f => !read.Contains(f))).Distinct(StringComparer.Ordinal);
    }

    private static TaskItem Item(string kind, string name, string mode, string modeOrigin, string source, string? group, List<Origin> origins)
    {
        var item = new TaskItem();
        item.ItemSpec = ProjectXml.Escape(name);
        item.SetMetadata("Kind", ProjectXml.Escape(kind));
        item.SetMetadata("Mode", ProjectXml.Escape(mode));
        item.SetMetadata("ModeOrigin", ProjectXml.Escape(modeOrigin));
        item.SetMetadata("Source", ProjectXml.Escape(source));
        item.SetMetadata("Group", ProjectXml.Escape(group ?? ""));
        item.SetMetadata("Origin", ProjectXml.Escape(string.Join("; ", origins.Select(o => o.Path))));
        return item;
    }

    /// <summary>
    /// The items as evaluation items, in a file Hsm.Sdk.targets imports (so a build that skips HsmResolve has them
    /// without running anything; the HsmResolve target replaces them with the task's outputs when it runs).
    /// Each metadata's most common non-empty value per item type is an item definition, and an item spells out only
    /// the values that differ (an empty one as an empty element, which overrides the definition): a third of the
    /// elements to evaluate for a large stack (evaluation cost grows with them). The task's outputs set every
    /// metadata themselves, empty ones included, so the definitions never show through on them.
    /// </summary>
    internal static string ComponentsProps(IEnumerable<ITaskItem> libraries, IEnumerable<ITaskItem> services)
    {
        var types = new[] { ("HsmLibrary", Metadata(libraries)), ("HsmService", Metadata(services)) };
        var sb = new System.Text.StringBuilder(types.Sum(t => t.Item2.Count) * 160 + 1024);
        sb.Append("<!-- Written by HsmResolve: the HsmLibrary and HsmService items of the last resolution (imported by Hsm.Sdk.targets). -->\n<Project>\n");
        var defaults = types.Select(t => MostCommonValues(t.Item2)).ToArray();
        sb.Append("  <ItemDefinitionGroup>\n");
        for (int k = 0; k < types.Length; k++)
        {
            sb.Append("    <").Append(types[k].Item1).Append('>');
            foreach (var (name, value) in defaults[k]) AppendElement(sb, name, value);
            sb.Append("</").Append(types[k].Item1).Append(">\n");
        }
        sb.Append("  </ItemDefinitionGroup>\n  <ItemGroup>\n");
        for (int k = 0; k < types.Length; k++)
        {
            var (type, rows) = types[k];
            var d = defaults[k];
            var defaultNames = d.Keys.ToArray(); // ordinal order, as each row's names
            foreach (var row in rows)
            {
                sb.Append("    <").Append(type).Append(" Include=\"").Append(ProjectXml.Attr(row.Spec)).Append('"');
                var open = false;
                // The union of the row's names and the defaults' names, in ordinal order (both lists are sorted);
                // a value is spelled out where it differs from the definition (a missing one counts as empty).
                int i = 0, j = 0;
                while (i < row.Names.Length || j < defaultNames.Length)
                {
                    var c = i == row.Names.Length ? 1 : j == defaultNames.Length ? -1 : string.CompareOrdinal(row.Names[i], defaultNames[j]);
                    var name = c <= 0 ? row.Names[i] : defaultNames[j];
                    var value = c <= 0 ? row.Values[i] : "";
                    var fallback = c >= 0 ? d[defaultNames[j]] : "";
                    if (c <= 0) i++;
                    if (c >= 0) j++;
                    if (value == fallback) continue;
                    if (!open) { sb.Append('>'); open = true; }
                    AppendElement(sb, name, value);
                }
                if (open) sb.Append("</").Append(type).Append(">\n");
                else sb.Append(" />\n");
            }
        }
        sb.Append("  </ItemGroup>\n</Project>\n");
        return sb.ToString();
    }

    private static void AppendElement(System.Text.StringBuilder sb, string name, string value) =>
        sb.Append('<').Append(name).Append('>').Append(ProjectXml.Text(value)).Append("</").Append(name).Append('>');

    /// <summary>An item's spec and its custom metadata (escaped values), names in ordinal order.</summary>
    private sealed record ItemRow(string Spec, string[] Names, string[] Values);

    /// <summary>Each item's spec and custom metadata (escaped values), read once.</summary>
    private static List<ItemRow> Metadata(IEnumerable<ITaskItem> items)
    {
        var rows = new List<ItemRow>();
        var names = new List<string>();
        foreach (var item in items)
        {
            names.Clear();
            foreach (string n in item.MetadataNames)
                if (!IsWellKnown(n)) names.Add(n);
            names.Sort(StringComparer.Ordinal);
            var nameArray = names.ToArray();
            var values = new string[nameArray.Length];
            for (int i = 0; i < nameArray.Length; i++) values[i] = ((ITaskItem2)item).GetMetadataValueEscaped(nameArray[i]);
            rows.Add(new ItemRow(item.ItemSpec, nameArray, values));
        }
        return rows;
    }

    /// <summary>Per metadata name (in order), its most common non-empty value (ties: the first in ordinal order).</summary>
    private static SortedDictionary<string, string> MostCommonValues(List<ItemRow> rows)
    {
        var counts = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        foreach (var row in rows)
            for (int i = 0; i < row.Names.Length; i++)
            {
                if (row.Values[i].Length == 0) continue;
                if (!counts.TryGetValue(row.Names[i], out var byValue)) counts[row.Names[i]] = byValue = new(StringComparer.Ordinal);
                byValue[row.Values[i]] = byValue.GetValueOrDefault(row.Values[i]) + 1;
            }
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, byValue) in counts)
        {
            string? best = null;
            var bestCount = 0;
            foreach (var (value, count) in byValue)
                if (count > bestCount || count == bestCount && string.CompareOrdinal(value, best) < 0) (best, bestCount) = (value, count);
            result[name] = best!;
        }
        return result;
    }

    private static bool IsWellKnown(string name) => name is "FullPath" or "RootDir" or "Filename" or "Extension" or "RelativeDir" or "Directory"
        or "RecursiveDir" or "Identity" or "ModifiedTime" or "CreatedTime" or "AccessedTime" or "DefiningProjectFullPath"
        or "DefiningProjectDirectory" or "DefiningProjectName" or "DefiningProjectExtension";
}
