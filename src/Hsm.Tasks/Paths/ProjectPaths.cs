namespace Hsm.Paths;

/// <summary>
/// The one place where Hsm turns paths into the relative, '/'-separated form it writes into files and
/// hsm.lock, and decides whether a path lies inside a folder hsm may write or delete in (design §8, §9).
/// Containment is decided on real paths: every existing ancestor's symbolic link is resolved, so
/// <c>sub/link/x</c> with <c>sub/link → /etc</c> is outside the project.
/// </summary>
public static class ProjectPaths
{
    static readonly StringComparison PathComparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()
        ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>
    /// <paramref name="target"/> relative to <paramref name="folder"/>, '/'-separated and normalised
    /// ("." for the folder itself); null when there is no relative form (another drive or UNC root).
    /// </summary>
    public static string? RelativeFrom(string folder, string target)
    {
        var f = Path.GetFullPath(folder);
        var t = Path.GetFullPath(target);
        if (!string.Equals(Path.GetPathRoot(f), Path.GetPathRoot(t), PathComparison)) return null;
        var rel = Path.GetRelativePath(f, t);
        if (Path.IsPathRooted(rel)) return null;
        return rel.Replace('\\', '/');
    }

    /// <summary>
    /// The name of a file in diagnostics and in hsm.lock: relative to the project directory, also when
    /// it lies outside it (<c>../docker-compose.hsm.yml</c>); absolute only when no relative form exists.
    /// </summary>
    public static string Key(string projectDirectory, string path) =>
        RelativeFrom(projectDirectory, path) ?? Path.GetFullPath(path).Replace('\\', '/');

    /// <summary>
    /// A path as hsm compares and writes it, without touching the file system: '/'-separated, no empty or
    /// <c>.</c> segments, no trailing '/'; a leading '/' is kept; "." for the folder itself (or an empty path).
    /// <c>..</c> is kept (a context beside the project is legitimate); absolute paths are not made relative.
    /// </summary>
    public static string Normalize(string path)
    {
        var p = path.Replace('\\', '/');
        var joined = string.Join("/", p.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != "."));
        if (p.StartsWith('/')) return "/" + joined;
        return joined.Length == 0 ? "." : joined;
    }

    /// <summary>A folder's full path, '/'-separated, without a trailing '/': the key that compares folders (clone targets, redirects).</summary>
    public static string FolderKey(string path) => Path.GetFullPath(path).Replace('\\', '/').TrimEnd('/');

    /// <summary>True when the text is an absolute path on any platform (<c>/x</c>, <c>C:\x</c>, <c>C:/x</c>, <c>\\server\x</c>).</summary>
    public static bool IsAbsolute(string path) =>
        path.StartsWith('/') || path.StartsWith('\\') || (path.Length >= 3 && char.IsAsciiLetter(path[0]) && path[1] == ':' && path[2] is '/' or '\\');

    /// <summary>
    /// A path from a registry or manifest as hsm writes it: relative paths stay as they are
    /// (normalised); an absolute one becomes relative to <paramref name="baseFolder"/>. False when it has
    /// no relative form.
    /// </summary>
    public static bool TryMakeRelative(string path, string baseFolder, out string relative)
    {
        relative = path;
        if (!IsAbsolute(path)) return true;
        var rel = RelativeFrom(baseFolder, path);
        if (rel is null) return false;
        relative = rel;
        return true;
    }

    /// <summary>The path with every symbolic link among its existing ancestors (and itself) resolved.</summary>
    public static string RealPath(string path) => RealPath(path, 0);

    static string RealPath(string path, int depth)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "";
        var parts = full[root.Length..].Split(new[] { Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar }, StringSplitOptions.RemoveEmptyEntries);
        var current = root;
        for (int i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (!info.Exists && info.LinkTarget is null)
                return Path.GetFullPath(Path.Combine(new[] { next }.Concat(parts[(i + 1)..]).ToArray())); // the rest does not exist yet
            FileSystemInfo? target = null;
            try { target = info.LinkTarget is null ? null : info.ResolveLinkTarget(returnFinalTarget: true); }
            catch (IOException) { target = null; } // a link cycle: containment then fails on the unresolved name
            next = target is null ? next : depth < 40 ? RealPath(target.FullName, depth + 1) : Path.GetFullPath(target.FullName);
            current = next;
        }
        return Path.GetFullPath(current);
    }

    /// <summary>True when <paramref name="path"/> (real path) is <paramref name="folder"/> (real path) or inside it.</summary>
    public static bool IsInside(string folder, string path) => IsInsideReal(RealPath(folder), RealPath(path));

    /// <summary>True when <paramref name="path"/> is fully qualified and its real path lies in one of <paramref name="realFolders"/>
    /// (resolved by <see cref="RealPath(string)"/>): a path read from a file hsm did not just write (a journal, a plan).</summary>
    public static bool IsInsideAny(IEnumerable<string> realFolders, string? path) =>
        !string.IsNullOrEmpty(path) && Path.IsPathFullyQualified(path) && RealPath(path) is var real && realFolders.Any(f => IsInsideReal(f, real));

    /// <summary><see cref="IsInside"/> of two paths already resolved by <see cref="RealPath(string)"/> (a caller checking
    /// many files against the same folders resolves the folders once).</summary>
    public static bool IsInsideReal(string realFolder, string realPath)
    {
        var f = realFolder.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return string.Equals(realPath, f, PathComparison) || realPath.StartsWith(f + Path.DirectorySeparatorChar, PathComparison);
    }

    /// <summary>
    /// A relative key (as hsm.lock records it) resolved against <paramref name="baseFolder"/>, when it is a
    /// plain relative path ('/'-separated, no absolute form, no empty or '.' segment) and its real path lies in
    /// one of <paramref name="allowedFolders"/>; else null.
    /// </summary>
    public static string? ResolveKey(string baseFolder, string key, IEnumerable<string> allowedFolders)
    {
        if (key.Length == 0 || IsAbsolute(key) || key.Contains('\\') || key.Contains('\0') || key.EndsWith('/')) return null;
        if (key.Split('/').Any(s => s.Length == 0 || s == ".")) return null;
        var full = Path.GetFullPath(Path.Combine(baseFolder, key));
        return allowedFolders.Any(f => IsInside(f, full)) ? full : null;
    }
}
