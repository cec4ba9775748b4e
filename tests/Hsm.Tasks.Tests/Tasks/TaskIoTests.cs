using System.Runtime;
using System.Text;
using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Tasks;
using Xunit;

namespace Hsm.Tests.Tasks;

/// <summary>
/// What every task shares: a file written only when its bytes change (compared in pieces, issue 16), resolved.json
/// read as a stream, and how the garbage collector runs while a task does (batch mode, paced gen-1 collections; the
/// process's mode back after).
/// </summary>
[Collection(TaskIoTests.GcMode)]
public sealed class TaskIoTests : IDisposable
{
    /// <summary>The collector's mode is the process's: these tests run alone (no task of another test overlaps).</summary>
    public const string GcMode = "GC latency mode";
    private readonly string _dir = Directory.CreateTempSubdirectory("hsm-taskio-").FullName;
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private static readonly UTF8Encoding Utf8 = new(false);
    private string P(string name) => Path.Combine(_dir, name);

    private bool Write(string path, byte[] content) => HsmTask.WriteIfChanged(path, new ArraySegment<byte>(content));

    public static TheoryData<int> Sizes => new() { 0, 1, 2, 3, 4, 65535, 65536, 65537, 200_000 };

    [Theory, MemberData(nameof(Sizes))]
    public void The_same_bytes_are_not_written_again_and_any_difference_is(int size)
    {
        var content = new byte[size];
        new Random(size).NextBytes(content);
        var path = P("f");
        Assert.True(Write(path, content));
        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.False(Write(path, content));
        Assert.False(Write(path, (byte[])content.Clone()));
        // One byte changed anywhere (first, middle, last), one byte more, one byte less: written.
        foreach (var at in new[] { 0, size / 2, size - 1 }.Where(i => i >= 0 && i < size).Distinct())
        {
            var changed = (byte[])content.Clone();
            changed[at] ^= 0x5A;
            Assert.True(Write(path, changed));
            Assert.Equal(changed, File.ReadAllBytes(path));
            Assert.True(Write(path, content));
        }
        var longer = content.Append((byte)'x').ToArray();
        Assert.True(Write(path, longer));
        Assert.Equal(longer, File.ReadAllBytes(path));
        if (size > 0)
        {
            Assert.True(Write(path, content[..^1]));
            Assert.Equal(content[..^1], File.ReadAllBytes(path));
        }
    }

    [Fact]
    public void A_byte_order_mark_in_the_file_counts_as_the_same_text()
    {
        var path = P("bom");
        File.WriteAllBytes(path, "\uFEFF"u8.ToArray().Concat("abc\n"u8.ToArray()).ToArray());
        Assert.False(HsmTask.WriteIfChanged(path, "abc\n"));
        File.WriteAllBytes(path, "\uFEFF"u8.ToArray());
        Assert.False(HsmTask.WriteIfChanged(path, ""));
        File.WriteAllText(path, "abc\n", Encoding.Unicode); // UTF-16 with its byte order mark: compared as text
        Assert.False(HsmTask.WriteIfChanged(path, "abc\n"));
        File.WriteAllText(path, "abd\n", Encoding.Unicode);
        Assert.True(HsmTask.WriteIfChanged(path, "abc\n"));
        Assert.Equal("abc\n", File.ReadAllText(path, Utf8));
        File.WriteAllText(path, "abc\n", Encoding.BigEndianUnicode);
        Assert.False(HsmTask.WriteIfChanged(path, "abc\n"));
    }

    [Fact]
    public void A_missing_file_and_folder_are_created()
    {
        var path = Path.Combine(_dir, "a", "b", "c.txt");
        Assert.True(HsmTask.WriteIfChanged(path, "x"));
        Assert.Equal("x", File.ReadAllText(path));
    }

    [Fact]
    public void Resolved_json_is_read_as_a_stream_with_or_without_a_byte_order_mark()
    {
        var stack = new ResolvedStack { ProjectName = "ünï", ProjectVersion = "1.0" };
        var json = stack.ToJson();
        File.WriteAllText(P("plain.json"), json, Utf8);
        File.WriteAllText(P("bom.json"), json, new UTF8Encoding(true));
        Assert.Equal(json, ResolvedStack.Read(P("plain.json")).ToJson());
        Assert.Equal(json, ResolvedStack.Read(P("bom.json")).ToJson());
        // Invalid UTF-8 in a value (hsm never writes one) is a JSON error, as it was when the file was read whole.
        var bytes = Utf8.GetBytes(json);
        var at = json.IndexOf("ünï", StringComparison.Ordinal);
        bytes[Utf8.GetByteCount(json[..at])] = 0xFF;
        File.WriteAllBytes(P("bad.json"), bytes);
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => ResolvedStack.Read(P("bad.json")));
    }

    [Fact]
    public void Overlapping_tasks_leave_the_process_in_its_own_mode_whichever_ends_first()
    {
        var before = GCSettings.LatencyMode;
        var a = HsmTask.TaskGc.Enter();
        var b = HsmTask.TaskGc.Enter();
        Assert.Equal(GCLatencyMode.Batch, GCSettings.LatencyMode);
        a.Dispose(); // the first to enter leaves first: the other still runs in batch mode
        Assert.Equal(GCLatencyMode.Batch, GCSettings.LatencyMode);
        b.Dispose();
        Assert.Equal(before, GCSettings.LatencyMode);
    }

    /// <summary>Gen-1 collections while <paramref name="megabytes"/> MB of short-lived objects are allocated at about 1 MB per 6 ms.</summary>
    private static int Gen1CollectionsWhileAllocating(int megabytes)
    {
        var before = GC.CollectionCount(1);
        object? keep = null;
        for (int mb = 0; mb < megabytes; mb++)
        {
            for (int i = 0; i < 1024; i++) keep = new byte[1000];
            Thread.Sleep(6);
        }
        GC.KeepAlive(keep);
        return GC.CollectionCount(1) - before;
    }

    [Fact]
    public void While_a_task_runs_a_gen1_collection_follows_every_8_MB_allocated_and_the_pacing_ends_with_the_last_task()
    {
        GC.Collect();
        var alone = Gen1CollectionsWhileAllocating(96);
        Assert.False(HsmTask.TaskGc.Pacing);
        var a = HsmTask.TaskGc.Enter();
        var b = HsmTask.TaskGc.Enter();
        Assert.True(HsmTask.TaskGc.Pacing);
        var paced = Gen1CollectionsWhileAllocating(96);
        a.Dispose();
        Assert.True(HsmTask.TaskGc.Pacing); // the other task still runs
        b.Dispose();
        Assert.False(HsmTask.TaskGc.Pacing);
        // 96 MB at 8 MB per collection: about 12 (fewer when a loaded machine wakes the pacer late: one collection per
        // look); the collector on its own collects gen 1 rarely here (everything allocated is garbage at once).
        Assert.True(paced >= alone + 4, $"gen-1 collections: {paced} paced, {alone} without pacing");
        var after = Gen1CollectionsWhileAllocating(96);
        Assert.True(after < paced, $"gen-1 collections after the last task: {after}, paced {paced}");
    }

    private sealed class LargeWorkProbe : HsmTask
    {
        public string Resolved = "";
        protected override void Run(DiagnosticBag diagnostics) => CollectBeforeLargeWork(Resolved);
    }

    [Fact]
    public void A_task_on_a_large_stack_starts_from_a_full_collection_and_one_on_a_small_stack_does_not()
    {
        File.WriteAllBytes(P("small.json"), new byte[HsmTask.LargeStackBytes]);
        File.WriteAllBytes(P("large.json"), new byte[HsmTask.LargeStackBytes + 1]);
        var engine = new FakeBuildEngine();
        int Gen2CollectionsOf(string file)
        {
            var before = GC.CollectionCount(2);
            Assert.True(new LargeWorkProbe { BuildEngine = engine, ProjectDirectory = _dir, ProjectFile = P("hsm.proj"), Resolved = P(file) }.Execute(), engine.Log);
            return GC.CollectionCount(2) - before;
        }
        Assert.Equal(0, Gen2CollectionsOf("small.json"));
        Assert.Equal(0, Gen2CollectionsOf("missing.json"));
        Assert.Equal(1, Gen2CollectionsOf("large.json"));
        engine.EndBuild();
    }

    private sealed class Probe : HsmTask
    {
        public GCLatencyMode Seen;
        public bool Throw;
        protected override void Run(DiagnosticBag diagnostics)
        {
            Seen = GCSettings.LatencyMode;
            if (Throw) throw new HsmException(new Diagnostic(Codes.CommitIo, Severity.Error, "probe", SourceSpan.None));
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public void A_task_runs_with_the_batch_collector_and_gives_the_process_its_mode_back(bool fails)
    {
        var engine = new FakeBuildEngine();
        var before = GCSettings.LatencyMode;
        var probe = new Probe { BuildEngine = engine, ProjectDirectory = _dir, ProjectFile = P("hsm.proj"), Throw = fails };
        Assert.Equal(!fails, probe.Execute());
        Assert.Equal(GCLatencyMode.Batch, probe.Seen);
        Assert.Equal(before, GCSettings.LatencyMode);
        engine.EndBuild();
    }
}

[CollectionDefinition(TaskIoTests.GcMode, DisableParallelization = true)]
public sealed class GcModeCollection;
