using System.Runtime.InteropServices;

namespace Hsm.Transaction;

/// <summary>A cancellation after which the project was already restored; <see cref="Detail"/> says where it happened and what the rollback did.</summary>
public sealed class BuildCancelledException(string detail) : OperationCanceledException(detail)
{
    public string Detail { get; } = detail;
}

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM (a CI job's timeout, `docker stop`, `kill`) while an Hsm task runs (design §9):
/// both cancel the task's token, so uv or git is stopped and an unfinished commit is rolled back before the
/// process exits; the task then fails with HSM5005 naming the signal. MSBuild's own Ctrl+C handling
/// (ICancelableTask.Cancel) arrives on the same token. The dotnet CLI answers SIGTERM by exiting the process
/// (Environment.Exit, whatever other handlers do), so the process-exit event is hooked too: it cancels the
/// token and holds the exit until the task has rolled back and reported (<see cref="Exiting"/>).
/// </summary>
public sealed class SignalCancellation : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = new();
    private readonly CancellationTokenSource _cancellation;
    private readonly ManualResetEventSlim _finished = new();
    private volatile string? _signal;
    private volatile bool _exiting;

    /// <summary>The longest the process exit is held for the rollback (a hang guard; a rollback takes milliseconds).</summary>
    public static readonly TimeSpan ExitHold = TimeSpan.FromMinutes(2);

    private SignalCancellation(CancellationTokenSource cancellation) => _cancellation = cancellation;

    /// <summary>The signal that cancelled the task ("Ctrl+C (SIGINT)", "SIGTERM"), or null.</summary>
    public string? Signal => _signal;

    /// <summary>True when the process is exiting (SIGTERM in the dotnet CLI): the build's loggers may not print any more.</summary>
    public bool Exiting => _exiting;

    public static SignalCancellation Register(CancellationTokenSource cancellation)
    {
        var s = new SignalCancellation(cancellation);
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            try
            {
                s._registrations.Add(PosixSignalRegistration.Create(signal, ctx =>
                {
                    ctx.Cancel = true; // roll back first; the build ends (failed) right after
                    s._signal ??= ctx.Signal == PosixSignal.SIGINT ? "Ctrl+C (SIGINT)" : "SIGTERM";
                    s.Cancel();
                }));
            }
            catch (Exception e) when (e is PlatformNotSupportedException or IOException) { }
        }
        AppDomain.CurrentDomain.ProcessExit += s.OnProcessExit;
        return s;
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (_finished.IsSet) return;
        _exiting = true;
        _signal ??= "SIGTERM";
        Cancel();
        _finished.Wait(ExitHold);
    }

    private void Cancel()
    {
        try { _cancellation.Cancel(); } catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        foreach (var r in _registrations) r.Dispose();
        _registrations.Clear();
        _finished.Set();
    }
}
