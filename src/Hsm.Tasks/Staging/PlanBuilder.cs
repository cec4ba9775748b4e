using Hsm.Diagnostics;

namespace Hsm.Staging;

/// <summary>
/// Plans one file of a stage (the chain's and HsmPublish's): reads what is there through the guarded reader,
/// writes the staged copy, records create/replace/delete/unchanged with both hashes, and the plan line.
/// Each target is read and hashed once, and each staged content encoded and hashed once: a caller that must
/// decide on the current hash first asks <see cref="CurrentHash"/>, and <see cref="Add"/> reuses it.
/// </summary>
public sealed class PlanBuilder(StagePlan plan, string stageDir, Func<string, string> label, DiagnosticBag d)
{
    private int _n;
    private readonly Dictionary<string, (byte[] Bytes, string Hash)> _current = new(StringComparer.Ordinal);

    /// <summary>What each planned target held (null: nothing) and what is staged for it (null: delete), for the plan's entries.</summary>
    public Dictionary<string, (byte[]? Original, string? Content)> Texts { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// sha256 of a regular file as it is now (links followed); null when there is none, or a special file,
    /// which is never opened. The bytes are kept for the <see cref="Add"/> of the same target.
    /// </summary>
    public string? CurrentHash(string target)
    {
        if (IO.GuardedFile.KindOf(target) != IO.FileKind.Regular) return null;
        var bytes = File.ReadAllBytes(target);
        var hash = StagePlan.Hash(bytes);
        _current[target] = (bytes, hash);
        return hash;
    }

    /// <summary>The bytes of a target as <see cref="Add"/> or <see cref="CurrentHash"/> read them (null: not read, or none).</summary>
    public byte[]? OriginalOf(string target) =>
        Texts.TryGetValue(target, out var t) ? t.Original : _current.TryGetValue(target, out var c) ? c.Bytes : null;

    /// <summary>
    /// True when a write (or delete) of <paramref name="target"/> lands inside one of <paramref name="writable"/>
    /// (design §9: hsm writes and deletes only in the project directory and the configured artifact folders);
    /// else HSM4012 naming the file. What must lie inside is where the bytes land (real path): a symbolic
    /// link as the file itself is written through to its target by the commit, so that target must be inside
    /// too — a link committed in a pull request cannot make Hsm write elsewhere — and a linked folder on the
    /// way out is refused the same way. A delete removes the link itself, so only its folder counts.
    /// </summary>
    public static bool InsideWritable(IEnumerable<string> writable, string target, bool delete, SourceSpan span, string what, Func<string, string> label, DiagnosticBag d,
        string places = "the project directory and the configured artifact folders",
        string linkFix = "Replace the link with a file, or point the artifact's property (HsmComposePath, HsmPyProjectPath) at the real path.")
    {
        var real = delete ? Path.GetFullPath(target) : Paths.ProjectPaths.RealPath(target);
        var folder = Path.GetDirectoryName(real)!;
        if (writable.Any(w => Paths.ProjectPaths.IsInside(w, folder))) return true;
        d.Error(Codes.OutsideProject, span, !delete && IO.GuardedFile.IsSymlink(target)
            ? $"{what} '{label(target)}' is a symbolic link to '{real}', outside {places}; Hsm writes through links only to targets inside them, so nothing was changed. {linkFix}"
            : $"{what} '{label(target)}' lies outside {places}; Hsm never writes or deletes there. Give a path inside the project.");
        return false;
    }

    public PlannedFile Add(string target, string? content, ArtifactKind kind) =>
        Add(target, content is null ? null : StagedContent.Of(content), kind, content);

    public PlannedFile Add(string target, StagedContent? staged, ArtifactKind kind, string? content = null)
    {
        byte[]? original;
        string? originalHash;
        if (_current.Remove(target, out var known)) (original, originalHash) = known;
        else
        {
            original = Stager.ReadArtifact(target, label(target), d);
            originalHash = original is null ? null : StagePlan.Hash(original);
        }
        var f = new PlannedFile { Target = target, Kind = kind, OriginalHash = originalHash };
        if (staged is null) f.Op = original is null ? FileOp.Unchanged : FileOp.Delete;
        else
        {
            f.StagedHash = staged.Hash;
            f.Op = original is null ? FileOp.Create : f.StagedHash == f.OriginalHash ? FileOp.Unchanged : FileOp.Replace;
            f.Staged = Path.Combine(stageDir, $"{_n++}-{Path.GetFileName(target)}");
            File.WriteAllBytes(f.Staged, staged.Bytes);
        }
        Texts[target] = (original, content ?? (staged is null ? null : Stager.Utf8NoBom.GetString(staged.Bytes)));
        plan.Files.Add(f);
        if (f.Op != FileOp.Unchanged) plan.Changes.Add($"hsm: {label(target)}: {(f.Op == FileOp.Create ? "+" : f.Op == FileOp.Delete ? "-" : "~")} {label(target)}");
        return f;
    }
}

/// <summary>A staged file's content as written (UTF-8, no BOM) and its sha256, computed once.</summary>
public sealed record StagedContent(byte[] Bytes, string Hash)
{
    public static StagedContent Of(string content)
    {
        var bytes = Stager.Utf8NoBom.GetBytes(content);
        return new StagedContent(bytes, StagePlan.Hash(bytes));
    }
}
