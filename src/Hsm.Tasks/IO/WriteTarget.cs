using Hsm.Diagnostics;

namespace Hsm.IO;

/// <summary>
/// Where a replacement of an artifact really lands (design §9): a symlinked pyproject.toml, Compose file
/// or env file is written through to its final target (the temp file and the atomic rename happen in
/// the target's folder), so the link stays a link; and a target the user made read-only (file or
/// folder) is refused with HSM4031 before anything changes.
/// </summary>
public static class WriteTarget
{
    /// <summary>The final target of a chain of symbolic links, or <paramref name="path"/> itself.</summary>
    public static string Resolve(string path)
    {
        if (!GuardedFile.IsSymlink(path)) return path;
        var final = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true);
        return final?.FullName ?? path;
    }

    /// <summary>
    /// Reports <see cref="Codes.ReadOnlyTarget"/> when the file a replace would write (after links) is
    /// read-only, or when the folder the rename (or delete) happens in is. True when the write may go ahead.
    /// </summary>
    public static bool CheckWritable(string target, bool delete, Func<string, string> label, DiagnosticBag d)
    {
        string real;
        try { real = delete ? target : Resolve(target); }
        catch (IOException e)
        {
            d.Error(Codes.ArtifactNotRegular, new SourceSpan(label(target), 0, 0), $"'{label(target)}' is a symbolic link Hsm cannot follow ({e.Message}); replace it with a regular file or a working link.");
            return false;
        }
        var shown = real == target ? $"'{label(target)}'" : $"'{label(target)}' (a link to '{label(real)}')";
        if (!delete && File.Exists(real) && (File.GetAttributes(real) & FileAttributes.ReadOnly) != 0)
        {
            d.Error(Codes.ReadOnlyTarget, new SourceSpan(label(target), 0, 0),
                $"{shown} is read-only, so Hsm does not replace it; nothing was changed. Make it writable (chmod u+w, or clear the read-only attribute) and build again.");
            return false;
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(real));
        if (folder != null && Directory.Exists(folder) && (new DirectoryInfo(folder).Attributes & FileAttributes.ReadOnly) != 0)
        {
            d.Error(Codes.ReadOnlyTarget, new SourceSpan(label(target), 0, 0),
                $"The folder '{label(folder)}' of {shown} is read-only, so Hsm cannot {(delete ? "delete" : "replace")} the file there (it writes a temporary file beside it and renames it); nothing was changed. Make the folder writable and build again.");
            return false;
        }
        return true;
    }
}
