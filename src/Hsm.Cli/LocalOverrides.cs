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

    /// <summary>The file's text (null: no file) as XML, a new document when there is none; XML that does not
    /// parse is HSM8003 at its line, nothing written (MSBuild would refuse the file too).</summary>
    private static XDocument Load(string? text)
    {
        if (text is null) return new XDocument(new XElement("Project", new XText("\n")));
        try
        {
            // No DTD: its entities would be expanded into the file hsm writes back (and a nested set of them is an
            // entity-expansion bomb); MSBuild files have none. XmlException at the DOCTYPE, reported below.
            using var reader = System.Xml.XmlReader.Create(new StringReader(text), new System.Xml.XmlReaderSettings { DtdProcessing = System.Xml.DtdProcessing.Prohibit });
            var doc = XDocument.Load(reader, LoadOptions.PreserveWhitespace | LoadOptions.SetLineInfo);
            if (doc.Root?.Name.LocalName != "Project") throw new System.Xml.XmlException("the root element is not <Project>", null, 1, 1);
            return doc;
        }
        catch (System.Xml.XmlException e)
        {
            throw new CliError(Hsm.Diagnostics.Codes.CannotEdit, new Hsm.Diagnostics.SourceSpan(FileName, e.LineNumber, e.LinePosition),
                $"'{FileName}' is not an MSBuild file hsm can edit ({e.Message}); nothing was written. Fix it, or delete it to start again (it holds only your local modes).");
        }
    }

    /// <summary>The text of the file after setting (or, with a null mode, removing) the override of one component.</summary>
    public static string SetComponent(string? text, string component, string? mode)
    {
        var doc = Load(text);
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
    public static string SetAll(string? text, string? mode)
    {
        var doc = Load(text);
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

    /// <summary>The whole document as it was written: the XML declaration and comments around the root are kept too.</summary>
    private static string Save(XDocument doc)
    {
        var sb = new System.Text.StringBuilder();
        XNode? previous = null;
        if (doc.Declaration != null) sb.Append(doc.Declaration);
        if (doc.Declaration != null && doc.FirstNode is not XText) sb.Append('\n');
        foreach (var n in doc.Nodes())
        {
            if (previous != null && previous is not XText && n is not XText) sb.Append('\n');
            sb.Append(n.ToString(SaveOptions.DisableFormatting));
            previous = n;
        }
        var text = sb.ToString();
        return text.EndsWith('\n') ? text : text + "\n";
    }
}
