using Hsm.Diagnostics;
using Hsm.Pipeline;
using Hsm.Transaction;
using Hsm.Uv;
using Microsoft.Build.Framework;
using MsTask = Microsoft.Build.Utilities.Task;

namespace Hsm.Tasks;

/// <summary>
/// Base of the Hsm tasks: thin adapters that turn MSBuild parameters into plain values, call the
/// plain C# code, and log its diagnostics at file(line,col) with a help link. No exception escapes.
/// </summary>
public abstract class HsmTask : MsTask, ICancelableTask
{
    protected readonly CancellationTokenSource Cancellation = new();

    [Required] public string ProjectDirectory { get; set; } = "";

    /// <summary>The project's name: the `&lt;project&gt; -&gt; &lt;path&gt;` lines start with it (see <see cref="BuildOutputReport"/>).</summary>
    protected string ProjectName => string.IsNullOrEmpty(ProjectFile) ? "hsm" : Path.GetFileNameWithoutExtension(ProjectFile);

    /// <summary>$(HsmHelpLinkBase): the help link of HSMnnnn is &lt;base&gt;HSMnnnn.md (default: the pages shipped in the package).</summary>
    public string? HelpLinkBase { get; set; }

    private string HelpLink(string code) =>
        (string.IsNullOrWhiteSpace(HelpLinkBase) ? Diagnostic.HelpBase : HelpLinkBase.EndsWith('/') ? HelpLinkBase : HelpLinkBase + "/") + code + ".md";

    public void Cancel() => Cancellation.Cancel();

    /// <summary>
    /// How long the build lock (obj/hsm/build.lock) is held once this task took it: "build" (default:
    /// registered with the engine until the build ends, so it covers resolve through commit) or "task"
    /// (released when the task ends: the targets pass this with TaskHostFactory, where every task is a
    /// process of its own; see docs/transaction.md).
    /// </summary>
    public string? BuildLockScope { get; set; }

    /// <summary>$(MSBuildProjectFullPath): where diagnostics about no particular file are anchored (not the .targets file,
    /// which is what the engine's ProjectFileOfTaskNode names), and the name the `-&gt;` lines start with.</summary>
    public string? ProjectFile { get; set; }

    /// <summary>The configured artifact paths ($(HsmPyProjectPath);$(HsmComposePath);$(HsmLockPath)): their folders are places
    /// a commit may have written, so recovering an interrupted commit may write there too (and nowhere else but the project).</summary>
    public string? ArtifactPaths { get; set; }

    /// <summary>HsmToolTimeout: how long one uv or git run may take (seconds, or hh:mm:ss; default 30 minutes).</summary>
    public string? ToolTimeout { get; set; }

    /// <summary>The parsed HsmToolTimeout, with progress lines (every 10 s) logged at high importance.</summary>
    protected ToolOptions Tools { get; private set; } = ToolOptions.Default;

    /// <summary>obj/hsm of the project when the task must hold the build lock, else null.</summary>
    protected virtual string? LockDirectory => null;

    /// <summary>Whether taking the lock also recovers an interrupted commit (every task but HsmCheck).</summary>
    protected virtual bool RecoverOnLock => true;

    private BuildLock? _taskLock;
    private SignalCancellation? _signals;

    public sealed override bool Execute()
    {
        var diagnostics = new DiagnosticBag();
        using var signals = _signals = SignalCancellation.Register(Cancellation);
        try
        {
            Tools = new ToolOptions(ToolOptions.ParseTimeout(ToolTimeout, diagnostics, SourceSpan.None), line => Log.LogMessage(MessageImportance.High, "{0}", Printable.Text(line))); // uv's and git's words (a remote's too)
            if (diagnostics.HasErrors) { Report(diagnostics); return false; }
            if (LockDirectory is string lockDir) EnterBuildLock(lockDir, diagnostics);
            using (TaskGc.Enter()) Run(diagnostics);
        }
        catch (HsmException e)
        {
            diagnostics.Add(e.Diagnostic);
        }
        catch (OperationCanceledException e)
        {
            // A coded cancellation (design §9), never HSM9001: a commit in progress was rolled back before this point.
            var by = signals.Signal is string sig ? $" by {sig}" : "";
            var where = e is BuildCancelledException c ? c.Detail : "before anything in the project changed; nothing was changed.";
            var cancelled = new Diagnostic(Codes.Cancelled, Severity.Error, $"The build was cancelled{by} {where}", SourceSpan.None);
            diagnostics.Add(cancelled);
            Report(diagnostics);
            if (signals.Exiting)
            {
                // The process exits as soon as this task returns: the loggers may never print, so say it on stderr too,
                // and make the exit code say it was the signal (128 + signal number), not success.
                Console.Error.WriteLine($"{ProjectFile} : error {cancelled.Code}: {cancelled.Message}");
                Environment.ExitCode = signals.Signal?.Contains("SIGINT") == true ? 130 : 143;
            }
            return false;
        }
        catch (Exception e)
        {
            Report(diagnostics);
            Log.LogError(null, Codes.Internal, null, HelpLink(Codes.Internal), null, 0, 0, 0, 0,
                "Internal error in {0}: {1}. Please report it with the binlog (dotnet build -bl).", GetType().Name, e.Message);
            Log.LogMessage(MessageImportance.Low, e.ToString());
            return false;
        }
        finally
        {
            _taskLock?.Dispose();
            _taskLock = null;
        }
        Report(diagnostics);
        return !Log.HasLoggedErrors && !diagnostics.HasErrors;
    }

    /// <summary>
    /// Takes the project's build lock unless this build already holds it, waiting (with a message every
    /// few seconds) while another build has it; then, once per acquisition, recovers an interrupted
    /// commit before anything else reads the project files.
    /// </summary>
    private void EnterBuildLock(string intermediateDirectory, DiagnosticBag diagnostics)
    {
        var dir = Path.GetFullPath(intermediateDirectory);
        var key = "Hsm.BuildLock|" + dir;
        bool perTask = string.Equals(BuildLockScope, "task", StringComparison.OrdinalIgnoreCase) || BuildEngine is not IBuildEngine4;
        if (!perTask && BuildEngine is IBuildEngine4 e4 && e4.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is BuildLock { IsHeld: true })
            return; // an earlier Hsm task of this build took it (and recovered)
        var l = BuildLock.Acquire(dir, Cancellation.Token, waited => Log.LogMessage(MessageImportance.High, "{0}", BuildLock.WaitingMessage(dir, waited)));
        if (perTask) _taskLock = l;
        else ((IBuildEngine4)BuildEngine).RegisterTaskObject(key, l, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
        Log.LogMessage(MessageImportance.Low, "hsm: holding {0} ({1})", l.Path, perTask ? "until this task ends" : "until the build ends");
        if (RecoverOnLock) Pipeline(dir).Recover(diagnostics);
    }

    /// <summary>The pipeline of this task's project, with its obj/hsm, cancellation, tool options and low-importance log.</summary>
    protected HsmPipeline Pipeline(string intermediateDirectory) => new(new PipelineContext
    {
        ProjectDirectory = ProjectDirectory,
        IntermediateDirectory = intermediateDirectory,
        Tools = Tools,
        Cancel = Cancellation.Token,
        Log = line => Log.LogMessage(MessageImportance.Low, "{0}", line),
        ArtifactPaths = (ArtifactPaths ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
    });

    protected abstract void Run(DiagnosticBag diagnostics);

    protected void Report(DiagnosticBag diagnostics)
    {
        // In file and line order (stable: diagnostics at one position keep their order); those without a file last.
        foreach (var d in diagnostics.Items.Select((d, i) => (d, i))
                     .OrderBy(x => x.d.Span.File is null ? 1 : 0).ThenBy(x => x.d.Span.File, StringComparer.Ordinal)
                     .ThenBy(x => x.d.Span.Line).ThenBy(x => x.d.Span.Column).ThenBy(x => x.i).Select(x => x.d))
            LogDiagnostic(d);
    }

    private void LogDiagnostic(Diagnostic d)
    {
        // A diagnostic about no particular file (a missing tool, a property, a cancellation) is anchored at the project
        // file, not at the .targets file in the NuGet cache that MSBuild would name.
        string? file = d.Span.File is null ? (string.IsNullOrEmpty(ProjectFile) ? null : ProjectFile)
            : Path.IsPathRooted(d.Span.File) ? d.Span.File : Path.GetFullPath(Path.Combine(ProjectDirectory, d.Span.File));
        switch (d.Severity)
        {
            case Severity.Error:
                Log.LogError(null, d.Code, null, HelpLink(d.Code), file, d.Span.Line, d.Span.Column, d.Span.EndLine, d.Span.EndColumn, "{0}", d.Message);
                break;
            case Severity.Warning:
                Log.LogWarning(null, d.Code, null, HelpLink(d.Code), file, d.Span.Line, d.Span.Column, d.Span.EndLine, d.Span.EndColumn, "{0}", d.Message);
                break;
            default:
                Log.LogMessage(null, d.Code, null, file, d.Span.Line, d.Span.Column, d.Span.EndLine, d.Span.EndColumn, MessageImportance.Low, "{0}", d.Message);
                break;
        }
    }

    /// <summary>True when the property was given on the command line (-p:Name=...), not by the environment.</summary>
    protected bool IsGlobalProperty(string name)
    {
        if (BuildEngine is IBuildEngine6 e6)
            return e6.GetGlobalProperties().Keys.Any(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
        return true;
    }

    /// <summary>
    /// Runs long out-of-process work (uv, git, Compose) with the node yielded, so MSBuild can build other
    /// projects meanwhile (what ToolTask's YieldDuringToolExecution does); logging stays allowed.
    /// </summary>
    protected T Yielding<T>(Func<T> work)
    {
        if (BuildEngine is not IBuildEngine3 engine) return work();
        engine.Yield();
        T result;
        try { result = work(); }
        catch
        {
            // The work's own exception (a cancellation with its rollback) is what counts; when the process is exiting
            // (SIGTERM) the node is not taken back at all: the report must not wait for a scheduler that is going away.
            if (_signals?.Exiting != true) Reacquire(engine);
            throw;
        }
        if (!Reacquire(engine)) throw new BuildCancelledException("after this step had finished (its work is complete).");
        return result;
    }

    /// <summary>False when MSBuild refuses because the build was cancelled meanwhile (MSB4188, BuildAbortedException).</summary>
    private bool Reacquire(IBuildEngine3 engine)
    {
        try
        {
            engine.Reacquire();
            return true;
        }
        catch (Exception e) when (e.GetType().Name == "BuildAbortedException")
        {
            Cancellation.Cancel();
            return false;
        }
    }


    /// <summary>Writes a file only when its content changes (keeps the timestamp otherwise).</summary>
    protected internal static bool WriteIfChanged(string path, string content) =>
        WriteIfChanged(path, new ArraySegment<byte>(new System.Text.UTF8Encoding(false).GetBytes(content)), content);

    /// <summary>
    /// <see cref="WriteIfChanged(string, string)"/> for content already encoded (UTF-8, no BOM): compared with the
    /// file's bytes (after a byte order mark, which a text read skips), written only when they differ.
    /// </summary>
    protected internal static bool WriteIfChanged(string path, ArraySegment<byte> content, string? text = null)
    {
        if (File.Exists(path))
        {
            if (SameBytes(path, content, out var head)) return false;
            // A file in another encoding (a UTF-16 or UTF-32 byte order mark) is compared as text, as it always was.
            if ((head == 0xFEFF || head == 0xFFFE)
                && File.ReadAllText(path) == (text ?? new System.Text.UTF8Encoding(false).GetString(content))) return false;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.Read)) f.Write(content);
        File.Move(tmp, path, overwrite: true);
        return true;
    }

    /// <summary>
    /// Whether the file holds exactly these bytes (after a UTF-8 byte order mark), read in pieces: no copy of a file
    /// of several MB (resolved.json at 10,000 components) on the large-object heap. <paramref name="head"/>: the
    /// first two bytes, big-endian (0xFEFF/0xFFFE: a UTF-16 or UTF-32 byte order mark).
    /// </summary>
    private static bool SameBytes(string path, ReadOnlySpan<byte> content, out int head)
    {
        head = -1;
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var n = f.ReadAtLeast(buffer.AsSpan(0, 3), 3, throwOnEndOfStream: false);
            if (n >= 2) head = buffer[0] << 8 | buffer[1];
            var first = buffer.AsSpan(0, n);
            if (first.StartsWith("\uFEFF"u8)) first = first[3..];
            if (f.Length - (n - first.Length) != content.Length) return false;
            if (!content.StartsWith(first)) return false;
            content = content[first.Length..];
            while (content.Length > 0)
            {
                var read = f.Read(buffer, 0, Math.Min(buffer.Length, content.Length));
                if (read == 0 || !content.StartsWith(buffer.AsSpan(0, read))) return false;
                content = content[read..];
            }
            return f.Read(buffer, 0, 1) == 0;
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>resolved.json's size from which a stack counts as large here: about 3,000 components (3.5 MB at 10,000).</summary>
    internal const long LargeStackBytes = 1_000_000;

    /// <summary>
    /// For a large stack (<paramref name="resolvedPath"/> over <see cref="LargeStackBytes"/>), a blocking, compacting
    /// collection that also gives the freed memory back (<see cref="GCCollectionMode.Aggressive"/>) before a task's
    /// work: HsmStage after the resolution's allocation burst, HsmCommit after staging's. The garbage of the task before
    /// sits in the older generations and the large-object heap, which gen-1 pacing does not collect, and the next burst
    /// would grow the heap on top of it. Selection change at N = 10,000: the resident set fell from 191 to 145 MiB
    /// before staging; first build of a fresh copy, where the commit writes every file: 177–184 MiB with it before
    /// HsmCommit, 179–205 without (docs/performance.md, "Memory, third round" and "fourth round"). Below the size the
    /// heap is small and nothing is forced.
    /// </summary>
    protected static void CollectBeforeLargeWork(string resolvedPath)
    {
        if (new FileInfo(resolvedPath) is { Exists: true, Length: > LargeStackBytes })
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>
    /// How the garbage collector runs while an Hsm task does (tasks of several projects can overlap in one node while
    /// one yields: the first to enter sets it up, the last to leave puts the process back as it was):
    /// <list type="bullet">
    /// <item>Batch mode: no background gen-2 collection, during which the heap keeps growing. A task's work is
    /// allocation bursts around little live data (10,000 components: 25–35 MB live, 200+ MB allocated).</item>
    /// <item>Paced: a blocking gen-1 collection once the process has allocated <see cref="PaceBytes"/> since the last
    /// one (looked at every <see cref="PaceMilliseconds"/> ms by a thread of its own). The collector, left alone, lets
    /// garbage pile up in gen 0 and gen 1 to budgets sized at start-up for throughput (the resident set of a selection
    /// change at 10,000 components grew by 55 MB during staging with a live set of 25 MB). 8 MB paced that build to
    /// 183–194 MiB instead of 201–210 on three stack folders (with the stack handed to HsmStage in memory), CPU the
    /// same; 4 MB and 12–16 MB measured higher (more frequent collections promote more short-lived objects to gen 2).
    /// A small stack allocates a few MB: nothing is collected.</item>
    /// </list>
    /// docs/performance.md, "Memory, fourth round".
    /// </summary>
    internal readonly struct TaskGc : IDisposable
    {
        internal const long PaceBytes = 8L << 20;
        internal const int PaceMilliseconds = 5;
        private static readonly object Gate = new();
        private static int _running;
        private static System.Runtime.GCLatencyMode _before;
        /// <summary>The running pacer thread's own token; replaced (or cleared) to stop it.</summary>
        private static object? _pacer;

        public static TaskGc Enter()
        {
            lock (Gate)
                if (_running++ == 0)
                {
                    _before = System.Runtime.GCSettings.LatencyMode;
                    System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.Batch;
                    // A thread of its own, not a timer: the thread pool may be busy or starved (MSBuild's loggers,
                    // other projects, a test runner), and a late look lets the garbage pile up.
                    var token = _pacer = new object();
                    new Thread(() => Pace(token)) { IsBackground = true, Name = "Hsm GC pacer" }.Start();
                }
            return default;
        }

        /// <summary>Whether a task is running (the pacer is on): for tests.</summary>
        internal static bool Pacing { get { lock (Gate) return _pacer is not null; } }

        private static void Pace(object token)
        {
            var (allocatedAtLast, gen1AtLast) = (GC.GetTotalAllocatedBytes(false), GC.CollectionCount(1));
            while (true)
            {
                lock (Gate)
                {
                    if (_pacer == token) Monitor.Wait(Gate, PaceMilliseconds);
                    if (_pacer != token) return;
                }
                var allocated = GC.GetTotalAllocatedBytes(false);
                var gen1 = GC.CollectionCount(1);
                if (gen1 != gen1AtLast) (gen1AtLast, allocatedAtLast) = (gen1, allocated); // the collector ran one itself
                else if (allocated - allocatedAtLast >= PaceBytes)
                {
                    GC.Collect(1, GCCollectionMode.Forced, blocking: true);
                    (gen1AtLast, allocatedAtLast) = (GC.CollectionCount(1), allocated);
                }
            }
        }

        public void Dispose()
        {
            lock (Gate)
                if (--_running == 0)
                {
                    System.Runtime.GCSettings.LatencyMode = _before;
                    _pacer = null;
                    Monitor.PulseAll(Gate); // the pacer thread ends now
                }
        }
    }
}
