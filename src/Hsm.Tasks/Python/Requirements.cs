using System.Text;
using System.Text.RegularExpressions;
using Hsm.Model;
using Hsm.Registry;

namespace Hsm.Python;

/// <summary>PEP 508 / PEP 503 helpers and the mapping of a resolved library to its pyproject entries.</summary>
public static class Requirements
{
    /// <summary>PEP 503 normalisation (<see cref="Grammars.Pep503Name"/>) of a name that may carry surrounding white space.</summary>
    public static string NormalizeName(string name) =>
        Grammars.Pep503Name(name.Length > 0 && (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1])) ? name.Trim() : name);

    /// <summary>A PEP 440 version (<see cref="Grammars.IsPep440Version"/>).</summary>
    public static bool IsValidPep440(string? version) => Grammars.IsPep440Version(version);

    /// <summary>Turns any project name into a valid distribution name (PEP 508 name, PEP 503 normalised).</summary>
    public static string ToDistributionName(string? name)
    {
        var sb = new StringBuilder();
        foreach (var c in (name ?? "").Trim())
            sb.Append(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '.' or '_' or '-' ? c : '-');
        var n = NormalizeName(sb.ToString()).Trim('-');
        return n.Length == 0 ? "project" : n;
    }

    /// <summary>
    /// Builds the entries of a resolved library (design §3.1, §5.1). <paramref name="relativePath"/> is the local
    /// source path relative to the pyproject.toml folder, '/'-separated (computed by the caller).
    /// </summary>
    public static ManagedDependency FromLibrary(ResolvedLibrary lib, string? relativePath)
    {
        var src = lib.Source ?? new LibrarySource();
        var package = string.IsNullOrWhiteSpace(lib.Package) ? lib.Name : lib.Package.Trim();
        var req = new StringBuilder(package);
        if (src.Extras is { Count: > 0 })
            req.Append('[').Append(string.Join(",", src.Extras.Select(e => e.Trim()).Where(e => e.Length > 0))).Append(']');
        string? table = null;
        switch ((src.Type ?? "").ToLowerInvariant())
        {
            case "pypi":
                var v = src.Version?.Trim();
                if (!string.IsNullOrEmpty(v))
                    req.Append(char.IsDigit(v![0]) ? "==" + v : v);
                break;
            case "git":
            {
                var parts = new List<string> { "git = " + TomlText.Basic(GitUrl(src.Url ?? "")) };
                if (!string.IsNullOrEmpty(src.Ref))
                {
                    var kind = (src.RefKind ?? "ref").ToLowerInvariant() switch { "tag" => "tag", "branch" => "branch", _ => "rev" };
                    parts.Add(kind + " = " + TomlText.Basic(src.Ref!));
                }
                if (!string.IsNullOrEmpty(src.Subdirectory))
                    parts.Add("subdirectory = " + TomlText.Basic(Paths.ProjectPaths.Normalize(src.Subdirectory!)));
                table = "{ " + string.Join(", ", parts) + " }";
                break;
            }
            case "local":
            {
                var path = Paths.ProjectPaths.Normalize(relativePath ?? src.Path ?? ".");
                var editable = src.Editable ?? string.Equals(lib.Mode, "dev", StringComparison.OrdinalIgnoreCase);
                table = "{ path = " + TomlText.Basic(path) + (editable ? ", editable = true" : "") + " }";
                break;
            }
            default:
                throw new ArgumentException($"library '{lib.Name}' has unknown source type '{src.Type}'", nameof(lib));
        }
        if (!string.IsNullOrWhiteSpace(src.Markers))
            req.Append("; ").Append(src.Markers!.Trim());
        return new ManagedDependency(package, req.ToString(), table);
    }

    static string GitUrl(string url)
    {
        var u = url.Trim();
        // A plain absolute local path becomes a file:// URL (uv's `git` key takes a URL).
        if (u.StartsWith("/", StringComparison.Ordinal)) return "file://" + u;
        if (u.Length > 2 && char.IsLetter(u[0]) && u[1] == ':' && (u[2] == '\\' || u[2] == '/')) return "file:///" + u.Replace('\\', '/');
        return u;
    }
}
