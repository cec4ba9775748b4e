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
        var resolvedPath = Path.Combine(IntermediateDirectory, "resolved.json");
        if (WriteIfChanged(resolvedPath, stack.ToJsonUtf8(File.Exists(resolvedPath) ? new FileInfo(resolvedPath).Length : 0)))
            Log.LogMessage(MessageImportance.Normal, "hsm: resolved {0} libraries and {1} services.", stack.Libraries.Count, stack.Services.Count);
        else
            Log.LogMessage(MessageImportance.Normal, "hsm: the resolved stack is unchanged.");

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
        if (!stack.Services.Any(s => s.External is { Count: > 0 })) yield return Path.GetFullPath(Path.Combine(IntermediateDirectory, "resolved.json"));
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
        var sb = new System.Text.StringBuilder();
        sb.Append("<!-- Written by HsmResolve: the HsmLibrary and HsmService items of the last resolution (imported by Hsm.Sdk.targets). -->\n<Project>\n");
        var types = new[] { ("HsmLibrary", Metadata(libraries)), ("HsmService", Metadata(services)) };
        var defaults = types.Select(t => MostCommonValues(t.Item2)).ToArray();
        sb.Append("  <ItemDefinitionGroup>\n");
        for (int k = 0; k < types.Length; k++)
        {
            sb.Append($"    <{types[k].Item1}>");
            foreach (var (name, value) in defaults[k]) sb.Append($"<{name}>{ProjectXml.Text(value)}</{name}>");
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
                sb.Append($"    <{types[k].Item1} Include=\"{ProjectXml.Attr(spec)}\"");
                if (own.Count == 0) { sb.Append(" />\n"); continue; }
                sb.Append('>');
                foreach (var (name, value) in own) sb.Append($"<{name}>{ProjectXml.Text(value)}</{name}>");
                sb.Append($"</{types[k].Item1}>\n");
            }
        sb.Append("  </ItemGroup>\n</Project>\n");
        return sb.ToString();
    }

    /// <summary>Each item's spec and custom metadata (escaped values), read once.</summary>
    private static List<(string Spec, Dictionary<string, string> Values)> Metadata(IEnumerable<ITaskItem> items) =>
        items.Select(i => (i.ItemSpec, i.MetadataNames.Cast<string>().Where(n => !IsWellKnown(n))
            .ToDictionary(n => n, n => ((ITaskItem2)i).GetMetadataValueEscaped(n), StringComparer.Ordinal))).ToList();

    /// <summary>Per metadata name (in order), its most common non-empty value (ties: the first in ordinal order).</summary>
    private static SortedDictionary<string, string> MostCommonValues(List<(string Spec, Dictionary<string, string> Values)> items) =>
        new(items.SelectMany(i => i.Values).Where(m => m.Value.Length > 0)
            .GroupBy(m => m.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.GroupBy(m => m.Value, StringComparer.Ordinal)
                .OrderByDescending(v => v.Count()).ThenBy(v => v.Key, StringComparer.Ordinal).First().Key, StringComparer.Ordinal), StringComparer.Ordinal);

    private static bool IsWellKnown(string name) => name is "FullPath" or "RootDir" or "Filename" or "Extension" or "RelativeDir" or "Directory"
        or "RecursiveDir" or "Identity" or "ModifiedTime" or "CreatedTime" or "AccessedTime" or "DefiningProjectFullPath"
        or "DefiningProjectDirectory" or "DefiningProjectName" or "DefiningProjectExtension";
}
