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
        WriteIfChanged(Path.Combine(IntermediateDirectory, "binlog-embed.txt"), string.Concat(BinlogEmbeds(resolved, stack).Select(f => f + "\n")));
        // The same items for the builds that skip this target (read by _HsmComponentItems with built-in tasks only).
        WriteIfChanged(Path.Combine(IntermediateDirectory, "components.proj"), ComponentsProject(Libraries, Services));
    }

    /// <summary>
    /// The files _HsmComponentItems embeds in the binlog (issue 14): hsm.yaml, the registry files read and
    /// resolved.json — except any that holds an <c>external</c> map with values (they may be credentials, and
    /// no binlog may quote them, design §9). What the resolution parsed decides; nothing is read again.
    /// </summary>
    private IEnumerable<string> BinlogEmbeds(ResolveResult resolved, ResolvedStack stack)
    {
        yield return ManifestPath;
        foreach (var f in resolved.RegistryFilesRead.Except(resolved.RegistryFilesWithExternalValues, StringComparer.Ordinal)) yield return f;
        if (!stack.Services.Any(s => s.External is { Count: > 0 })) yield return Path.GetFullPath(Path.Combine(IntermediateDirectory, "resolved.json"));
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

    /// <summary>A project with the items as evaluation items and two targets returning them (Kind tells them apart).</summary>
    internal static string ComponentsProject(IEnumerable<ITaskItem> libraries, IEnumerable<ITaskItem> services)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("<!-- Written by HsmResolve: the HsmLibrary and HsmService items of the last resolution. -->\n<Project>\n  <ItemGroup>\n");
        foreach (var (type, items) in new[] { ("HsmLibrary", libraries), ("HsmService", services) })
            foreach (var i in items)
            {
                sb.Append($"    <{type} Include=\"{ProjectXml.Attr(i.ItemSpec)}\">");
                foreach (var name in i.MetadataNames.Cast<string>().Where(n => !IsWellKnown(n)).OrderBy(n => n, StringComparer.Ordinal))
                    sb.Append($"<{name}>{ProjectXml.Text(((ITaskItem2)i).GetMetadataValueEscaped(name))}</{name}>");
                sb.Append($"</{type}>\n");
            }
        sb.Append("  </ItemGroup>\n  <Target Name=\"HsmLibraries\" Returns=\"@(HsmLibrary)\" />\n  <Target Name=\"HsmServices\" Returns=\"@(HsmService)\" />\n</Project>\n");
        return sb.ToString();
    }

    private static bool IsWellKnown(string name) => name is "FullPath" or "RootDir" or "Filename" or "Extension" or "RelativeDir" or "Directory"
        or "RecursiveDir" or "Identity" or "ModifiedTime" or "CreatedTime" or "AccessedTime" or "DefiningProjectFullPath"
        or "DefiningProjectDirectory" or "DefiningProjectName" or "DefiningProjectExtension";
}
