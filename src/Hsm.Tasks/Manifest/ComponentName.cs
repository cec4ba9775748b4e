using System.Text.RegularExpressions;

namespace Hsm.Manifest;

/// <summary>
/// The component name rule (design §3): names become file names and Compose keys, so anything but
/// ^[a-z0-9][a-z0-9._-]{0,62}$ (any case) is rejected before a registry lookup or a file name is built
/// from it. Here, below the registry, because hsm.yaml and the registry files both apply it.
/// </summary>
public static partial class ComponentName
{
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string name) => Pattern().IsMatch(name.ToLowerInvariant());

    /// <summary>
    /// True for a name Windows reserves as a file name whatever the extension (CON, PRN, AUX, NUL, COM0–9, LPT0–9, any
    /// case, before the first '.'): a registry file or a clone folder of that name cannot be checked out there.
    /// </summary>
    public static bool IsWindowsReserved(string name)
    {
        var stem = name.Split('.')[0].ToLowerInvariant();
        return stem is "con" or "prn" or "aux" or "nul"
            || stem.Length == 4 && (stem.StartsWith("com", StringComparison.Ordinal) || stem.StartsWith("lpt", StringComparison.Ordinal)) && char.IsAsciiDigit(stem[3]);
    }
}
