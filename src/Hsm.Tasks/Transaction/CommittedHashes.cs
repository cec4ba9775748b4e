using System.Security.Cryptography;
using System.Text;

namespace Hsm.Transaction;

/// <summary>
/// The record a commit leaves of what the project's hsm-written files hold right after it (docs/targets.md,
/// "How incrementality works"): one line per regular file, <c>full path=SHA-256</c> in upper-case hex, sorted
/// ordinally, then a line <c>-</c>. That is exactly the line MSBuild's GetFileHash gives in the always-running
/// target (<c>%(FullPath)=%(FileHash)</c>, HashEncoding hex), which compares the files now against this record
/// and re-stages only when they differ: a hand edit is found by content, and the commit's own writes are not a
/// change. The path of the record and the list of files to watch come from the targets; this class names none.
/// </summary>
public static class CommittedHashes
{
    /// <summary>The record's lines for <paramref name="files"/> (missing and non-regular files have no line).</summary>
    public static string Format(IEnumerable<string> files)
    {
        var lines = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            if (string.IsNullOrWhiteSpace(f)) continue;
            var full = Path.GetFullPath(f);
            // Never open a FIFO, socket or device: the targets record those as `special`, which no commit writes.
            if (IO.GuardedFile.KindOf(full) != IO.FileKind.Regular) continue;
            lines.Add(full + "=" + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(full))));
        }
        var text = new StringBuilder();
        foreach (var l in lines) text.Append(l).Append('\n');
        return text.Append("-\n").ToString();
    }

    /// <summary>
    /// Writes the record of <paramref name="watched"/> (the targets' list: paths, or wildcards in the file name such
    /// as <c>.env.*</c>, expanded here as MSBuild expands them in the target) to <paramref name="recordPath"/>, by a
    /// rename, only when it changes. The record covers exactly the files the target hashes, so the two compare.
    /// </summary>
    public static void Record(string recordPath, IEnumerable<string> watched)
    {
        var content = Format(Expand(watched));
        if (File.Exists(recordPath) && File.ReadAllText(recordPath) == content) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(recordPath))!);
        var tmp = recordPath + ".tmp";
        File.WriteAllText(tmp, content, new UTF8Encoding(false));
        File.Move(tmp, recordPath, overwrite: true);
    }

    /// <summary>Each entry as a path, or the files its wildcard file name matches in its folder (not recursive).</summary>
    public static IEnumerable<string> Expand(IEnumerable<string> watched)
    {
        foreach (var w in watched)
        {
            if (string.IsNullOrWhiteSpace(w)) continue;
            var name = Path.GetFileName(w);
            if (name.IndexOfAny(new[] { '*', '?' }) < 0) { yield return w; continue; }
            var dir = Path.GetDirectoryName(Path.GetFullPath(w))!;
            if (!Directory.Exists(dir)) continue;
            foreach (var f in Directory.EnumerateFiles(dir, name, new EnumerationOptions { AttributesToSkip = 0, MatchType = MatchType.Simple }))
                yield return f;
        }
    }
}
