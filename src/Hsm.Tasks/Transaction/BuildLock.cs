namespace Hsm.Transaction;

/// <summary>
/// The per-project build lock (spec §6): obj/hsm/build.lock opened with FileShare.None. On Unix .NET
/// takes an advisory flock on it, on Windows the sharing mode itself excludes other openers; either
/// way the OS releases it when the process dies, so it is never stale. Two builds of one project
/// (IDE and terminal) serialise on it: the second waits, with a message every few seconds.
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

    /// <summary>Tries once; null when another process (or another handle) holds it.</summary>
    public static BuildLock? TryAcquire(string intermediateDirectory)
    {
        Directory.CreateDirectory(intermediateDirectory);
        var path = System.IO.Path.Combine(intermediateDirectory, FileName);
        try
        {
            var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
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
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

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
