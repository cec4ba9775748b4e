using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Registry;

namespace Hsm.Compose;

/// <summary>
/// Design §9 "Secrets": no diagnostic or log line quotes a value read from an env_file or an
/// <c>external</c> map. hsm's own messages name the key and file:line; output of other tools that hsm
/// echoes (the Compose parser reads the env files the generated file references) goes through
/// <see cref="Redact"/> first, which replaces every such value by <c>***</c>.
/// </summary>
public static class SecretValues
{
    /// <summary>Shorter values (<c>1</c>, <c>on</c>) are not redacted: they would blank out ordinary words.</summary>
    public const int MinLength = 4;

    /// <summary>The values of the stack's external maps and of every env file its services reference.</summary>
    public static HashSet<string> Collect(ResolvedStack stack, string projectDirectory)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        void Add(string? v) { if (v != null && v.Trim().Length >= MinLength) { values.Add(v); values.Add(v.Trim()); } }
        foreach (var s in stack.Services)
        {
            foreach (var v in s.External?.Values ?? Enumerable.Empty<string>()) Add(v);
            foreach (var f in s.EnvFiles)
            {
                var read = IO.GuardedFile.Read(Path.Combine(projectDirectory, f), Resolution.EnvFiles.MaxBytes);
                if (read.Bytes is null) continue;
                foreach (var e in EnvFileParser.Parse(new System.Text.UTF8Encoding(false).GetString(read.Bytes), f, new DiagnosticBag())) Add(e.Value);
            }
        }
        return values;
    }

    /// <summary>The values of the stack that obj/hsm/resolved.json describes, or none when it cannot be read.</summary>
    public static HashSet<string> CollectFromResolved(string intermediateDirectory, string projectDirectory)
    {
        try
        {
            var path = ResolvedStack.PathIn(intermediateDirectory);
            if (IO.GuardedFile.KindOf(path) != IO.FileKind.Regular) return new();
            return Collect(ResolvedStack.FromJson(File.ReadAllText(path)), projectDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException)
        {
            return new();
        }
    }

    /// <summary><paramref name="text"/> with every secret value replaced by <c>***</c> (longest first).</summary>
    public static string Redact(string text, IReadOnlyCollection<string> secrets)
    {
        if (secrets.Count == 0 || text.Length == 0) return text;
        foreach (var v in secrets.OrderByDescending(v => v.Length))
            if (text.Contains(v, StringComparison.Ordinal)) text = text.Replace(v, "***", StringComparison.Ordinal);
        return text;
    }
}
