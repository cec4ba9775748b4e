using Hsm.Diagnostics;
using Hsm.Git;
using Xunit;

namespace Hsm.Tests.Tools;

/// <summary>
/// On-demand clones stay out of the enclosing repository (design §9): their path goes into that repository's
/// info/exclude, so `git status` is clean and `git add -A` adds no gitlink. Real git, a main checkout and a worktree.
/// </summary>
public sealed class CloneExcludeTests
{
    private static string Git(string dir, params string[] args)
    {
        var all = new List<string> { "-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main" };
        all.AddRange(args);
        var (code, output) = SharedTools.Run("git", all);
        Assert.True(code == 0, $"git {string.Join(' ', args)}: {output}");
        return output;
    }

    private static string GitPath => new[] { "/usr/bin/git", "/usr/local/bin/git", "/bin/git" }.First(File.Exists);

    /// <summary>A repository (or its worktree) whose project folder gets a nested repository at plugins/my plugin[1].</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_clone_is_excluded_from_git_status_and_git_add(bool worktree)
    {
        if (OperatingSystem.IsWindows()) return;
        var root = Path.Combine(Path.GetTempPath(), "hsm-exclude-" + Guid.NewGuid().ToString("N")[..8]);
        var repo = Path.Combine(root, "repo");
        Directory.CreateDirectory(Path.Combine(repo, "app"));
        Git(repo, "init", "-q");
        File.WriteAllText(Path.Combine(repo, "app", "hsm.yaml"), "project: { name: x }\n");
        Git(repo, "add", "-A");
        Git(repo, "commit", "-qm", "init");
        var top = repo;
        if (worktree)
        {
            top = Path.Combine(root, "wt");
            Git(repo, "worktree", "add", "-q", top);
        }
        var target = Path.Combine(top, "app", "plugins", "my plugin[1]");
        Directory.CreateDirectory(target);
        Git(target, "init", "-q");
        File.WriteAllText(Path.Combine(target, "code.py"), "x = 1\n");
        Git(target, "add", "-A");
        Git(target, "commit", "-qm", "plugin");
        Assert.Contains("plugins/", Git(top, "status", "--porcelain")); // what a user saw before

        var d = new DiagnosticBag();
        GitClone.ExcludeFromEnclosingRepository(GitPath, target, "plugins/my plugin[1]", CancellationToken.None, d);
        GitClone.ExcludeFromEnclosingRepository(GitPath, target, "plugins/my plugin[1]", CancellationToken.None, d); // idempotent
        Assert.Empty(d.Items);
        Assert.Equal("", Git(top, "status", "--porcelain").Trim());
        Git(top, "add", "-A");
        Assert.DoesNotContain("160000", Git(top, "ls-files", "-s")); // no gitlink
        Assert.DoesNotContain("plugins", Git(top, "ls-files"));
        var exclude = File.ReadAllText(Path.Combine(repo, ".git", "info", "exclude"));
        Assert.Single(exclude.Split('\n'), l => l == "/app/plugins/my plugin\\[1\\]/");
        // The clone itself is an ordinary repository: its own status is unaffected.
        File.WriteAllText(Path.Combine(target, "new.py"), "y = 2\n");
        Assert.Contains("new.py", Git(target, "status", "--porcelain"));
        Directory.Delete(root, true);
    }

    [Fact]
    public void Outside_a_repository_nothing_is_written()
    {
        var root = Path.Combine(Path.GetTempPath(), "hsm-exclude-none-" + Guid.NewGuid().ToString("N")[..8]);
        var target = Path.Combine(root, "plugins", "p");
        Directory.CreateDirectory(target);
        var d = new DiagnosticBag();
        GitClone.ExcludeFromEnclosingRepository(GitPath, target, "plugins/p", CancellationToken.None, d);
        Assert.Empty(d.Items);
        Assert.Equal(new[] { target }, Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Where(e => !e.EndsWith("plugins")).ToArray());
        Directory.Delete(root, true);
    }

    [Theory]
    [InlineData("plugins/p", "plugins/p")]
    [InlineData("a*b/c?d", "a\\*b/c\\?d")]
    [InlineData("#x", "\\#x")]
    [InlineData("!x", "\\!x")]
    [InlineData("x ", "x\\ ")]
    [InlineData("a\\b", "a\\\\b")]
    public void Paths_are_literal_gitignore_patterns(string path, string pattern) => Assert.Equal(pattern, GitClone.EscapePattern(path));
}
