using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Yaml;

namespace Hsm.Compose;

/// <summary>
/// Finds where a key of a service was written in its registry file, so a publishing diagnostic points at
/// file(line,col), read again only when there is something to report: the top-level key, else the key in <c>sources.prod</c>, else in <c>compose:</c>, else the file.
/// </summary>
public sealed class RegistryLocator(string projectDirectory)
{
    private readonly Dictionary<string, YMapping?> _files = new(StringComparer.Ordinal);

    /// <summary>Where an inline env variable was set: the highest layer that sets it (profile, source, service), else the env key.</summary>
    public SourceSpan OfEnv(ResolvedService s, string variable)
    {
        var root = Root(s);
        if (root is null) return Of(s, "env");
        var layers = new[]
        {
            ((root["deployment_profiles"] as YMapping)?[s.Profile] as YMapping)?["env"] as YMapping,
            ((root["sources"] as YMapping)?[s.Source?.Key ?? "prod"] as YMapping)?["env"] as YMapping,
            root["env"] as YMapping,
        };
        foreach (var layer in layers)
            if (layer?.Entries.FirstOrDefault(e => e.Key.Value == variable).Key is { } k) return new SourceSpan(s.RegistryFile!, k.Line, k.Column);
        return Of(s, "env");
    }

    private YMapping? Root(ResolvedService s)
    {
        if (s.RegistryFile is null) return null;
        if (!_files.TryGetValue(s.RegistryFile, out var root))
        {
            var path = Path.IsPathRooted(s.RegistryFile) ? s.RegistryFile : Path.Combine(projectDirectory, s.RegistryFile);
            root = File.Exists(path) ? SafeYamlLoader.LoadFile(path, s.RegistryFile, new DiagnosticBag()) as YMapping : null;
            _files[s.RegistryFile] = root;
        }
        return root;
    }

    public SourceSpan Of(ResolvedService s, string key)
    {
        if (s.RegistryFile is null) return SourceSpan.None;
        var root = Root(s);
        if (root is null) return new SourceSpan(s.RegistryFile, 1, 1);
        Yaml.YScalar? Find(YMapping? m) => m?.Entries.FirstOrDefault(e => e.Key.Value == key).Key;
        var sourceKey = s.Source?.Key ?? "prod";
        var hit = Find(root)
            ?? Find((root["sources"] as YMapping)?[sourceKey] as YMapping)
            ?? Find(root["compose"] as YMapping)
            ?? Find(((root["deployment_profiles"] as YMapping)?[s.Profile]) as YMapping);
        return hit is null ? new SourceSpan(s.RegistryFile, 1, 1) : new SourceSpan(s.RegistryFile, hit.Line, hit.Column);
    }
}
