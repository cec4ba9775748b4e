using System.Runtime.InteropServices;

namespace Hsm.Transaction;

/// <summary>A cancellation after which the project was already restored; <see cref="Detail"/> says where it happened and what the rollback did.</summary>
public sealed class BuildCancelledException(string detail) : OperationCanceledException(detail)
{
    public string Detail { get; } = detail;
}

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM (a CI job's timeout, `docker stop`, `kill`) while an Hsm task runs (spec §9):
/// both cancel the task's token, so uv or git is stopped and an unfinished commit is rolled back before the
/// process exits; the task then fails with HSM5005 naming the signal. SIGTERM's default (exit at once) is
/// suppressed while the task runs; the build then ends as a failed build. MSBuild's own Ctrl+C handling
/// (ICancelableTask.Cancel) arrives on the same token.
/// </summary>
public sealed class SignalCancellation : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = new();
    private volatile string? _signal;

    /// <summary>The signal that cancelled the task ("Ctrl+C (SIGINT)", "SIGTERM"), or null.</summary>
    public string? Signal => _signal;

    public static SignalCancellation Register(CancellationTokenSource cancellation)
    {
        var s = new SignalCancellation();
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            try
            {
                s._registrations.Add(PosixSignalRegistration.Create(signal, ctx =>
                {
                    ctx.Cancel = true; // roll back first; the build ends (failed) right after
                    s._signal ??= ctx.Signal == PosixSignal.SIGINT ? "Ctrl+C (SIGINT)" : "SIGTERM";
                    try { cancellation.Cancel(); } catch (ObjectDisposedException) { }
                }));
            }
            catch (Exception e) when (e is PlatformNotSupportedException or IOException) { }
        }
        return s;
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _registrations.Clear();
    }
}
