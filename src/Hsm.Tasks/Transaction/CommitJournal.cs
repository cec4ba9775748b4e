using System.Text.Json;
using System.Text.Json.Serialization;
using Hsm.Diagnostics;
using Hsm.Staging;

namespace Hsm.Transaction;

/// <summary>
/// The all-or-nothing commit (design §6). A journal listing every operation (target, staged copy,
/// backup, temp name) is written and flushed before the first replacement; each file is replaced by
/// an atomic rename from a temp file in its own folder; files whose content is unchanged are not
/// written. After the post-step (uv) succeeds the journal is removed; any failure before that
/// restores every file (content and timestamp) from the backups. A journal found when a build starts
/// is rolled back, or forward when every staged file is already in place.
/// </summary>
/// <summary>What the journal does to one target; written to commit.journal as create, replace, delete, move-dir, guard.</summary>
public enum JournalOp
{
    Create,
    Replace,
    Delete,
    /// <summary>A clone folder moved into place.</summary>
    MoveDir,
    /// <summary>A file another tool (uv) may change after the swap: backed up, restored on rollback.</summary>
    Guard,
}

public sealed class CommitJournal
{
    public const string FileName = "commit.journal";

    public sealed class Entry
    {
        public string Target { get; set; } = "";
        public JournalOp Op { get; set; }
        public string? Staged { get; set; }
        public string? StagedHash { get; set; }
        public string? Backup { get; set; }
        /// <summary>sha256 of the target before the commit (null: it did not exist).</summary>
        public string? OriginalHash { get; set; }
        public DateTime? BackupTimeUtc { get; set; }
        public string Temp { get; set; } = "";
    }

    public sealed class Document
    {
        public List<Entry> Entries { get; set; } = new();
        /// <summary>Files another tool (uv) may change after the swap: backed up, restored on rollback.</summary>
        public List<Entry> Guarded { get; set; } = new();
    }

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) }, // the strings the journal always had
        TypeInfoResolver = TransactionJsonContext.Default, // source-generated metadata: no reflection over these types per build
    };

    /// <summary>The journal's operation for a planned file's (create, replace, delete; others are not journalled).</summary>
    private static JournalOp? OpOf(FileOp planned) => planned switch
    {
        FileOp.Create => JournalOp.Create,
        FileOp.Replace => JournalOp.Replace,
        FileOp.Delete => JournalOp.Delete,
        _ => null,
    };

    private readonly string _dir;
    private readonly string _journalPath;
    private readonly Document _doc = new();

    private readonly ICommitObserver? _observer;
    private int _step;

    /// <param name="observer">Sees every step (tests: count them, or fail at one); null in the product.</param>
    public CommitJournal(string intermediateDirectory, ICommitObserver? observer = null)
    {
        _dir = Path.Combine(intermediateDirectory, "journal");
        _journalPath = Path.Combine(intermediateDirectory, FileName);
        _observer = observer;
    }

    /// <summary>
    /// A named point of the commit, reported to the observer (which may throw there, or end the process to
    /// simulate a kill). Steps in order: backup:&lt;file&gt;…, journal, then per file apply:&lt;file&gt; (before its
    /// temp copy), temp:&lt;file&gt; (temp written, not yet renamed), done:&lt;file&gt; (renamed); applied; uv,
    /// uv-done (Committer); complete (before the journal is removed), journal-removed.
    /// </summary>
    internal void Step(string name)
    {
        _step++;
        _observer?.OnStep(_step, name);
    }

    /// <summary>Backs up every target and writes the journal (flushed) before anything changes.</summary>
    public void Prepare(IEnumerable<PlannedFile> files, IEnumerable<PlannedClone> clones, IEnumerable<string> guarded)
    {
        Directory.CreateDirectory(_dir);
        int i = 0;
        // Clones first: a pyproject.toml inside a cloned folder is part of the clone.
        foreach (var c in clones)
            _doc.Entries.Add(new Entry { Target = c.Target, Op = JournalOp.MoveDir, Staged = c.Staged, Temp = c.Staged });
        foreach (var f in files)
            if (OpOf(f.Op) is JournalOp op) _doc.Entries.Add(BackUp(f.Target, op, f.Staged, f.StagedHash, i++));
        foreach (var g in guarded)
            if (_doc.Entries.All(e => e.Target != g)) _doc.Guarded.Add(BackUp(g, JournalOp.Guard, null, null, i++));
        Step("journal");
        WriteDurably(_journalPath, JsonSerializer.Serialize(_doc, Options));
    }

    private Entry BackUp(string target, JournalOp op, string? staged, string? stagedHash, int i)
    {
        // A symlinked artifact is written through to its final target (temp file and rename in the target's folder): the link stays.
        if (op != JournalOp.Delete) target = IO.WriteTarget.Resolve(target);
        var e = new Entry { Target = target, Op = op, Staged = staged, StagedHash = stagedHash, Temp = TempName(target, i) };
        Step("backup:" + Path.GetFileName(target));
        if (File.Exists(target))
        {
            e.Backup = Path.Combine(_dir, $"{i}.bak");
            File.Copy(target, e.Backup, overwrite: true);
            FlushFile(e.Backup); // durable before the journal that points at it
            e.OriginalHash = StagePlan.HashFile(e.Backup);
            e.BackupTimeUtc = File.GetLastWriteTimeUtc(target);
        }
        return e;
    }

    private static string TempName(string target, int i) =>
        Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.hsm-{Environment.ProcessId}-{i}.tmp");

    /// <summary>Applies every entry; checks cancellation between files, never inside one.</summary>
    public void Apply(CancellationToken cancel)
    {
        foreach (var e in _doc.Entries)
        {
            cancel.ThrowIfCancellationRequested();
            var name = Path.GetFileName(e.Target);
            Step("apply:" + name);
            if (e.Op == JournalOp.MoveDir)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(e.Target)!);
                Directory.Move(e.Staged!, e.Target); // a rename within the project's file system
                Step("done:" + name);
                continue;
            }
            if (e.Op == JournalOp.Delete)
            {
                if (File.Exists(e.Target)) File.Delete(e.Target);
                Step("done:" + name);
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(e.Target)!);
            File.Copy(e.Staged!, e.Temp, overwrite: true);
            File.SetLastWriteTimeUtc(e.Temp, DateTime.UtcNow); // File.Copy keeps the staged file's time; the new content is new now
            FlushFile(e.Temp);
            Step("temp:" + name);
            Replace(e.Temp, e.Target);
            Step("done:" + name);
        }
        Step("applied");
    }

    /// <summary>The commit succeeded: remove the journal (last), then the backups.</summary>
    public void Complete()
    {
        Step("complete");
        File.Delete(_journalPath);
        Step("journal-removed");
        TryDeleteDirectory(_dir);
    }

    /// <summary>What a rollback did to each file (project-relative names).</summary>
    public sealed class RollbackResult
    {
        /// <summary>Files put back as they were before the commit.</summary>
        public List<string> Restored { get; } = new();
        /// <summary>Files changed by someone else after hsm wrote them: their bytes were kept (HSM4007).</summary>
        public List<string> Kept { get; } = new();

        /// <summary>The sentence for the build's final message: true about every file.</summary>
        public string Summary()
        {
            if (Kept.Count == 0)
                return Restored.Count == 0
                    ? " Every file was restored: none had been changed yet; nothing in the project changed."
                    : $" Every file was restored ({string.Join(", ", Restored)} as before the commit; the others were never touched); nothing in the project changed.";
            return (Restored.Count == 0 ? " No file needed restoring." : $" These files were restored as before the commit: {string.Join(", ", Restored)}.")
                + $" Kept as you saved them during the build, not rolled back (HSM4007): {string.Join(", ", Kept)}.";
        }
    }

    public RollbackResult Rollback(string projectDirectory, DiagnosticBag d) => Rollback(_doc, _journalPath, _dir, projectDirectory, d);

    /// <summary>
    /// Puts every file back, newest operation first — but only a file that still holds what this commit
    /// wrote (or, for a deletion, is still absent). A file that already holds its old content was never
    /// replaced and is not touched (its timestamp stays). A file someone changed after hsm wrote it (an editor
    /// saving during uv sync) keeps the user's bytes and gets warning HSM4007. uv.lock (guarded: uv, not hsm,
    /// writes it) is restored whenever it changed. No temp file is left behind, even when a restore fails.
    /// </summary>
    private static RollbackResult Rollback(Document doc, string journalPath, string dir, string projectDirectory, DiagnosticBag d)
    {
        var result = new RollbackResult();
        string label(string p) => Hsm.Paths.ProjectPaths.Key(projectDirectory, p);
        foreach (var e in doc.Guarded.Concat(Enumerable.Reverse(doc.Entries)))
        {
            if (e.Op == JournalOp.MoveDir)
            {
                // the folder did not exist before the commit: put the clone back where it was staged
                if (Directory.Exists(e.Target) && !Directory.Exists(e.Staged!)) Directory.Move(e.Target, e.Staged!);
                continue;
            }
            if (File.Exists(e.Temp)) File.Delete(e.Temp);
            var now = StagePlan.HashFile(e.Target);
            var original = e.Backup is null ? null : e.OriginalHash ?? StagePlan.HashFile(e.Backup);
            if (now == original) continue; // never replaced (or already restored): not rewritten
            bool oursNow = e.Op switch
            {
                JournalOp.Guard => true,
                JournalOp.Delete => now is null,
                _ => now == e.StagedHash,
            };
            if (!oursNow)
            {
                result.Kept.Add(label(e.Target));
                d.Warning(Codes.RollbackKeptEdit, new SourceSpan(label(e.Target), 0, 0),
                    $"'{label(e.Target)}' was changed by someone else after Hsm wrote it during the failed commit; rolling back would destroy that edit, so your version is kept. Check it: it may mix your edit with what Hsm wrote.");
                continue;
            }
            if (e.Backup != null && File.Exists(e.Backup))
            {
                try
                {
                    File.Copy(e.Backup, e.Temp, overwrite: true);
                    if (e.BackupTimeUtc is DateTime t) File.SetLastWriteTimeUtc(e.Temp, t);
                    Replace(e.Temp, e.Target);
                }
                finally { TryDeleteFile(e.Temp); }
            }
            else if (e.Backup is null && File.Exists(e.Target))
            {
                File.Delete(e.Target); // it did not exist before the commit
            }
            result.Restored.Add(label(e.Target));
        }
        File.Delete(journalPath);
        TryDeleteDirectory(dir);
        result.Restored.Reverse(); // in the order of the commit
        return result;
    }

    private static void TryDeleteFile(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Called first by every build: an existing journal means an earlier commit was interrupted. Roll
    /// forward when every staged file is already in place and no post-step was guarded, else back.
    /// </summary>
    public static void RecoverIfNeeded(string intermediateDirectory, string projectDirectory, DiagnosticBag d, IEnumerable<string>? artifactFolders = null)
    {
        var journalPath = Path.Combine(intermediateDirectory, FileName);
        var dir = Path.Combine(intermediateDirectory, "journal");
        if (!File.Exists(journalPath))
        {
            TryDeleteDirectory(dir); // backups of a commit killed before its journal was written
            if (File.Exists(journalPath + ".tmp")) File.Delete(journalPath + ".tmp");
            return;
        }
        // The record of the last uv run may say "synced" although the files are now rolled back or forward:
        // remove it before touching anything. The targets' stamps are theirs (the journal is an input of
        // HsmStage, HsmSync and HsmCommit, and the files are watched by content), so this build re-runs the
        // chain and converges to what an uninterrupted build gives.
        File.Delete(Path.Combine(intermediateDirectory, Committer.UvSyncedFile));
        Document? doc;
        try { doc = JsonSerializer.Deserialize<Document>(File.ReadAllText(journalPath), Options); }
        catch (JsonException) { doc = null; }
        if (doc is null)
        {
            // a torn journal: it was being written, so nothing had been replaced yet
            File.Delete(journalPath);
            TryDeleteDirectory(dir);
            d.Warning(Codes.Recovered, new SourceSpan(journalPath, 0, 0), "An interrupted commit was found before it changed any file; its journal was discarded.");
            return;
        }
        // The journal is read from disk, so it is input too (design §9): before acting on it, every path must be one a
        // commit of this project writes — the target inside the project or a configured artifact folder, the temporary
        // file beside it under hsm's name, a backup in the journal folder, a clone staged in obj/hsm. Else nothing is
        // touched (an edited or carried-in journal could name any file to delete or overwrite).
        if (ForeignPath(doc, intermediateDirectory, projectDirectory, dir, artifactFolders ?? []) is { } foreign)
        {
            d.Error(Codes.JournalRejected, new SourceSpan(journalPath, 0, 0),
                $"The journal of an interrupted commit names '{foreign}', a place Hsm's commit never writes: it is not a journal this project's build wrote (edited, or carried in from elsewhere). Nothing was recovered or changed. Delete obj/hsm (dotnet clean) and build again.");
            return;
        }
        bool allInPlace = doc.Guarded.Count == 0 && doc.Entries.All(e => e.Op switch
        {
            JournalOp.Delete => !File.Exists(e.Target),
            JournalOp.MoveDir => Directory.Exists(e.Target) && !Directory.Exists(e.Staged!),
            _ => StagePlan.HashFile(e.Target) == e.StagedHash,
        });
        var names = string.Join(", ", doc.Entries.Select(e => Hsm.Paths.ProjectPaths.Key(projectDirectory, e.Target)));
        foreach (var e in doc.Entries.Concat(doc.Guarded)) if (e.Op != JournalOp.MoveDir && File.Exists(e.Temp)) File.Delete(e.Temp);
        if (allInPlace)
        {
            File.Delete(journalPath);
            TryDeleteDirectory(dir);
            d.Warning(Codes.Recovered, new SourceSpan(journalPath, 0, 0), $"An interrupted commit was completed (rolled forward): every staged file was already in place ({names}).");
        }
        else
        {
            var r = Rollback(doc, journalPath, dir, projectDirectory, d);
            d.Warning(Codes.Recovered, new SourceSpan(journalPath, 0, 0), $"An interrupted commit was rolled back ({names}).{r.Summary()}");
        }
    }

    /// <summary>The first path of <paramref name="doc"/> a commit of this project could not have written; null when there is none.</summary>
    private static string? ForeignPath(Document doc, string intermediateDirectory, string projectDirectory, string journalDir, IEnumerable<string> artifactFolders)
    {
        var places = new[] { projectDirectory }.Concat(artifactFolders).Select(Hsm.Paths.ProjectPaths.RealPath).ToList();
        var obj = new[] { Hsm.Paths.ProjectPaths.RealPath(intermediateDirectory) };
        bool InObj(string? p) => Hsm.Paths.ProjectPaths.IsInsideAny(obj, p);
        foreach (var e in doc.Entries.Concat(doc.Guarded))
        {
            if (!Hsm.Paths.ProjectPaths.IsInsideAny(places, e.Target)) return e.Target;
            if (e.Op == JournalOp.MoveDir) { if (!InObj(e.Staged)) return e.Staged ?? "(none)"; continue; }
            if (e.Staged != null && !InObj(e.Staged)) return e.Staged;
            if (!Path.IsPathFullyQualified(e.Temp) || Folder(e.Temp) != Folder(e.Target) || !TempPattern.IsMatch(Path.GetFileName(e.Temp))
                || !Path.GetFileName(e.Temp).StartsWith("." + Path.GetFileName(e.Target) + ".hsm-", StringComparison.Ordinal))
                return e.Temp;
            if (e.Backup != null && (!Path.IsPathFullyQualified(e.Backup) || Folder(e.Backup) != Path.GetFullPath(journalDir) || !BackupPattern.IsMatch(Path.GetFileName(e.Backup))))
                return e.Backup;
        }
        return null;
    }

    private static string Folder(string path) => Path.GetDirectoryName(Path.GetFullPath(path))!;

    private static readonly System.Text.RegularExpressions.Regex TempPattern = new(@"\.hsm-\d+-\d+\.tmp$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    private static readonly System.Text.RegularExpressions.Regex BackupPattern = new(@"^\d+\.bak$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>True when a journal of an interrupted commit is present.</summary>
    public static bool Pending(string intermediateDirectory) => File.Exists(Path.Combine(intermediateDirectory, FileName));

    private static void FlushFile(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        fs.Flush(flushToDisk: true);
    }

    private static void Replace(string temp, string target)
    {
        for (int attempt = 0; ; attempt++)
        {
            try { File.Move(temp, target, overwrite: true); return; }
            catch (IOException) when (attempt < 10) { Thread.Sleep(50 * (attempt + 1)); } // sharing violation (Windows)
            catch (UnauthorizedAccessException) when (attempt < 10) { Thread.Sleep(50 * (attempt + 1)); }
        }
    }

    private static void WriteDurably(string path, string content)
    {
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            var bytes = new System.Text.UTF8Encoding(false).GetBytes(content);
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static void TryDeleteDirectory(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Source-generated System.Text.Json metadata of the commit journal.</summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(CommitJournal.Document))]
internal sealed partial class TransactionJsonContext : System.Text.Json.Serialization.JsonSerializerContext
{
}
