using Hsm.Tests;

namespace Hsm.Sdk.Tests;

/// <summary>
/// The host as a user has it, with no Hsm* property: a temporary folder on PATH holding uv-standin installed
/// as `uv`, and a Docker configuration folder (DOCKER_CONFIG) whose cli-plugins/docker-compose is the real
/// Compose v2 plugin, so that `docker compose` works through the docker CLI on PATH. Tools that are missing
/// make the test return early, or fail it when CI=true.
/// </summary>
public sealed class HostTools : IDisposable
{
    public string Root { get; }
    public string Bin => Path.Combine(Root, "bin");
    public string DockerConfig => Path.Combine(Root, "docker-config");

    private HostTools(string root) => Root = root;

    /// <summary>The real Compose v2 plugin binary (the one ../shared/tools/compose runs), or null.</summary>
    public static string? ComposePlugin()
    {
        var compose = SharedTools.Tool("compose");
        if (compose is null) return null;
        SharedTools.Run(compose, new[] { "version" }); // unpacks it into the tools cache on first use
        var home = System.Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var cache = System.Environment.GetEnvironmentVariable("HSM_TOOLS_CACHE") is { Length: > 0 } c ? c
            : Path.Combine(System.Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x ? x : Path.Combine(home, ".cache"), "hsm-tools");
        const string rel = "docker-compose-2/usr/libexec/docker/cli-plugins/docker-compose";
        var found = new[]
        {
            Path.Combine(cache, rel), Path.Combine("/var/tmp/hsm-engine/tools", rel),
            "/usr/libexec/docker/cli-plugins/docker-compose", "/usr/lib/docker/cli-plugins/docker-compose", "/usr/local/lib/docker/cli-plugins/docker-compose",
        }.FirstOrDefault(File.Exists);
        return Required(found, "the Docker Compose v2 plugin");
    }

    /// <summary>The docker CLI (the real one a user has), or null.</summary>
    public static string? DockerCli() => Required(new[] { "/usr/bin/docker", "/usr/local/bin/docker" }.FirstOrDefault(File.Exists), "the docker CLI");

    private static string? Required(string? path, string what)
    {
        if (path is null && System.Environment.GetEnvironmentVariable("CI") == "true")
            throw new InvalidOperationException($"{what} is required on CI but was not found");
        return path;
    }

    /// <summary>A host with uv-standin as `uv` on PATH (when <paramref name="withUv"/>) and, when <paramref name="withCompose"/>, the Compose plugin; skips the test when a tool is missing (fails it when CI=true).</summary>
    public static HostTools Create(bool withUv = true, bool withCompose = true)
    {
        SharedTools.RequireTool("uv-standin");
        string? plugin = null;
        SharedTools.Require(!withCompose || ((plugin = ComposePlugin()) is not null && DockerCli() is not null), "the Compose plugin and the docker CLI");
        var h = new HostTools(Path.Combine(Path.GetTempPath(), "hsm-host-" + Guid.NewGuid().ToString("N")[..8]));
        Directory.CreateDirectory(h.Bin);
        Directory.CreateDirectory(Path.Combine(h.DockerConfig, "cli-plugins"));
        File.WriteAllText(Path.Combine(h.DockerConfig, "config.json"), "{}\n");
        if (withUv) h.InstallUv();
        if (plugin != null) File.CreateSymbolicLink(Path.Combine(h.DockerConfig, "cli-plugins", "docker-compose"), plugin);
        return h;
    }

    public string UvOnPath => Path.Combine(Bin, "uv");

    /// <summary>Installs uv-standin as `uv` in the bin folder: a launcher, as installers put on PATH (uv-standin finds its schemas beside itself).</summary>
    public void InstallUv()
    {
        File.WriteAllText(UvOnPath, $"#!/bin/sh\nexec '{SharedTools.Tool("uv-standin")}' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(UvOnPath, (UnixFileMode)0b111_101_101);
    }

    /// <summary>
    /// The build's environment: PATH = the temporary bin folder, dotnet's folder and the system folders (the
    /// docker CLI, git, python3 for uv-standin) — nothing else that could hold a uv; DOCKER_CONFIG = the plugin folder.
    /// </summary>
    public Dictionary<string, string> Environment(bool onPath = true)
    {
        var dotnet = Path.GetDirectoryName(Path.GetFullPath(SharedTools.Run("sh", new[] { "-c", "readlink -f \"$(command -v dotnet)\"" }).Output.Trim()))!;
        var path = string.Join(':', new[] { onPath ? Bin : null, dotnet, "/usr/local/bin", "/usr/bin", "/bin" }.Where(p => p != null));
        return new Dictionary<string, string> { ["PATH"] = path, ["DOCKER_CONFIG"] = DockerConfig };
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
