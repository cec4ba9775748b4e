using System.Diagnostics;
using Hsm.Transaction;
using Xunit;

namespace Hsm.Tests.Transaction;

public sealed class BuildLockTests
{
    [Fact]
    public void The_lock_excludes_a_second_holder_until_released()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hsm-lock-" + Guid.NewGuid().ToString("N")[..8]);
        using (var first = BuildLock.TryAcquire(dir))
        {
            Assert.NotNull(first);
            Assert.Null(BuildLock.TryAcquire(dir));

            // Acquire waits, calling back while it waits, and gets it once the first holder lets go.
            var messages = 0;
            var waiter = System.Threading.Tasks.Task.Run(() => BuildLock.Acquire(dir, CancellationToken.None, _ => Interlocked.Increment(ref messages), TimeSpan.FromMilliseconds(100)));
            // Event-based, not timed: wait (hang guard only) until the waiter has said twice that it waits.
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref messages) >= 2, HangGuard.Limit), "the waiter never reported waiting");
            Assert.False(waiter.IsCompleted);
            first!.Dispose();
            using var second = waiter.Result;
            Assert.True(second.IsHeld);
            Assert.True(messages >= 2, $"{messages} waiting messages");
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Waiting_is_cancellable()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hsm-lock-" + Guid.NewGuid().ToString("N")[..8]);
        using var first = BuildLock.TryAcquire(dir);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        Assert.ThrowsAny<OperationCanceledException>(() => BuildLock.Acquire(dir, cts.Token, _ => { }));
    }
}

/// <summary>
/// Failures that are not contention (design §9) are HSM5007 at once, naming the lock file: a lock file the
/// user cannot open (left by `sudo dotnet build`), a read-only obj/hsm, a directory where the file should be,
/// a file where obj/hsm should be. Never an endless wait.
/// </summary>
public sealed class BuildLockErrorTests
{
    private static string NewDir() => Path.Combine(Path.GetTempPath(), "hsm-lockerr-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Acquire must fail at once: a wait that never ends is caught by the hang guard (the first failure is immediate).</summary>
    private static Hsm.Diagnostics.HsmException AcquireFails(string dir)
    {
        var waited = 0;
        var attempt = System.Threading.Tasks.Task.Run(() => BuildLock.Acquire(dir, CancellationToken.None, _ => Interlocked.Increment(ref waited), TimeSpan.FromMilliseconds(50)));
        try { attempt.Wait(TimeSpan.FromSeconds(60)); } catch (AggregateException) { }
        Assert.True(attempt.IsCompleted, "Acquire kept waiting on an error that is not contention");
        var e = Assert.IsType<Hsm.Diagnostics.HsmException>(attempt.Exception?.InnerException);
        Assert.Equal(0, waited);
        Assert.Equal("HSM5007", e.Diagnostic.Code);
        Assert.Contains(Path.Combine(dir, BuildLock.FileName), e.Diagnostic.Message);
        Assert.Equal(Path.Combine(dir, BuildLock.FileName), e.Diagnostic.Span.File);
        return e;
    }

    [Fact]
    public void A_directory_in_place_of_the_lock_file_is_HSM5007_at_once()
    {
        var dir = NewDir();
        Directory.CreateDirectory(Path.Combine(dir, BuildLock.FileName));
        try { AcquireFails(dir); }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_file_in_place_of_obj_hsm_is_HSM5007_at_once()
    {
        var parent = NewDir();
        Directory.CreateDirectory(parent);
        var dir = Path.Combine(parent, "hsm");
        File.WriteAllText(dir, "not a folder");
        try { AcquireFails(dir); }
        finally { Directory.Delete(parent, true); }
    }

    [Fact]
    public void A_lock_file_the_user_cannot_open_is_HSM5007_at_once()
    {
        var dir = NewDir();
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, BuildLock.FileName);
        File.WriteAllText(file, "1\n");
        using (var unwritable = Unwritable.Make(file))
        {
            if (unwritable is null) return;
            var e = AcquireFails(dir);
            Assert.Contains("permission denied", e.Diagnostic.Message);
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_read_only_obj_hsm_without_a_lock_file_is_HSM5007_at_once()
    {
        var dir = NewDir();
        Directory.CreateDirectory(dir);
        using (var unwritable = Unwritable.Make(dir))
        {
            if (unwritable is null) return;
            AcquireFails(dir);
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Contention_is_waited_for_with_a_message_naming_the_lock_file()
    {
        var dir = NewDir();
        using (var held = BuildLock.TryAcquire(dir))
        {
            Assert.NotNull(held);
            Assert.Null(BuildLock.TryAcquire(dir)); // contention: null, not an error
            var message = BuildLock.WaitingMessage(dir, TimeSpan.FromSeconds(5));
            Assert.Contains(Path.Combine(dir, BuildLock.FileName), message);
            Assert.Contains("5 s so far", message);
        }
        Directory.Delete(dir, true);
    }
}
