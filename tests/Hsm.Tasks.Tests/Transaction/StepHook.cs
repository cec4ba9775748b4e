using Hsm.Transaction;

namespace Hsm.Tests.Transaction;

/// <summary>A commit observer from a delegate: sees every step (number, name) and may throw there to simulate a failure or a kill.</summary>
public sealed class StepHook(Action<int, string> onStep) : ICommitObserver
{
    public void OnStep(int number, string name) => onStep(number, name);
}
