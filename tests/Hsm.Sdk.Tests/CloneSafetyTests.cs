using Hsm.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Hsm.Sdk.Tests;

/// <summary>
/// On-demand clones in a project kept in git (design §9, issue 10 item 10), with real git: the clone never
/// shows in the enclosing repository (`git status` clean, no gitlink under `git add -A`); whether the clone
/// folder exists never changes a generated file or hsm.lock; and a fresh `git clone` of the committed project
/// builds green under HsmLocked=true, the missing clone being fetched as an input.
/// </summary>
[Collection(PackedSdkCollection.Name)]
public sealed class CloneSafetyTests(PackedSdk sdk, ITestOutputHelper output)
{
    private static string Git(string dir, params string[] args)
    {
        var all = new List<string> { "-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main", "-c", "core.autocrlf=false" };
        all.AddRange(args);
        var (code, text) = SharedTools.Run("git", all);
        Assert.True(code == 0, $"git {string.Join(' ', args)}: {text}");
        return text;
    }

    private static Dictionary<string, string> Generated(TestProject p) =>
        new[] { "pyproject.toml", "uv.lock", "docker-compose.hsm.yml", "hsm.lock", ".env.hsm", ".env.hsm.local" }
            .Where(p.Exists).ToDictionary(f => f, p.Read);

    [SkippableFact]
    public void A_committed_project_with_a_dev_clone_stays_clean_in_git_and_a_fresh_checkout_builds_locked()
    {
        SharedTools.RequireTool("uv-standin");
        using var p = new TestProject(sdk, "clone-git");
        var origin = Path.Combine(Path.GetDirectoryName(p.Dir)!, "plugin-" + Path.GetFileName(p.Dir) + "-origin");
        Directory.CreateDirectory(origin);
        Git(origin, "init", "-q");
        var package = "plugin-" + Path.GetFileName(p.Dir);
        File.WriteAllText(Path.Combine(origin, "pyproject.toml"), $"[project]\nname = \"{package}\"\nversion = \"1.0.0\"\ndependencies = []\n");
        Git(origin, "add", "-A");
        Git(origin, "commit", "-qm", "v1");
        Git(origin, "tag", "v1.0.0");
        p.Write("hsm-registry/libraries/my-plugin.yaml", $$"""
            name: my-plugin
            sources:
              prod: { type: pypi, version: ">=1" }
              dev: { type: local, package: {{package}}, path: plugins/my-plugin, url: "file://{{origin}}", ref: v1.0.0 }
            """);
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("  package_manager: uv\n", "  package_manager: uv\n  standalone:\n    - { name: my-plugin, mode: dev }\n"));
        // The project is a git repository with the .gitignore of docs/README.md.
        p.Write(".gitignore", "obj/\nbin/\n.env.hsm\n.env.hsm.local\n.env.*\n!.env.example\n.venv/\n*.binlog\n");
        Git(p.Dir, "init", "-q");

        p.BuildOk();
        Assert.True(p.Exists("plugins/my-plugin/pyproject.toml"));
        var withClone = Generated(p);

        // The clone is not part of the enclosing repository.
        var status = Git(p.Dir, "status", "--porcelain", "--untracked-files=all");
        output.WriteLine(status);
        Assert.DoesNotContain("plugins", status);
        Git(p.Dir, "add", "-A");
        var index = Git(p.Dir, "ls-files", "-s");
        Assert.DoesNotContain("160000 ", index); // no gitlink
        Assert.DoesNotContain("plugins/", index);
        Assert.Contains("hsm.lock", index);
        Git(p.Dir, "commit", "-qm", "stack");
        Assert.Equal("", Git(p.Dir, "status", "--porcelain").Trim());

        // A rebuild with the clone in place changes nothing (the files were generated while it was missing).
        File.SetLastWriteTimeUtc(p.PathOf("hsm.yaml"), DateTime.UtcNow);
        p.BuildOk("-p:HsmLocked=true");
        Assert.Equal(withClone, Generated(p));
        Assert.Equal("", Git(p.Dir, "status", "--porcelain").Trim());

        // A fresh CI checkout: no clone, no obj/. HsmLocked=true fetches the clone (an input) and writes nothing else.
        var fresh = p.Dir + "-ci";
        var (code, text) = SharedTools.Run("git", new[] { "clone", "-q", p.Dir, fresh });
        Assert.True(code == 0, text);
        Assert.False(Directory.Exists(Path.Combine(fresh, "plugins")));
        using var ci = TestProject.Open(sdk, fresh);
        var r = ci.BuildOk("-p:HsmLocked=true");
        Assert.DoesNotContain(r.Errors, e => e.Code == "HSM2012");
        Assert.True(ci.Exists("plugins/my-plugin/pyproject.toml"));
        Assert.Equal(withClone, Generated(ci)); // byte for byte what the developer committed
        Assert.Equal("", Git(fresh, "status", "--porcelain").Trim()); // the fetched clone is excluded there too

        // The other way round: deleting the clone locally does not change a generated file either.
        GitCloneDelete(p.PathOf("plugins/my-plugin"));
        p.BuildOk("-p:HsmLocked=true");
        Assert.Equal(withClone, Generated(p));
        Assert.True(p.Exists("plugins/my-plugin/pyproject.toml"));
    }

    private static void GitCloneDelete(string dir)
    {
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)) File.SetAttributes(f, FileAttributes.Normal);
        Directory.Delete(dir, true);
    }
}
