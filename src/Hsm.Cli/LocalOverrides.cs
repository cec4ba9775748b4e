using System.Xml.Linq;

namespace Hsm.Cli;

/// <summary>
/// hsm.proj.user: a developer's own modes, never committed. `hsm mode X dev --local` writes
/// <c>&lt;HsmComponentMode Include="X" Mode="dev" /&gt;</c>; `--all --local` writes the HsmMode property.
/// The rest of the file (other items, comments, formatting) is kept.
/// </summary>
public static class LocalOverrides
{
    public const string FileName = "hsm.proj.user";

    public static string PathIn(string directory, string projectFile) => Path.Combine(directory, Path.GetFileName(projectFile) + ".user");

    private static XDocument Load(string path) =>
        File.Exists(path) ? XDocument.Load(path, LoadOptions.PreserveWhitespace) : new XDocument(new XElement("Project", new XText("\n")));

    /// <summary>The text of the file after setting (or, with a null mode, removing) the override of one component.</summary>
    public static string SetComponent(string path, string component, string? mode)
    {
        var doc = Load(path);
        var root = doc.Root!;
        var existing = root.Descendants().Where(e => e.Name.LocalName == "HsmComponentMode"
            && string.Equals((string?)e.Attribute("Include"), component, StringComparison.OrdinalIgnoreCase)).ToList();
        foreach (var e in existing.Skip(mode is null ? 0 : 1)) Remove(e);
        if (mode != null)
        {
            if (existing.Count > 0) existing[0].SetAttributeValue("Mode", mode);
            else
            {
                var group = root.Elements().FirstOrDefault(e => e.Name.LocalName == "ItemGroup" && e.Elements().Any(x => x.Name.LocalName == "HsmComponentMode"));
                var item = new XElement(root.Name.Namespace + "HsmComponentMode", new XAttribute("Include", component), new XAttribute("Mode", mode));
                if (group is null)
                {
                    group = new XElement(root.Name.Namespace + "ItemGroup", new XText("\n    "), item, new XText("\n  "));
                    root.Add(new XText("  "), group, new XText("\n"));
                }
                else
                {
                    var last = group.Elements().Last(x => x.Name.LocalName == "HsmComponentMode");
                    last.AddAfterSelf(new XText("\n    "), item);
                }
            }
        }
        return Save(doc);
    }

    /// <summary>Sets (or removes) the HsmMode property that forces the whole stack for this developer.</summary>
    public static string SetAll(string path, string? mode)
    {
        var doc = Load(path);
        var root = doc.Root!;
        var props = root.Descendants().Where(e => e.Name.LocalName == "HsmMode").ToList();
        foreach (var p in props.Skip(mode is null ? 0 : 1)) Remove(p);
        if (mode != null)
        {
            if (props.Count > 0) props[0].Value = mode;
            else
            {
                var pg = new XElement(root.Name.Namespace + "PropertyGroup", new XText("\n    "), new XElement(root.Name.Namespace + "HsmMode", mode), new XText("\n  "));
                root.AddFirst(new XText("\n  "), pg);
            }
        }
        return Save(doc);
    }

    /// <summary>The overrides the file holds (component → mode), for `hsm mode` messages and tests.</summary>
    public static Dictionary<string, string> Read(string path)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (!File.Exists(path)) return result;
        foreach (var e in XDocument.Load(path).Descendants().Where(e => e.Name.LocalName == "HsmComponentMode"))
            if ((string?)e.Attribute("Include") is { } n) result[n] = (string?)e.Attribute("Mode") ?? "";
        return result;
    }

    private static void Remove(XElement e)
    {
        if (e.PreviousNode is XText t && string.IsNullOrWhiteSpace(t.Value)) t.Remove();
        var parent = e.Parent;
        e.Remove();
        if (parent is { Name.LocalName: "ItemGroup" or "PropertyGroup" } && !parent.Elements().Any())
        {
            if (parent.PreviousNode is XText pt && string.IsNullOrWhiteSpace(pt.Value)) pt.Remove();
            parent.Remove();
        }
    }

    private static string Save(XDocument doc)
    {
        var text = doc.Root!.ToString(SaveOptions.DisableFormatting);
        return text.EndsWith('\n') ? text : text + "\n";
    }
}
