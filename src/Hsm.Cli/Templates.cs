using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Hsm.Diagnostics;

namespace Hsm.Cli;

/// <summary>
/// `hsm init`: writes the files of `dotnet new hsm` from the same source (src/Hsm.Templates/content/hsm,
/// embedded in the tool), with the same substitutions: the project name and the pinned Hsm.Sdk version.
/// </summary>
public static class Templates
{
    public const string NameToken = "hsm-project-name";
    public const string VersionToken = "HSM_SDK_VERSION";
    private const string Prefix = "template/";

    /// <summary>The version of Hsm.Sdk this tool was built with (and pins in global.json).</summary>
    public static string SdkVersion
    {
        get
        {
            var v = typeof(Templates).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.1.0";
            int plus = v.IndexOf('+');
            return plus >= 0 ? v[..plus] : v;
        }
    }

    /// <summary>The template's files: relative path → content.</summary>
    public static IEnumerable<(string Path, byte[] Content)> Files()
    {
        var asm = typeof(Templates).Assembly;
        foreach (var res in asm.GetManifestResourceNames().Where(r => r.StartsWith(Prefix, StringComparison.Ordinal)).OrderBy(r => r, StringComparer.Ordinal))
        {
            using var s = asm.GetManifestResourceStream(res)!;
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            var rel = res[Prefix.Length..].Replace('\\', '/');
            rel = rel switch { "gitignore.txt" => ".gitignore", "gitattributes.txt" => ".gitattributes", _ => rel };
            yield return (rel, ms.ToArray());
        }
    }

    /// <summary>A project name from a folder name: lowercase, [a-z0-9_-] (Compose normalises the same way).</summary>
    public static string NameFrom(string folder)
    {
        var n = Regex.Replace(folder.ToLowerInvariant(), "[^a-z0-9_-]+", "-").Trim('-', '_');
        return n.Length == 0 ? "my-stack" : n;
    }

    /// <summary>Writes the files; lines of .gitignore/.gitattributes are appended when missing, other existing files kept.</summary>
    public static List<string> Init(string directory, string? name)
    {
        var report = new List<string>();
        var manifest = Path.Combine(directory, "hsm.yaml");
        if (File.Exists(manifest))
            throw new CliError(Codes.AlreadyInitialized, new SourceSpan("hsm.yaml", 1, 1), $"'{directory}' already has hsm.yaml; 'hsm init' changes nothing there. Edit it with 'hsm add', 'hsm select' and 'hsm mode'.");
        if (name != null && name.Trim().Length == 0) throw new UsageException("--name must not be empty.");
        name ??= NameFrom(Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar)));
        Directory.CreateDirectory(directory);
        foreach (var (rel, content) in Files())
        {
            var path = Path.Combine(directory, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            bool text = !rel.EndsWith(".gitkeep", StringComparison.Ordinal);
            // In hsm.yaml the name is a YAML scalar: plain when it reads back as itself (what `dotnet new hsm -n` writes),
            // else quoted, so `--name "x: y"` or `--name "# c"` is that name, not broken YAML or null.
            var nameText = rel == "hsm.yaml" ? Editing.YamlEditor.Scalar(name) : name;
            var body = text ? Encoding.UTF8.GetString(content).Replace(NameToken, nameText).Replace(VersionToken, SdkVersion) : "";
            if (rel is ".gitignore" or ".gitattributes" && Workspace.ReadText(path, rel, "a text file") is { } existing)
            {
                var have = existing.Split('\n').Select(l => l.Trim()).ToHashSet();
                var missing = body.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && !have.Contains(l.Trim())).ToList();
                if (missing.Count == 0) continue;
                var add = (existing.Length > 0 && !existing.EndsWith('\n') ? "\n" : "") + string.Concat(missing.Select(l => l + "\n"));
                Workspace.WriteAtomically(path, Encoding.UTF8.GetBytes(existing + add), directory);
                report.Add($"  {rel}: added {missing.Count} line(s)");
                continue;
            }
            if (File.Exists(path)) { report.Add($"  {rel}: exists, kept"); continue; }
            Workspace.WriteAtomically(path, Encoding.UTF8.GetBytes(body), directory);
            report.Add($"  {rel}");
        }
        report.Insert(0, $"Created the Hsm project '{name}' in {directory}:");
        return report;
    }
}
