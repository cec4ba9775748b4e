namespace Hsm.Registry;

/// <summary>
/// The names a registry file may give to env variables and to services (whose <c>.env.&lt;name&gt;</c> hsm
/// writes). Checked when the registry is read; the Compose renderer writes by the same rules
/// (<see cref="Compose.EnvRenderer"/> forwards here).
/// </summary>
public static class EnvNames
{
    /// <summary>
    /// Service names whose <c>.env.&lt;name&gt;</c> would take a reserved or a commonly user-owned file
    /// (design §9; rejected at load, HSM1029): <c>hsm</c> and <c>hsm.*</c> (Hsm's own <c>.env.hsm</c>,
    /// <c>.env.hsm.local</c>), <c>local</c> and <c>*.local</c> (dotenv's machine-local overrides such as
    /// <c>.env.local</c>, <c>.env.production.local</c>), and the environment names dotenv tools, Vite,
    /// Next.js and Docker users give their own files.
    /// </summary>
    public static readonly IReadOnlyList<string> ReservedServiceNames = new[]
    {
        "hsm", "local", "development", "dev", "production", "prod", "test", "testing", "staging",
        "example", "sample", "template", "defaults", "dist", "override",
    };

    /// <summary>True when <c>.env.&lt;name&gt;</c> is a reserved file name (see <see cref="ReservedServiceNames"/>).</summary>
    public static bool IsReservedServiceName(string name)
    {
        var n = name.ToLowerInvariant();
        return ReservedServiceNames.Contains(n) || n.StartsWith("hsm.", StringComparison.Ordinal) || n.EndsWith(".local", StringComparison.Ordinal);
    }

    /// <summary>A name both Compose's and uv's env-file readers accept: [A-Za-z_][A-Za-z0-9_.-]*.</summary>
    public static bool IsValidKey(string key)
    {
        if (key.Length == 0 || !(char.IsAsciiLetter(key[0]) || key[0] == '_')) return false;
        foreach (var c in key) // a loop, not LINQ over the string's characters (called for every env key of the stack)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')) return false;
        return true;
    }
}
