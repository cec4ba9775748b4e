using System.Text.RegularExpressions;

namespace Hsm.Lock;

/// <summary>
/// Which hsm.lock <c>files:</c> keys are HsmPublish's (the chain carries them over unchanged). A rule about
/// the lock's keys, so it lives with the lock: the chain's staging (below Publish) and HsmPublish both ask it.
/// </summary>
public static partial class PublishedFiles
{
    /// <summary>The stack file of a Swarm publish (SwarmPublisher.FileName).</summary>
    public const string SwarmStackFile = "docker-stack.yml";

    /// <summary>The file every Kubernetes publish writes in its folder.</summary>
    public const string KustomizationFile = "kustomization.yaml";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*\\.ya?ml$", RegexOptions.CultureInvariant)]
    private static partial Regex FileName();

    /// <summary>
    /// True for an hsm.lock <c>files:</c> key that can only be a published file: a relative path in a
    /// subfolder, without "..", ending in .yaml/.yml, and not the Compose file. The chain carries these
    /// entries over unchanged (they are HsmPublish's).
    /// </summary>
    public static bool IsPublishEntry(string key, string composeLabel) =>
        key != composeLabel && key.Contains('/') && !key.StartsWith('/') && !key.Contains('\\') && !key.Contains(':')
        && !key.Split('/').Any(p => p is "" or "." or "..") && FileName().IsMatch(key[(key.LastIndexOf('/') + 1)..]);

    /// <summary>
    /// The hsm.lock <c>files:</c> keys the chain carries over: publish entries (<see cref="IsPublishEntry"/>) in a
    /// folder whose entries include a <c>kustomization.yaml</c> or a <c>docker-stack.yml</c> (every publish
    /// writes one), so a stale key of another kind is not kept forever.
    /// </summary>
    public static List<string> PublishEntries(ICollection<string> keys, string composeLabel)
    {
        static string Folder(string k) => k[..k.LastIndexOf('/')];
        var candidates = keys.Where(k => IsPublishEntry(k, composeLabel)).ToList();
        var roots = candidates.Where(k => k.EndsWith("/" + KustomizationFile, StringComparison.Ordinal) || k.EndsWith("/" + SwarmStackFile, StringComparison.Ordinal))
            .Select(Folder).ToHashSet(StringComparer.Ordinal);
        return candidates.Where(k => roots.Contains(Folder(k))).ToList();
    }
}
