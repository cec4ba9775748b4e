using System.Text;
using Hsm.Diagnostics;
using Hsm.Staging;
using Hsm.Tests.Model;
using Hsm.Tests.Transaction;
using Hsm.Transaction;
using Xunit;

namespace Hsm.Tests.Safety;

/// <summary>A target the commit cannot write is HSM4031 saying so (never HSM9001), before anything changes or after a full rollback.</summary>
public sealed class ReadOnlyCommitTests : IDisposable
{
    private readonly string _proj = ModelKit.NewTempDir();
    private string Obj => Path.Combine(_proj, "obj", "hsm");

    public void Dispose()
    {
        SpecialFiles.Restore(_proj);
        ModelKit.TryDelete(_proj);
    }

    private PlannedFile Replace(string name, string oldText, string newText)
    {
        var target = Path.Combine(_proj, name);
        File.WriteAllText(target, oldText);
        var staged = Path.Combine(Obj, "stage", name);
        Directory.CreateDirectory(Path.GetDirectoryName(staged)!);
        File.WriteAllText(staged, newText);
        return new PlannedFile { Target = target, Op = FileOp.Replace, Staged = staged, OriginalHash = StagePlan.HashFile(target), StagedHash = StagePlan.Hash(Encoding.UTF8.GetBytes(newText)) };
    }

    private static SyncSettings Settings(string proj, string obj) => new() { ProjectDirectory = proj, IntermediateDirectory = obj, PythonSync = "none", ComposeValidate = "false" };

    [Fact]
    public void A_read_only_file_is_refused_before_anything_changes()
    {
        if (OperatingSystem.IsWindows()) return;
        var a = Replace("a.txt", "old a\n", "new a\n");
        var b = Replace("b.txt", "old b\n", "new b\n");
        File.SetUnixFileMode(b.Target, UnixFileMode.UserRead);
        var d = new DiagnosticBag();
        Assert.Null(Committer.Commit(new StagePlan { Files = { a, b } }, Settings(_proj, Obj), CancellationToken.None, d, _ => { }));
        var e = Assert.Single(d.Items, x => x.Severity == Severity.Error);
        Assert.Equal(Codes.ReadOnlyTarget, e.Code);
        Assert.Equal("b.txt", e.Span.File);
        Assert.Contains("read-only", e.Message);
        Assert.Equal("old a\n", File.ReadAllText(a.Target)); // refused before the first replacement
        Assert.Equal("old b\n", File.ReadAllText(b.Target));
        Assert.False(CommitJournal.Pending(Obj));
    }

    [Fact]
    public void Permission_denied_during_the_commit_is_HSM4031_after_a_full_rollback()
    {
        var a = Replace("a.txt", "old a\n", "new a\n");
        var b = Replace("b.txt", "old b\n", "new b\n");
        // What an immutable file or a read-only mount does where the mode bits say nothing.
        var hook = new StepHook((_, n) => { if (n == "apply:b.txt") throw new UnauthorizedAccessException("Access to the path 'b.txt' is denied."); });
        var d = new DiagnosticBag();
        Assert.Null(Committer.Commit(new StagePlan { Files = { a, b } }, Settings(_proj, Obj), CancellationToken.None, d, _ => { }, hook));
        var e = Assert.Single(d.Items, x => x.Severity == Severity.Error);
        Assert.Equal(Codes.ReadOnlyTarget, e.Code);
        Assert.Contains("read-only or not writable", e.Message);
        Assert.Equal("old a\n", File.ReadAllText(a.Target));
        Assert.Equal("old b\n", File.ReadAllText(b.Target));
        Assert.DoesNotContain(Directory.EnumerateFiles(_proj, "*.tmp", new EnumerationOptions { AttributesToSkip = 0 }), _ => true);
    }
}
