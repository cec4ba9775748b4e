using Hsm.Diagnostics;
using Hsm.Uv;
using Xunit;

namespace Hsm.Tests.Tools;

/// <summary>HsmToolTimeout (design §9): a tool that runs too long is stopped with its process tree and reported as HSM5006; progress every 10 s.</summary>
public sealed class ToolRunnerTests
{
    private static bool Alive(int pid) => SharedTools.Run("kill", new[] { "-0", pid.ToString() }).ExitCode == 0;

    [Fact]
    public void A_tool_over_the_timeout_is_killed_with_its_children_and_reported_as_HSM5006_after_progress_lines()
    {
        if (OperatingSystem.IsWindows()) return;
        var dir = Path.Combine(Path.GetTempPath(), "hsm-tool-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var pids = Path.Combine(dir, "pids");
        // A shell (the tool) with a child that would sleep for 10 minutes; both write their pid first.
        var script = $"sleep 600 & echo $! > '{pids}'; echo $$ >> '{pids}'; echo started; wait";
        var progress = new List<string>();
        var result = ToolRunner.Run("/bin/sh", new[] { "-c", script }, dir, CancellationToken.None,
            options: new ToolOptions(TimeSpan.FromSeconds(12), l => { lock (progress) progress.Add(l); }), what: "slow-tool");
        Assert.True(result.TimedOut);
        Assert.Contains("started", result.Output);
        var line = Assert.Single(progress); // at 10 s; stopped at 12 s
        Assert.Contains("slow-tool is still running (10 s so far", line);
        Assert.Contains("HsmToolTimeout", line);
        foreach (var pid in File.ReadAllLines(pids).Select(int.Parse))
        {
            for (int i = 0; i < 600 && Alive(pid); i++) Thread.Sleep(100);
            Assert.False(Alive(pid), $"process {pid} of the timed-out tool is still running");
        }
        var diag = ToolRunner.TimeoutDiagnostic(result, "uv sync", new SourceSpan("pyproject.toml", 0, 0));
        Assert.Equal(Codes.ToolTimedOut, diag.Code);
        Assert.Contains("did not finish within 12 s (HsmToolTimeout)", diag.Message);
        Assert.Equal(diag, UvCommands.Check(result, "uv sync", new SourceSpan("pyproject.toml", 0, 0)));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_quick_tool_is_not_affected()
    {
        if (OperatingSystem.IsWindows()) return;
        var progress = 0;
        var r = ToolRunner.Run("/bin/sh", new[] { "-c", "echo ok; exit 3" }, Path.GetTempPath(), CancellationToken.None,
            options: new ToolOptions(TimeSpan.FromSeconds(30), _ => progress++));
        Assert.False(r.TimedOut);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("ok", r.Output);
        Assert.Equal(0, progress);
    }

    [Theory]
    [InlineData("", 1800)]
    [InlineData("1800", 1800)]
    [InlineData(" 12 ", 12)]
    [InlineData("0.5", 0.5)]
    [InlineData("00:30:00", 1800)]
    [InlineData("01:00:00", 3600)]
    public void HsmToolTimeout_takes_seconds_or_a_time_span(string value, double seconds)
    {
        var d = new DiagnosticBag();
        Assert.Equal(TimeSpan.FromSeconds(seconds), ToolOptions.ParseTimeout(value, d, SourceSpan.None));
        Assert.False(d.HasErrors);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("30m")]
    [InlineData("forever")]
    [InlineData("00:00:00")]
    public void A_bad_HsmToolTimeout_is_HSM5004(string value)
    {
        var d = new DiagnosticBag();
        Assert.Equal(ToolOptions.DefaultTimeout, ToolOptions.ParseTimeout(value, d, SourceSpan.None));
        var e = Assert.Single(d.Items);
        Assert.Equal(Codes.InvalidProperty, e.Code);
        Assert.Contains("HsmToolTimeout", e.Message);
    }
}
