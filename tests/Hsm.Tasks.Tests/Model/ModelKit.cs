using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Resolution;

namespace Hsm.Tests.Model;

/// <summary>Builds throw-away projects from fixture folders and runs ResolvePipeline in-process.</summary>
public static class ModelKit
{
    public static string FixtureRoot { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures", "model");

    public static string NewTempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hsm-model-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    /// <summary>A copy of a fixture folder (relative to Fixtures/model) in a fresh temp directory.</summary>
    public static string Project(string fixture)
    {
        var dir = NewTempDir();
        CopyTree(Path.Combine(FixtureRoot, fixture), dir);
        return dir;
    }

    public static (ResolvedStack? Stack, DiagnosticBag Diagnostics) Resolve(string projectDir, string? forcedMode = null,
        string? registryProperty = null, string? registryEnv = null, string manifest = "hsm.yaml", bool wholeRegistry = false)
    {
        var d = new DiagnosticBag();
        var (stack, _) = ResolvePipeline.Run(new ResolveRequest
        {
            ManifestPath = Path.Combine(projectDir, manifest),
            ProjectDirectory = projectDir,
            PropertyBaseDirectory = projectDir,
            RegistryProperty = registryProperty,
            RegistryEnvironment = registryEnv,
            ForcedMode = forcedMode,
            ValidateWholeRegistry = wholeRegistry,
        }, d);
        return (stack, d);
    }

    public static string Format(IEnumerable<Diagnostic> ds) => string.Join("\n", ds.Select(x => x.ToString()));

    public static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
