using Microsoft.Build.Framework;
using Microsoft.Build.Logging.StructuredLogger;
using Xunit;

namespace Hsm.Sdk.Tests;

/// <summary>
/// Issue 11: what the binlog of a no-op build says. Each incremental target is skipped because its outputs are
/// up to date (not merely "skipped": a target whose condition is false is skipped too), and no target builds
/// hsm.proj again: each fingerprint has one writer, so nothing re-evaluates the project to refresh one.
/// </summary>
[Collection(PackedSdkCollection.Name)]
public sealed class NoOpBinlogTests(PackedSdk sdk)
{
    private static readonly string[] Chain = { "HsmResolve", "HsmStage", "HsmSync", "HsmCommit" };

    /// <summary>
    /// The binlog's events say <paramref name="name"/> was skipped because its outputs are up to date (the Build tree
    /// keeps only a Skipped flag, which a false condition sets too), and the target never started its tasks.
    /// </summary>
    internal static void AssertUpToDate(BuildResult r, string name)
    {
        var skips = new BinLogReader().ReadRecords(r.BinlogPath).Select(x => x.Args).OfType<TargetSkippedEventArgs>()
            .Where(e => e.TargetName == name).ToList();
        Assert.True(skips.Count > 0, $"{name} was not skipped:\n{r.Output}");
        // The first decision is the one that counts; a later reference to the target only repeats it.
        Assert.True(skips[0].SkipReason == TargetSkipReason.OutputsUpToDate,
            $"{name}: skip reason {skips[0].SkipReason}, expected {TargetSkipReason.OutputsUpToDate} (outputs up to date)");
        Assert.All(skips.Skip(1), e => Assert.Equal(TargetSkipReason.PreviouslyBuiltSuccessfully, e.SkipReason));
        Assert.False(r.Ran(name), $"{name} ran");
    }

    /// <summary>No MSBuild task under an Hsm target builds the project itself, and each always-running target ran once.</summary>
    private static void AssertNoSelfBuild(BuildResult r, string projectFile, string alwaysRunning)
    {
        var nested = r.Log!.FindChildrenRecursive<Microsoft.Build.Logging.StructuredLogger.Task>(t => t.Name == "MSBuild")
            .Where(t => t.GetNearestParent<Target>() is { } parent && parent.Name.TrimStart('_').StartsWith("Hsm", StringComparison.Ordinal))
            .SelectMany(t => t.FindChildrenRecursive<Project>())
            .Where(p => string.Equals(p.ProjectFile, projectFile, StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.True(nested.Count == 0, $"an Hsm target built {projectFile} again ({nested.Count} nested build(s))");
        var runs = r.Targets(alwaysRunning).Count(t => !t.Skipped);
        Assert.True(runs == 1, $"{alwaysRunning} ran {runs} times; once per build is the design");
    }

    /// <summary>HsmStage staged the stack HsmResolve handed over in memory, or the one in resolved.json (its low-importance line).</summary>
    private static void AssertStagedFrom(BuildResult r, bool handedOver)
    {
        var lines = r.Log!.FindChildrenRecursive<Message>(m => m.Text.StartsWith("hsm: staging the stack", StringComparison.Ordinal)).Select(m => m.Text).ToList();
        var line = Assert.Single(lines);
        Assert.True(line.Contains("handed over", StringComparison.Ordinal) == handedOver, line);
    }

    [SkippableFact]
    public void A_no_op_build_skips_the_chain_as_up_to_date_and_never_builds_the_project_again()
    {
        using var p = new TestProject(sdk, "noop-binlog");
        var first = p.BuildOk();
        Assert.True(first.Ran("HsmCommit"));
        AssertNoSelfBuild(first, p.PathOf("hsm.proj"), "_HsmComputeInputs");

        var noop = p.BuildOk();
        foreach (var t in Chain) AssertUpToDate(noop, t);
        AssertNoSelfBuild(noop, p.PathOf("hsm.proj"), "_HsmComputeInputs");
        Assert.True(p.Build("-question").Succeeded);

        // A hand edit of a generated .env file (watched through the .env.* glob on both sides: target and record)
        // is found by content: HsmStage runs and refuses to overwrite it (HSM4006). Undone, the build settles again.
        var env = p.Read(".env.hsm");
        p.Write(".env.hsm", env + "EXTRA=1\n");
        var edited = p.Build();
        Assert.Contains(edited.Errors, e => e.Code == "HSM4006");
        AssertNoSelfBuild(edited, p.PathOf("hsm.proj"), "_HsmComputeInputs");
        AssertStagedFrom(edited, handedOver: false); // HsmResolve did not run: resolved.json
        p.Write(".env.hsm", env);
        p.BuildOk();
        var after = p.BuildOk();
        foreach (var t in Chain) AssertUpToDate(after, t);

        // Content, not history: the same edit again gives a fingerprint byte-identical to the one written for the
        // first, and is found all the same.
        p.Write(".env.hsm", env + "EXTRA=1\n");
        var again = p.Build();
        Assert.Contains(again.Errors, e => e.Code == "HSM4006");
        p.Write(".env.hsm", env);
        p.BuildOk();

        // A selection change runs the chain once, without building the project again; then a no-op.
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("selection: qdrant-adapter", "selection: milvus-adapter").Replace("qdrant-adapter: dev", "milvus-adapter: dev"));
        var switched = p.BuildOk();
        Assert.True(switched.Ran("HsmCommit"));
        AssertStagedFrom(switched, handedOver: true); // in the real engine too: the stack HsmResolve registered
        AssertNoSelfBuild(switched, p.PathOf("hsm.proj"), "_HsmComputeInputs");
        var settled = p.BuildOk();
        foreach (var t in Chain) AssertUpToDate(settled, t);
    }

    [SkippableFact]
    public void A_second_publish_is_up_to_date_and_never_builds_the_project_again()
    {
        using var p = new TestProject(sdk, "noop-publish");
        var first = p.BuildOk("-t:HsmPublish", "-p:HsmPublishTarget=swarm");
        Assert.True(first.Ran("HsmPublish"));
        AssertNoSelfBuild(first, p.PathOf("hsm.proj"), "_HsmPublishInputs");
        var again = p.BuildOk("-t:HsmPublish", "-p:HsmPublishTarget=swarm");
        AssertUpToDate(again, "HsmPublish");
        AssertNoSelfBuild(again, p.PathOf("hsm.proj"), "_HsmPublishInputs");

        // A hand edit of the published file re-runs the publish, which restores it.
        var stack = p.Read("deploy/swarm/docker-stack.yml");
        p.Write("deploy/swarm/docker-stack.yml", stack + "# note\n");
        var edited = p.BuildOk("-t:HsmPublish", "-p:HsmPublishTarget=swarm");
        Assert.True(edited.Ran("HsmPublish"));
        Assert.Equal(stack, p.Read("deploy/swarm/docker-stack.yml"));
        AssertUpToDate(p.BuildOk("-t:HsmPublish", "-p:HsmPublishTarget=swarm"), "HsmPublish");
    }
}
