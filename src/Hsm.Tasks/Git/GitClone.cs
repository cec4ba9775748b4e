using Hsm.Diagnostics;
using Hsm.Uv;

namespace Hsm.Git;

/// <summary>
/// On-demand clones (design §3.1, §5.4): a dev source whose folder is missing is cloned with real git
/// at its ref into obj/hsm/clones/ before the uv check; the commit moves it into place. Refs beginning
/// with '-' and unsupported URL schemes were rejected when the registry was read; git runs without a
/// shell, without prompts (GIT_TERMINAL_PROMPT=0) and within HsmToolTimeout. <c>git</c> is the path the
/// targets resolved (_HsmFindTools), or null when git is not on PATH.
/// </summary>
public static class GitClone
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(30);

    private static Dictionary<string, string?> Environment() => new()
    {
        ["GIT_TERMINAL_PROMPT"] = "0",
        ["GIT_ASKPASS"] = "",
        ["SSH_ASKPASS"] = "",
        ["GCM_INTERACTIVE"] = "never",
        ["GIT_SSH_COMMAND"] = "ssh -oBatchMode=yes",
    };

    /// <summary>The git executable to run, or null ("none" or empty from the targets, or a path that is gone).</summary>
    public static string? Usable(string? git) => string.IsNullOrEmpty(git) || git == "none" || !File.Exists(git) ? null : git;

    /// <summary>Clones <paramref name="url"/> at <paramref name="gitRef"/> (or the default branch) into <paramref name="dir"/>.
    /// Reuses an existing clone there when it is already at that ref. Returns false with an HSM3004 error (HSM5006 on timeout).</summary>
    public static bool CloneAt(string? git, string url, string? gitRef, string dir, string what, SourceSpan span, CancellationToken cancel, ToolOptions tools, DiagnosticBag d)
    {
        git = Usable(git);
        if (git is null)
        {
            d.Error(Codes.CloneFailed, span, $"{what} must be cloned from {url}, but git was not found on PATH. Install git, or check the folder out yourself.");
            return false;
        }
        var marker = Path.Combine(dir, ".git", "hsm-clone-of");
        var identity = $"{url}\n{gitRef}\n";
        if (File.Exists(marker) && File.ReadAllText(marker) == identity) return true;
        if (Directory.Exists(dir)) DeleteDirectory(dir);
        Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
        var work = Path.GetDirectoryName(dir)!;
        var clone = ToolRunner.Run(git, new[] { "-c", "advice.detachedHead=false", "clone", "--quiet", "--no-checkout", "--", url, dir }, work, cancel, Environment(), tools, what: $"git clone of {what}");
        if (clone.ExitCode != 0) return Fail(clone, "git clone", url, gitRef, dir, what, span, d);
        var checkoutArgs = gitRef is null
            ? new[] { "-C", dir, "-c", "advice.detachedHead=false", "checkout", "--quiet" }
            : new[] { "-C", dir, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", gitRef };
        var checkout = ToolRunner.Run(git, checkoutArgs, work, cancel, Environment(), tools, what: $"git checkout of {what}");
        if (checkout.ExitCode != 0) return Fail(checkout, "git checkout", url, gitRef, dir, what, span, d);
        File.WriteAllText(marker, identity);
        return true;
    }

    /// <summary>True when <paramref name="dir"/> is a checkout this hsm cloned on demand (it carries the marker).</summary>
    public static bool IsHsmClone(string dir) => File.Exists(Path.Combine(dir, ".git", "hsm-clone-of"));

    /// <summary>
    /// Keeps an on-demand clone out of the enclosing git repository (design §9): its path, anchored at that
    /// repository's root, goes into the repository's own <c>info/exclude</c> (found with
    /// <c>git rev-parse --git-path info/exclude</c>, so worktrees and GIT_DIR layouts work). That file is local to
    /// the clone of the enclosing repository and never committed: `git status` stays clean and `git add -A` adds
    /// no gitlink, while the clone stays an ordinary repository for its developer. Nothing happens when the
    /// project is not inside a git repository. A failure is warning HSM5008 (the build goes on).
    /// </summary>
    public static void ExcludeFromEnclosingRepository(string? git, string target, string targetLabel, CancellationToken cancel, DiagnosticBag d)
    {
        git = Usable(git);
        if (git is null) return;
        var start = Path.GetDirectoryName(Path.GetFullPath(target).TrimEnd('/', '\\'));
        while (start != null && !Directory.Exists(start)) start = Path.GetDirectoryName(start);
        if (start is null) return;
        var r = ToolRunner.Run(git, new[] { "rev-parse", "--show-toplevel", "--git-path", "info/exclude" }, start, cancel, Environment(), new ToolOptions(QueryTimeout), what: "git rev-parse");
        if (r.ExitCode != 0) return; // not inside a git repository
        var lines = r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length < 2) return;
        var top = Path.GetFullPath(lines[0]);
        var exclude = Path.GetFullPath(Path.Combine(start, lines[1]));
        var rel = Path.GetRelativePath(top, Path.GetFullPath(target)).Replace('\\', '/').TrimEnd('/');
        if (rel.StartsWith("../", StringComparison.Ordinal) || rel == ".." || Path.IsPathRooted(rel)) return; // outside that repository
        var pattern = "/" + EscapePattern(rel) + "/";
        try
        {
            var existing = File.Exists(exclude) ? File.ReadAllText(exclude) : "";
            if (existing.Split('\n').Any(l => l.TrimEnd('\r') == pattern)) return;
            Directory.CreateDirectory(Path.GetDirectoryName(exclude)!);
            var prefix = existing.Length > 0 && !existing.EndsWith('\n') ? "\n" : "";
            File.AppendAllText(exclude, $"{prefix}# hsm: {targetLabel} is cloned on demand (docs/python.md#on-demand-clones)\n{pattern}\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            d.Warning(Codes.CloneNotExcluded, new SourceSpan(targetLabel, 0, 0),
                $"'{targetLabel}' was cloned on demand, but its path could not be added to {exclude} ({e.Message}); `git status` of the enclosing repository lists it. Add the line '{pattern}' there (or to .gitignore) yourself.");
        }
    }

    /// <summary>A path as a literal gitignore pattern: wildcards, brackets, '!' and '#' at the start, backslashes and trailing spaces escaped.</summary>
    public static string EscapePattern(string rel)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var c in rel)
        {
            if (c is '*' or '?' or '[' or ']' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        var s = sb.ToString();
        if (s.StartsWith('#') || s.StartsWith('!')) s = "\\" + s;
        var trailing = s.Length - s.TrimEnd(' ').Length;
        if (trailing > 0) s = s.TrimEnd(' ') + string.Concat(Enumerable.Repeat("\\ ", trailing));
        return s;
    }

    /// <summary>The commit an existing checkout is at, or null.</summary>
    public static string? Head(string? git, string dir, CancellationToken cancel)
    {
        git = Usable(git);
        if (git is null || !Directory.Exists(Path.Combine(dir, ".git"))) return null;
        var r = ToolRunner.Run(git, new[] { "-C", dir, "rev-parse", "HEAD" }, dir, cancel, Environment(), new ToolOptions(QueryTimeout));
        return r.ExitCode == 0 ? r.Output.Trim() : null;
    }

    /// <summary>The commit a ref names in an existing checkout, or null.</summary>
    public static string? Resolve(string? git, string dir, string gitRef, CancellationToken cancel)
    {
        git = Usable(git);
        if (git is null) return null;
        var r = ToolRunner.Run(git, new[] { "-C", dir, "rev-parse", "--verify", "--quiet", gitRef + "^{commit}" }, dir, cancel, Environment(), new ToolOptions(QueryTimeout));
        return r.ExitCode == 0 ? r.Output.Trim() : null;
    }

    private static bool Fail(ToolResult r, string step, string url, string? gitRef, string dir, string what, SourceSpan span, DiagnosticBag d)
    {
        DeleteDirectory(dir);
        if (r.TimedOut)
        {
            var t = ToolRunner.TimeoutDiagnostic(r, $"Cloning {what} from {url} ({step})", span);
            d.Add(t with { Message = t.Message + " Nothing was changed in the project." });
            return false;
        }
        var why = r.Started ? r.Output.Trim() : r.StartError;
        d.Error(Codes.CloneFailed, span, $"Cloning {what} from {url}{(gitRef is null ? "" : $" at '{gitRef}'")} failed ({step}): {why} Nothing was changed in the project.");
        return false;
    }

    public static void DeleteDirectory(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            File.SetAttributes(f, FileAttributes.Normal); // git's pack files are read-only on Windows
        Directory.Delete(dir, recursive: true);
    }
}
