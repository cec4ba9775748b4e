using Hsm.Tests;
using Microsoft.Build.Logging.StructuredLogger;
using Xunit;
using Xunit.Abstractions;

namespace Hsm.Sdk.Tests;

/// <summary>
/// The defaults as users meet them (issue 10 item 1): builds that set no Hsm* property at all. uv is found on
/// PATH, `docker compose` through the docker CLI on PATH and DOCKER_CONFIG's plugin; without them the host
/// warnings are anchored at hsm.proj, never at a .targets file in the NuGet cache.
/// </summary>
[Collection(PackedSdkCollection.Name)]
public sealed class HostDefaultsTests(PackedSdk sdk, ITestOutputHelper output)
{
    private static List<string> UvCalls(TestProject p) => File.Exists(p.UvLog) ? File.ReadAllLines(p.UvLog).ToList() : new();

    private static IEnumerable<string> Messages(BuildResult r) =>
        r.Log?.FindChildrenRecursive<Message>().Select(m => m.Text) ?? Enumerable.Empty<string>();

    [SkippableFact]
    public void Uv_on_PATH_and_docker_compose_through_DOCKER_CONFIG_are_used_with_no_property_set()
    {
        using var host = HostTools.Create();
        using var p = new TestProject(sdk, "defaults") { PassUvStandin = false };
        var env = host.Environment();
        var r = p.BuildOk(Array.Empty<string>(), env);

        // uv: found on PATH (no HSM5002), ran the check on the staged copy and then synced in the project.
        Assert.DoesNotContain(r.Warnings, w => w.Code is "HSM5002" or "HSM5003");
        var calls = UvCalls(p);
        output.WriteLine(string.Join("\n", calls));
        Assert.Contains(calls, c => c.Contains("\"lock\"") && c.Contains("\"--dry-run\""));
        Assert.Contains(calls, c => c.Contains("\"sync\"") && c.Contains($"\"{p.Dir}\""));
        Assert.True(p.Exists("uv.lock"), "uv sync did not write uv.lock");
        Assert.True(p.Exists(".venv/installed.json"), "uv sync did not install");
        var inputs = p.Read("obj/hsm/inputs.cache");
        Assert.Contains("uv=" + host.UvOnPath, inputs); // the resolved path is an input: installing uv later re-runs the chain

        // Compose: `docker compose` ran (the docker CLI on PATH, the plugin from DOCKER_CONFIG) and accepted the file.
        Assert.Contains(Messages(r), m => m.Contains("docker compose (") && m.Contains("config on") && m.Contains("exit code 0"));

        // ... and it is the real parser: a pass-through value Compose rejects (a logging option that is a list; hsm checks only the values Compose decodes late) fails the default build (HSM3003), changing nothing.
        var before = p.Snapshot();
        var redis = p.PathOf("hsm-registry/services/redis.yaml");
        File.WriteAllText(redis, File.ReadAllText(redis).Replace("compose: { restart: unless-stopped }", "compose: { restart: unless-stopped, logging: { options: { max-size: [1] } } }"));
        var bad = p.Build(Array.Empty<string>(), env);
        Assert.False(bad.Succeeded);
        var error = Assert.Single(bad.Errors);
        Assert.Equal("HSM3003", error.Code);
        Assert.Contains("logging.options.max-size", error.Text);
        var after = p.Snapshot();
        foreach (var f in before.Keys.Where(k => !k.StartsWith("hsm-registry/", StringComparison.Ordinal) && !k.EndsWith(".binlog", StringComparison.Ordinal)))
            Assert.Equal(before[f], after[f]);
    }

    [SkippableFact]
    public void Without_uv_or_compose_the_defaults_warn_at_hsm_proj_and_still_write_the_files()
    {
        using var host = HostTools.Create(withUv: false, withCompose: false);
        using var p = new TestProject(sdk, "defaults-none") { PassUvStandin = false };
        var env = host.Environment();
        env["DOCKER_CONFIG"] = Path.Combine(host.Root, "no-docker-config"); // docker on PATH, but no Compose plugin
        var r = p.BuildOk(Array.Empty<string>(), env);
        var w = Assert.Single(r.Warnings, w => w.Code == "HSM5002");
        Assert.Equal(p.PathOf("hsm.proj"), w.File); // the user's project, not Hsm.Sdk.targets in the NuGet cache
        Assert.Contains("uv ('uv') was not found", w.Text);
        Assert.Empty(UvCalls(p));
        Assert.Contains("qdrant-adapter", p.Read("pyproject.toml"));
        Assert.True(p.Exists("docker-compose.hsm.yml"));
        Assert.Contains(Messages(r), m => m.Contains("'docker compose' not found; the Compose file was checked by hsm's pre-flight only"));

        // HsmPythonSync=sync needs uv: HSM5003, also at hsm.proj.
        File.SetLastWriteTimeUtc(p.PathOf("hsm.yaml"), DateTime.UtcNow);
        var e = p.Build(new[] { "-p:HsmPythonSync=sync" }, env);
        Assert.False(e.Succeeded);
        var err = Assert.Single(e.Errors, x => x.Code == "HSM5003");
        Assert.Equal(p.PathOf("hsm.proj"), err.File);

        // Installing uv later, into a folder already on PATH, re-runs the chain: the resolved path is an input.
        host.InstallUv();
        var again = p.BuildOk(Array.Empty<string>(), env);
        Assert.True(again.Ran("HsmCommit"));
        Assert.DoesNotContain(again.Warnings, x => x.Code == "HSM5002");
        Assert.True(p.Exists("uv.lock"));
    }

    /// <summary>
    /// Windows' lookup (`;`-separated PATH, quoted entries (a folder with a space), PATHEXT extensions, extensionless files skipped),
    /// checked on this machine by evaluating the lookup target with OS=Windows_NT: the same MSBuild code runs there.
    /// </summary>
    [SkippableFact]
    public void The_PATH_lookup_follows_Windows_rules_under_OS_Windows_NT()
    {
        SharedTools.RequireTool("uv-standin"); // the packed SDK tests run where ../shared is
        using var p = new TestProject(sdk, "lookup-win", copySample: false);
        p.Write("hsm.yaml", "project: { name: x }\n");
        var a = p.PathOf("bin a");
        var b = p.PathOf("bin-b");
        Directory.CreateDirectory(a);
        Directory.CreateDirectory(b);
        File.WriteAllText(Path.Combine(a, "uv"), "");        // extensionless: not runnable on Windows, skipped
        File.WriteAllText(Path.Combine(a, "git.cmd"), "");
        File.WriteAllText(Path.Combine(b, "uv.exe"), "");
        File.WriteAllText(Path.Combine(b, "git.exe"), "");
        File.WriteAllText(Path.Combine(b, "podman.exe"), "");
        var env = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = sdk.PackagesFolder, ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["PATH"] = $"\"{a}\";{b}", ["PATHEXT"] = ".com;.exe;.cmd",
        };
        var dotnet = SharedTools.Run("sh", new[] { "-c", "readlink -f \"$(command -v dotnet)\"" }).Output.Trim();
        var (code, text) = SharedTools.Run(dotnet, new[] { "msbuild", "hsm.proj", "-restore", "-nologo", "-nodeReuse:false", "-t:_HsmFindTools",
            "-p:OS=Windows_NT", "-p:HsmComposeCommand=podman compose",
            "-getProperty:_HsmUvResolved", "-getProperty:_HsmGitResolved", "-getProperty:_HsmComposeResolved" }, p.Dir, env);
        output.WriteLine(text);
        Assert.True(code == 0, text);
        Assert.Contains($"\"_HsmUvResolved\": \"{Path.Combine(b, "uv.exe")}\"", text);
        Assert.Contains($"\"_HsmGitResolved\": \"{Path.Combine(a, "git.cmd")}\"", text); // first folder wins, by PATHEXT
        Assert.Contains($"\"_HsmComposeResolved\": \"{Path.Combine(b, "podman.exe")}\"", text);
    }
}
