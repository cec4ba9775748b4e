using Hsm.Diagnostics;

namespace Hsm.Resolution;

/// <summary>Reads the keys of a user env file (Compose's env-file grammar) for the fail-fast checks.</summary>
public static class EnvFiles
{
    public static IReadOnlyList<(string Key, int Line)> ReadKeys(string path, string label, DiagnosticBag d)
    {
        var text = File.ReadAllText(path);
        return Hsm.Compose.EnvFileParser.Parse(text, label, d).Select(e => (e.Key, e.Line)).ToList();
    }
}
