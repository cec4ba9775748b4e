using System.CommandLine;
using System.CommandLine.Completions;
using Hsm.Cli.Editing;
using Hsm.Diagnostics;
using Hsm.Registry;
using Hsm.Resolution;
using Hsm.Yaml;

namespace Hsm.Cli.Commands;

/// <summary>Helpers shared by the commands: registry lookups, completions, edit reporting.</summary>
public static class Common
{
    public static readonly string[] Modes = { "dev", "prod" };

    public static Option<bool> DryRun() => new("--dry-run") { Description = "Print the change as a unified diff; write nothing." };

    public static ComponentKind GroupKindOf(string section) => section == "libraries" ? ComponentKind.LibraryGroup : ComponentKind.ServiceGroup;
    public static string SectionOf(ComponentKind kind) => kind is ComponentKind.Library or ComponentKind.LibraryGroup ? "libraries" : "services";

    public static string KindWord(ComponentKind k) => k switch
    {
        ComponentKind.Library => "library",
        ComponentKind.Service => "service",
        ComponentKind.LibraryGroup => "library group",
        _ => "service group",
    };

    /// <summary>The file of a registry entry (first folder that defines it), or null.</summary>
    public static string? FileOf(RegistryLoader registry, ComponentKind kind, string name)
    {
        var normalized = RegistryLoader.NormalizeName(kind, name);
        foreach (var folder in registry.Folders)
        {
            var dir = Path.Combine(folder, RegistryLoader.FolderOf(kind));
            if (!Directory.Exists(dir)) continue;
            foreach (var f in Directory.EnumerateFiles(dir, "*.yaml").OrderBy(x => x, StringComparer.Ordinal))
                if (RegistryLoader.NormalizeName(kind, Path.GetFileNameWithoutExtension(f)) == normalized) return f;
        }
        return null;
    }

    /// <summary>A group of the registry (library group first), parsed; HSM8002 with "did you mean" when none.</summary>
    public static GroupManifest RequireGroup(Workspace ws, RegistryLoader registry, string group, DiagnosticBag d)
    {
        foreach (var kind in new[] { ComponentKind.LibraryGroup, ComponentKind.ServiceGroup })
        {
            if (!registry.Exists(kind, group)) continue;
            var g = registry.Group(kind, group);
            if (g is null || d.HasErrors) throw new CliError(d.Items.Where(x => x.Severity == Severity.Error));
            return g;
        }
        throw NotInRegistry(group, "group", registry.NamesOf(ComponentKind.LibraryGroup).Concat(registry.NamesOf(ComponentKind.ServiceGroup)));
    }

    /// <summary>
    /// A library's or service's name as its registry file spells it (`Redis` → `redis`, `Qdrant_Adapter` →
    /// `qdrant-adapter`): the registry matches names case-insensitively (libraries as PEP 503 names), hsm.yaml keeps
    /// one spelling, so `hsm add REDIS` finds the `redis` entry already there. Any other name as given.
    /// </summary>
    public static string CanonicalName(RegistryLoader registry, string name)
    {
        ComponentManifest? c = registry.Exists(ComponentKind.Library, name) ? registry.Library(name)
            : registry.Exists(ComponentKind.Service, name) ? registry.Service(name) : null;
        return string.IsNullOrEmpty(c?.Name) ? name : c.Name;
    }

    public static CliError NotInRegistry(string name, string what, IEnumerable<string> candidates) =>
        new(Codes.NotInRegistry, new SourceSpan("hsm", 0, 0), $"No {what} '{name}' in the registry.{Suggest.DidYouMean(name, candidates)} Run 'hsm search {name}' to look for it.");

    /// <summary>Converts an <see cref="EditException"/> into HSM8003 at its position in the file.</summary>
    public static CliError CannotEdit(YamlText doc, string label, EditException e)
    {
        int line = 1, col = 1;
        for (int i = 0; i < Math.Min(e.Position, doc.Text.Length); i++)
        {
            if (doc.Text[i] == '\n') { line++; col = 1; } else col++;
        }
        return new CliError(Codes.CannotEdit, new SourceSpan(label, line, col), e.Message);
    }

    /// <summary>What an edit did: the message and how to apply it; with --dry-run (the diff was printed) nothing,
    /// unless there is no diff, which says so rather than printing nothing. <paramref name="unchanged"/>: the
    /// message when the file already says it (default: that hsm.yaml already says so).</summary>
    public static void Applied(Workspace ws, bool changed, bool dryRun, string message, string? unchanged = null)
    {
        if (dryRun && changed) return;
        ws.Out.WriteLine(changed ? message + " Run 'hsm sync' (or dotnet build) to apply."
            : unchanged ?? $"hsm.yaml already says so; nothing {(dryRun ? "would change" : "changed")}.");
    }

    // ---- completions (they must never throw: a broken project completes nothing) ----

    public static IEnumerable<string> Safe(Func<IEnumerable<string>> f)
    {
        try { return f().ToList(); }
        catch (Exception e) when (e is not OutOfMemoryException) { return Array.Empty<string>(); }
    }

    public static RegistryLoader CompletionRegistry(Cli cli, CompletionContext ctx) => cli.Workspace(ctx.ParseResult).LoadRegistry().Registry;

    /// <summary>Names `hsm add` accepts: libraries, services and groups of the registry.</summary>
    public static IEnumerable<string> AddableNames(Cli cli, CompletionContext ctx) => Safe(() =>
    {
        var r = CompletionRegistry(cli, ctx);
        return r.Names.Select(n => n.Name).Distinct().OrderBy(x => x, StringComparer.Ordinal).Where(n => n.StartsWith(ctx.WordToComplete, StringComparison.OrdinalIgnoreCase));
    });

    public static IEnumerable<string> GroupNames(Cli cli, CompletionContext ctx) => Safe(() =>
    {
        var r = CompletionRegistry(cli, ctx);
        return r.NamesOf(ComponentKind.LibraryGroup).Concat(r.NamesOf(ComponentKind.ServiceGroup)).Distinct().OrderBy(x => x, StringComparer.Ordinal)
            .Where(n => n.StartsWith(ctx.WordToComplete, StringComparison.OrdinalIgnoreCase));
    });

    /// <summary>The options of a registry group.</summary>
    public static IEnumerable<string> OptionsOf(Cli cli, CompletionContext ctx, string? group) => Safe(() =>
    {
        if (string.IsNullOrEmpty(group)) return Array.Empty<string>();
        var r = CompletionRegistry(cli, ctx);
        var g = r.Exists(ComponentKind.LibraryGroup, group) ? r.Group(ComponentKind.LibraryGroup, group)
            : r.Exists(ComponentKind.ServiceGroup, group) ? r.Group(ComponentKind.ServiceGroup, group) : null;
        return g is null ? Array.Empty<string>() : g.Options.Select(o => o.Name).Where(n => n.StartsWith(ctx.WordToComplete, StringComparison.OrdinalIgnoreCase));
    });
}
