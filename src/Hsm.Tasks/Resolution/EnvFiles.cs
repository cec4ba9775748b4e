using Hsm.Diagnostics;

namespace Hsm.Resolution;

/// <summary>Reads the keys of a user env file (Compose's env-file grammar) for the fail-fast checks. Values are never kept.</summary>
public static class EnvFiles
{
    public const int MaxBytes = 1024 * 1024;

    public static IReadOnlyList<(string Key, int Line)> ReadKeys(string path, string label, DiagnosticBag d)
    {
        string text;
        try
        {
            if (new FileInfo(path).Length > MaxBytes)
            {
                d.Error(Codes.EnvFileProblem, new SourceSpan(label, 1, 1), $"env file '{label}' is larger than 1 MiB; Hsm does not read it.");
                return Array.Empty<(string, int)>();
            }
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            d.Error(Codes.EnvFileProblem, new SourceSpan(label, 0, 0), $"env file '{label}' cannot be read: {e.Message}");
            return Array.Empty<(string, int)>();
        }
        return Hsm.Compose.EnvFileParser.Parse(text, label, d).Select(e => (e.Key, e.Line)).ToList();
    }
}
