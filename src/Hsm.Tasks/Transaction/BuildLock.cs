using Hsm.Diagnostics;

namespace Hsm.Transaction;

/// <summary>
/// The per-project build lock (design §6): obj/hsm/build.lock opened with FileShare.None. On Unix .NET
/// takes an advisory flock on it, on Windows the sharing mode itself excludes other openers; either
/// way the OS releases it when the process dies, so it is never stale. Two builds of one project
/// (IDE and terminal) serialise on it: the second waits, with a message naming the lock file every few
/// seconds. Only contention is waited for: any other failure to open it (permission denied — e.g. a lock
/// file left by `sudo dotnet build` —, a read-only folder, a directory in its place) is HSM5007 at once.
/// The MSBuild side (HsmTask) registers the acquired lock with IBuildEngine4.RegisterTaskObject for
/// the lifetime of the build, so it is held from the first Hsm task through the commit.
/// </summary>
public sealed class BuildLock : IDisposable
{
    public const string FileName = "build.lock";

    private FileStream? _stream;
    public string Path { get; }

    private BuildLock(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    /// <summary>
    /// Tries once; null when another process (or another handle) holds it. Any other failure is an
    /// <see cref="HsmException"/> with HSM5007 naming the lock file: waiting would never end.
    /// </summary>
    public static BuildLock? TryAcquire(string intermediateDirectory)
    {
        var path = System.IO.Path.Combine(intermediateDirectory, FileName);
        try
        {
            Directory.CreateDirectory(intermediateDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable(path, e);
        }
        FileStream fs;
        try
        {
            fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException e) when (IsContention(e))
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unavailable(path, e);
        }
        try
        {
            // Who holds it, for the waiting build's message (only readable after release; informative only).
            fs.SetLength(0);
            var bytes = System.Text.Encoding.UTF8.GetBytes($"{Environment.ProcessId}\n");
            fs.Write(bytes);
            fs.Flush();
        }
        catch (IOException) { }
        return new BuildLock(path, fs);
    }

    /// <summary>
    /// True when opening failed only because another handle holds the file. Windows: ERROR_SHARING_VIOLATION
    /// or ERROR_LOCK_VIOLATION (HRESULT 0x80070020/21). Unix: .NET's flock(LOCK_EX|LOCK_NB) failed with
    /// EWOULDBLOCK, reported as the raw errno (11 on Linux, 35 on macOS and the BSDs).
    /// </summary>
    public static bool IsContention(IOException e)
    {
        if (e is FileNotFoundException or DirectoryNotFoundException or PathTooLongException) return false;
        if (OperatingSystem.IsWindows()) return (e.HResult & 0xFFFF) is 32 or 33;
        return e.HResult == (OperatingSystem.IsLinux() ? 11 : 35);
    }

    private static HsmException Unavailable(string path, Exception e)
    {
        var why = Directory.Exists(path) ? "a folder is in its place"
            : e is UnauthorizedAccessException
            ? "permission denied: it (or obj/hsm) may belong to another user, e.g. root after `sudo dotnet build`, or the folder is read-only"
            : "the file system refused it";
        return new HsmException(Codes.BuildLockUnavailable, new SourceSpan(path, 0, 0),
            $"The build lock {path} cannot be taken ({why}: {e.Message}). No other build holds it, so waiting would not help. " +
            $"Make {System.IO.Path.GetDirectoryName(path)} writable by you (e.g. `sudo chown -R $USER {System.IO.Path.GetDirectoryName(path)}`, or delete it: it holds only build state), then build again.");
    }

    /// <summary>The message of a build that waits for the lock: it names the lock file.</summary>
    public static string WaitingMessage(string intermediateDirectory, TimeSpan waited) =>
        $"hsm: another build of this project is running (it holds {System.IO.Path.Combine(System.IO.Path.GetFullPath(intermediateDirectory), FileName)}); waiting for it to finish ({(int)waited.TotalSeconds} s so far)...";

    /// <summary>
    /// Waits until the lock is free. <paramref name="waiting"/> is called at once when it is held, then
    /// every <paramref name="messageInterval"/>. Throws OperationCanceledException on cancellation.
    /// </summary>
    public static BuildLock Acquire(string intermediateDirectory, CancellationToken cancel, Action<TimeSpan> waiting, TimeSpan? messageInterval = null)
    {
        var interval = messageInterval ?? TimeSpan.FromSeconds(5);
        var start = DateTime.UtcNow;
        var nextMessage = start;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            var l = TryAcquire(intermediateDirectory);
            if (l != null) return l;
            var now = DateTime.UtcNow;
            if (now >= nextMessage)
            {
                waiting(now - start);
                nextMessage = now + interval;
            }
            cancel.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
        }
    }

    public bool IsHeld => _stream != null;

    public void Dispose()
    {
        var s = Interlocked.Exchange(ref _stream, null);
        s?.Dispose();
    }
}
