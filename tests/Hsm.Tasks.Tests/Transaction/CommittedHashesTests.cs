using Hsm.Run;
using Hsm.Transaction;
using Xunit;

namespace Hsm.Tests.Transaction;

/// <summary>
/// The record a commit leaves (docs/targets.md, the contract): the exact lines MSBuild's GetFileHash gives as
/// `%(FullPath)=%(FileHash)` (SHA-256, upper-case hex), sorted, ending with `-`; missing and special files have none.
/// </summary>
public sealed class CommittedHashesTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "hsm-hashes-" + Guid.NewGuid().ToString("N")[..8]);

    public CommittedHashesTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Fact]
    public void The_record_has_GetFileHash_lines_sorted_and_only_for_regular_files()
    {
        var b = Path.Combine(_dir, "b.txt");
        var a = Path.Combine(_dir, "a.txt");
        File.WriteAllText(b, "hello\n");
        File.WriteAllText(a, "");
        var record = Path.Combine(_dir, "obj", "commit.record");
        CommittedHashes.Record(record, new[] { b, Path.Combine(_dir, "missing.txt"), a, b });
        Assert.Equal(
            $"{a}=E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n" +
            $"{b}=5891B5B522D5DF086D0FF0B110FBD9D21BB4FC7163AF34D08286A2E846F6BE03\n-\n",
            File.ReadAllText(record));
        Assert.False(File.Exists(record + ".tmp"));

        // Unchanged content: the file is not rewritten (its timestamp stays).
        var time = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(record, time);
        CommittedHashes.Record(record, new[] { a, b });
        Assert.Equal(time, File.GetLastWriteTimeUtc(record));

        // Nothing to record is still a record (the `-` line), so the targets can tell it from no commit at all.
        Assert.Equal("-\n", CommittedHashes.Format(Array.Empty<string>()));
    }

    [Fact]
    public void Wildcards_match_as_the_targets_glob_does_dot_files_included_not_recursive()
    {
        foreach (var f in new[] { ".env.hsm", ".env.local", ".envx", "x.yaml", "sub/.env.deep" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_dir, f))!);
            File.WriteAllText(Path.Combine(_dir, f), f);
        }
        var got = CommittedHashes.Expand(new[] { Path.Combine(_dir, ".env.*"), Path.Combine(_dir, "*.yaml"), Path.Combine(_dir, "nothing", "*.yml") })
            .Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { ".env.hsm", ".env.local", "x.yaml" }, got);
    }

    [Fact]
    public void The_run_program_takes_tool_paths_from_the_file_the_build_writes()
    {
        var tools = Path.Combine(_dir, "tools.txt");
        File.WriteAllText(tools, "uv=/opt/uv/bin/uv\ncompose=none\ngit=/usr/bin/git\n");
        Assert.Equal("/opt/uv/bin/uv", RunProgram.FoundTool(tools, "uv"));
        Assert.Null(RunProgram.FoundTool(tools, "compose"));
        Assert.Null(RunProgram.FoundTool(Path.Combine(_dir, "absent.txt"), "uv"));
        Assert.Null(RunProgram.FoundTool(null, "uv"));
    }
}
