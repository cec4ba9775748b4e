namespace Hsm.Transaction;

/// <summary>
/// Sees every named step of a commit (see <see cref="CommitJournal"/> for the steps, in order). The product
/// passes none; tests pass one to count the steps or to fail at one: an exception thrown here is what the
/// commit would meet at that point (an I/O error, a kill when nothing catches it), and a host process may
/// end itself here to simulate a real kill. Passed to the journal's constructor, never static.
/// </summary>
public interface ICommitObserver
{
    /// <param name="number">1-based number of the step in this commit.</param>
    /// <param name="name">The step's name: <c>backup:&lt;file&gt;</c>, <c>journal</c>, <c>apply:&lt;file&gt;</c>, <c>temp:&lt;file&gt;</c>,
    /// <c>done:&lt;file&gt;</c>, <c>applied</c>, <c>uv</c>, <c>uv-done</c>, <c>complete</c>, <c>journal-removed</c>.</param>
    void OnStep(int number, string name);
}
