namespace Hsm.Tests;

/// <summary>
/// The bound of the tests that guard against hangs and blow-ups (alias bombs, FIFOs, huge files): ten times
/// the slowest time seen on a loaded 2-core machine (14 s for the largest legal file), never a performance
/// budget. Performance is measured by benchmarks (docs/performance.md), not asserted in tests.
/// </summary>
public static class HangGuard
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(150);
}
