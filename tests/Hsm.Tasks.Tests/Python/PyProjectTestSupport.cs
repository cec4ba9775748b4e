using System.Text;
using Hsm.Diagnostics;
using Hsm.Python;

namespace Hsm.Tests.Python;

internal static class PyProjectTestSupport
{
    public static readonly UTF8Encoding Utf8 = new(false);

    public static string FixtureDir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "pyproject");

    /// <summary>Reads a file keeping a BOM as U+FEFF (the way hsm reads pyproject.toml).</summary>
    public static string ReadRaw(string path) => Utf8.GetString(File.ReadAllBytes(path));

    public const string LocalPackage = "qdrant-adapter";
    public const string LocalPath = "packages/qdrant-adapter";

    public static readonly ManagedDependency Local = new(LocalPackage, "qdrant-adapter",
        "{ path = \"packages/qdrant-adapter\", editable = true }");
    public static readonly ManagedDependency Git = new("hsm-plugin", "hsm-plugin",
        "{ git = \"https://github.com/org/hsm-plugin.git\", tag = \"v1.0.0\", subdirectory = \"py\" }");
    public static readonly ManagedDependency Pypi = new("langchain-core",
        "langchain-core[grpc]>=0.1,<2; python_version >= '3.10'", null);

    public static readonly IReadOnlyList<ManagedDependency> Standard = new[] { Local, Git, Pypi };

    public static PyProjectEditResult Apply(string? text, IReadOnlyList<ManagedDependency> desired, OwnedPyProject? owned, DiagnosticBag bag,
        string name = "demo", string version = "0.1.0") =>
        PyProjectEditor.Apply(text, desired, owned, "pyproject.toml", name, version, bag);

    /// <summary>A temp folder holding the written pyproject.toml (BOM stripped: tomllib rejects one) and the local packages it points to.</summary>
    public static string WriteProject(string text, params string[] packages)
    {
        var dir = Path.Combine(Path.GetTempPath(), "hsm-pyproject-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        foreach (var p in packages.Length == 0 ? new[] { LocalPath } : packages)
        {
            var pkg = Path.Combine(dir, p);
            Directory.CreateDirectory(pkg);
            var name = Path.GetFileName(p);
            File.WriteAllText(Path.Combine(pkg, "pyproject.toml"), $"[project]\nname = \"{name}\"\nversion = \"1.0.0\"\n");
        }
        File.WriteAllText(Path.Combine(dir, "pyproject.toml"), text.TrimStart('\uFEFF'), Utf8);
        return dir;
    }

    public static (bool Ok, string Output) Check(string text, params string[] packages)
    {
        var dir = WriteProject(text, packages);
        try { return SharedTools.CheckPyProject(Path.Combine(dir, "pyproject.toml")); }
        finally { try { Directory.Delete(dir, true); } catch { } }
    }

    /// <summary>True when <paramref name="sub"/> is a subsequence of <paramref name="text"/> (only insertions happened).</summary>
    public static bool IsSubsequence(string sub, string text)
    {
        var i = 0;
        foreach (var c in text) if (i < sub.Length && sub[i] == c) i++;
        return i == sub.Length;
    }
}
