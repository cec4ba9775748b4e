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
}
