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
