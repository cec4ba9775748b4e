using Hsm.Diagnostics;

namespace Hsm.Resolution;

/// <summary>Reads the keys of a user env file (Compose's env-file grammar) for the fail-fast checks. Values are never kept.</summary>
public static class EnvFiles
{
    public const int MaxBytes = 1024 * 1024;

    public static IReadOnlyList<(string Key, int Line)> ReadKeys(string path, string label, DiagnosticBag d)
    {
        var read = IO.GuardedFile.Read(path, MaxBytes);
        if (read.Kind != IO.FileKind.Regular)
        {
            d.Error(Codes.NotRegularFile, new SourceSpan(label, 0, 0), IO.GuardedFile.NotRegularMessage(label, read.Kind, "an env file"));
            return Array.Empty<(string, int)>();
        }
        if (read.TooLarge)
        {
            d.Error(Codes.EnvFileProblem, new SourceSpan(label, 1, 1), $"env file '{label}' is larger than 1 MiB; Hsm does not read it.");
            return Array.Empty<(string, int)>();
        }
        if (read.Bytes is null)
        {
            d.Error(Codes.EnvFileProblem, new SourceSpan(label, 0, 0), $"env file '{label}' cannot be read: {read.Error}");
            return Array.Empty<(string, int)>();
        }
        var text = new System.Text.UTF8Encoding(false).GetString(read.Bytes);
        return Registry.EnvFileParser.Parse(text, label, d).Select(e => (e.Key, e.Line)).ToList();
    }
}
