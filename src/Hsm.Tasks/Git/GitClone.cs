using Hsm.Diagnostics;
using Hsm.Uv;

namespace Hsm.Git;

/// <summary>
/// On-demand clones (spec §3.1, §5.4): a dev source whose folder is missing is cloned with real git
/// at its ref into obj/hsm/clones/ before the uv check; the commit moves it into place. Refs beginning
/// with '-' and unsupported URL schemes were rejected when the registry was read; git runs without a
/// shell, without prompts (GIT_TERMINAL_PROMPT=0) and with a timeout.
/// </summary>
public static class GitClone
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    private static Dictionary<string, string?> Environment() => new()
    {
        ["GIT_TERMINAL_PROMPT"] = "0",
        ["GIT_ASKPASS"] = "",
        ["SSH_ASKPASS"] = "",
        ["GCM_INTERACTIVE"] = "never",
        ["GIT_SSH_COMMAND"] = "ssh -oBatchMode=yes",
    };

    /// <summary>Clones <paramref name="url"/> at <paramref name="gitRef"/> (or the default branch) into <paramref name="dir"/>.
    /// Reuses an existing clone there when it is already at that ref. Returns false with an HSM3004 error.</summary>
    public static bool CloneAt(string url, string? gitRef, string dir, string what, SourceSpan span, CancellationToken cancel, DiagnosticBag d)
    {
        var git = ToolRunner.Which("git");
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
        var clone = ToolRunner.Run(git, new[] { "-c", "advice.detachedHead=false", "clone", "--quiet", "--no-checkout", "--", url, dir }, work, cancel, Environment(), Timeout);
        if (clone.ExitCode != 0) return Fail(clone, "git clone", url, gitRef, dir, what, span, d);
        var checkoutArgs = gitRef is null
            ? new[] { "-C", dir, "-c", "advice.detachedHead=false", "checkout", "--quiet" }
            : new[] { "-C", dir, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", gitRef };
        var checkout = ToolRunner.Run(git, checkoutArgs, work, cancel, Environment(), Timeout);
        if (checkout.ExitCode != 0) return Fail(checkout, "git checkout", url, gitRef, dir, what, span, d);
        File.WriteAllText(marker, identity);
        return true;
    }

    /// <summary>The commit an existing checkout is at, or null.</summary>
    public static string? Head(string dir, CancellationToken cancel)
    {
        var git = ToolRunner.Which("git");
        if (git is null || !Directory.Exists(Path.Combine(dir, ".git"))) return null;
        var r = ToolRunner.Run(git, new[] { "-C", dir, "rev-parse", "HEAD" }, dir, cancel, Environment(), TimeSpan.FromSeconds(30));
        return r.ExitCode == 0 ? r.Output.Trim() : null;
    }

    /// <summary>The commit a ref names in an existing checkout, or null.</summary>
    public static string? Resolve(string dir, string gitRef, CancellationToken cancel)
    {
        var git = ToolRunner.Which("git");
        if (git is null) return null;
        var r = ToolRunner.Run(git, new[] { "-C", dir, "rev-parse", "--verify", "--quiet", gitRef + "^{commit}" }, dir, cancel, Environment(), TimeSpan.FromSeconds(30));
        return r.ExitCode == 0 ? r.Output.Trim() : null;
    }

    private static bool Fail(ToolResult r, string step, string url, string? gitRef, string dir, string what, SourceSpan span, DiagnosticBag d)
    {
        DeleteDirectory(dir);
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
