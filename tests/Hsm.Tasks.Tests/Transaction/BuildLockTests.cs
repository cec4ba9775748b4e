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
            var sw = Stopwatch.StartNew();
            var waiter = System.Threading.Tasks.Task.Run(() => BuildLock.Acquire(dir, CancellationToken.None, _ => Interlocked.Increment(ref messages), TimeSpan.FromMilliseconds(100)));
            Thread.Sleep(600);
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
