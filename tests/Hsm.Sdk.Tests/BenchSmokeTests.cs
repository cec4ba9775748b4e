using Hsm.Tests;
using Xunit;

namespace Hsm.Sdk.Tests;

/// <summary>
/// CI's smoke of build/bench.sh (issue 16, docs/performance.md): one round on the quickstart sample and a generated
/// stack of 100 components, with the SDK this run already packed. Nothing is timed: it checks that the script runs
/// and prints the table rows for our side (the memory row only where GNU time is there or can be installed).
/// </summary>
[Collection(PackedSdkCollection.Name)]
public sealed class BenchSmokeTests(PackedSdk sdk)
{
    [Fact]
    public void Bench_smoke_prints_the_table()
    {
        var (code, output) = SharedTools.Run("bash", new[] { Path.Combine(SharedTools.RepoRoot, "build", "bench.sh"), "--smoke" },
            SharedTools.RepoRoot, new Dictionary<string, string>
            {
                ["HSM_BENCH_FEED"] = sdk.Feed,
                ["HSM_BENCH_VERSION"] = sdk.Version,
                ["MSBUILDDISABLENODEREUSE"] = "1",
                ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
            }, timeoutMs: 900_000);
        Assert.True(code == 0, "build/bench.sh --smoke failed:\n" + output);
        var rows = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Contains(rows, l => l.StartsWith("| scenario | N=12 (sample) | N=100 |", StringComparison.Ordinal));
        foreach (var row in new[] { "| nothing changed |", "| one 1-of-N selection changed |", "| first build of a fresh copy |" })
        {
            var line = rows.FirstOrDefault(l => l.StartsWith(row, StringComparison.Ordinal));
            Assert.True(line != null, $"no row '{row}' in:\n{output}");
            Assert.Equal(3, line!.Split('×').Length); // a ratio for N = 12 and one for N = 100
        }
        if (output.Contains("no GNU time", StringComparison.Ordinal))
            Assert.DoesNotContain(rows, l => l.StartsWith("| peak memory", StringComparison.Ordinal));
        else
            Assert.Contains(rows, l => l.StartsWith("| peak memory, selection change (MiB) |", StringComparison.Ordinal));
    }
}
