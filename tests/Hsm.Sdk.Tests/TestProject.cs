using Hsm.Tests;
using Microsoft.Build.Logging.StructuredLogger;

namespace Hsm.Sdk.Tests;

public sealed record BuildResult(int ExitCode, string Output, Build? Log, string BinlogPath)
{
    public bool Succeeded => ExitCode == 0;

    public IEnumerable<Target> Targets(string name) => Log is null ? Enumerable.Empty<Target>() : Log.FindChildrenRecursive<Target>(t => t.Name == name);

    /// <summary>True when the target ran its tasks (not skipped as up to date).</summary>
    public bool Ran(string name) => Targets(name).Any(t => !t.Skipped && t.Children.OfType<Microsoft.Build.Logging.StructuredLogger.Task>().Any());

    public bool Skipped(string name) => Targets(name).Any() && Targets(name).All(t => t.Skipped || !t.Children.OfType<Microsoft.Build.Logging.StructuredLogger.Task>().Any());

    public IEnumerable<Error> Errors => Log?.FindChildrenRecursive<Error>() ?? Enumerable.Empty<Error>();
    public IEnumerable<Warning> Warnings => Log?.FindChildrenRecursive<Warning>() ?? Enumerable.Empty<Warning>();
}

/// <summary>
/// A temporary user project on the packed SDK: global.json names the version (msbuild-sdks), nuget.config
/// names only the local feed, and NUGET_PACKAGES is the run's own folder, so a cached package is never used.
/// </summary>
public sealed class TestProject : IDisposable
{
    private readonly PackedSdk _sdk;
    private int _builds;
    public string Dir { get; }
    public string UvLog => Path.Combine(Dir, "..", Path.GetFileName(Dir) + "-uv.log");

    /// <summary>Where builds write their binlogs (the project folder unless set: `-bl:` splits a path at `;`).</summary>
    public string? BinlogDirectory { get; set; }

    /// <summary>False: the build gets no -p:HsmUvPath (uv is whatever the build finds on PATH, as for a user).</summary>
    public bool PassUvStandin { get; set; } = true;

    private TestProject(PackedSdk sdk, string existingDir)
    {
        _sdk = sdk;
        Dir = existingDir;
    }

    /// <summary>A project folder made otherwise (e.g. by `git clone`), built on the packed SDK like the others.</summary>
    public static TestProject Open(PackedSdk sdk, string dir) => new(sdk, dir);

    /// <summary>A new project whose folder is exactly <paramref name="folderName"/> (in a fresh parent folder of its own);
    /// nuget.config goes to that parent folder (NuGet finds it there too): NuGet's restore fails on a nuget.config in
    /// a folder whose path has a `;`.</summary>
    public static TestProject InFolder(PackedSdk sdk, string folderName)
    {
        var p = new TestProject(sdk, copySample: true, Path.Combine(sdk.Root, "projects", "named-" + Guid.NewGuid().ToString("N")[..6], folderName));
        File.Move(p.PathOf("nuget.config"), Path.Combine(p.Dir, "..", "nuget.config"));
        return p;
    }

    public TestProject(PackedSdk sdk, string name, bool copySample = true)
        : this(sdk, copySample, Path.Combine(sdk.Root, "projects", name + "-" + Guid.NewGuid().ToString("N")[..6])) { }

    /// <summary>A new project in <paramref name="dir"/> (which must not exist yet).</summary>
    private TestProject(PackedSdk sdk, bool copySample, string dir)
    {
        _sdk = sdk;
        Dir = dir;
        Directory.CreateDirectory(Dir);
        File.WriteAllText(Path.Combine(Dir, "global.json"), $$"""{ "msbuild-sdks": { "Hsm.Sdk": "{{sdk.Version}}" } }""");
        File.WriteAllText(Path.Combine(Dir, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{sdk.Feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(Dir, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(Dir, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(Dir, "hsm.proj"), "<Project Sdk=\"Hsm.Sdk\" />\n");
        if (copySample) CopySample();
    }

    public static string SampleDir => Path.Combine(SharedTools.RepoRoot, "samples", "quickstart");

    /// <summary>Copies the quickstart stack as a user would have it before their first build.</summary>
    public void CopySample()
    {
        foreach (var rel in new[] { "hsm.yaml", "hsm-registry", "packages", "config", "docker" })
            Copy(Path.Combine(SampleDir, rel), Path.Combine(Dir, rel));
        File.WriteAllText(Path.Combine(Dir, "pyproject.toml"), SamplePyProject);
    }

    public const string SamplePyProject = """
        [project]
        name = "my-rag-app"
        version = "0.1.0"
        description = "A RAG application whose stack is managed by Hsm.Sdk"
        requires-python = ">=3.10"
        # Your own dependencies stay yours: hsm adds and removes only the entries it owns (see hsm.lock).
        dependencies = [
            "httpx>=0.27",  # HTTP client
        ]

        [dependency-groups]
        dev = ["pytest>=8"]

        """;

    private static void Copy(string from, string to)
    {
        if (File.Exists(from)) { Directory.CreateDirectory(Path.GetDirectoryName(to)!); File.Copy(from, to, true); return; }
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(from, f);
            if (rel.Split(Path.DirectorySeparatorChar).Any(p => p is "obj" or "bin" or ".venv")) continue;
            var dest = Path.Combine(to, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(f, dest, true);
        }
    }

    public string PathOf(string rel) => Path.Combine(Dir, rel);
    public string Read(string rel) => File.ReadAllText(PathOf(rel));
    public bool Exists(string rel) => File.Exists(PathOf(rel));
    public void Write(string rel, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PathOf(rel))!);
        File.WriteAllText(PathOf(rel), text);
    }

    /// <summary>Every file of the project (except obj/ and logs) with its bytes and timestamp.</summary>
    public Dictionary<string, (string Hash, DateTime Time)> Snapshot()
    {
        return Directory.EnumerateFiles(Dir, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(Dir, f).StartsWith("obj", StringComparison.Ordinal) && !f.EndsWith(".binlog", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(Dir, f).Replace('\\', '/'),
                f => (Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))), File.GetLastWriteTimeUtc(f)));
    }

    public string? UvStandin => SharedTools.Tool("uv-standin");

    /// <summary>Runs `dotnet build hsm.proj` (or another target) with a binlog, uv-standin as uv when available.</summary>
    public BuildResult Build(params string[] extraArgs) => Build(extraArgs, null);

    /// <summary>Builds and asserts success (the build's output is the failure message).</summary>
    public BuildResult BuildOk(params string[] extraArgs) => BuildOk(extraArgs, null);

    public BuildResult BuildOk(string[] extraArgs, IDictionary<string, string>? env)
    {
        var r = Build(extraArgs, env);
        Xunit.Assert.True(r.Succeeded, "build failed:\n" + r.Output);
        return r;
    }

    public BuildResult Build(string[] extraArgs, IDictionary<string, string>? env)
    {
        var binlog = Path.Combine(BinlogDirectory ?? Dir, $"build{++_builds}.binlog");
        var args = new List<string> { "build", "hsm.proj", "-nodeReuse:false", "--nologo", "-bl:" + binlog };
        var uv = UvStandin;
        if (uv != null && PassUvStandin && !extraArgs.Any(a => a.StartsWith("-p:HsmUvPath", StringComparison.Ordinal))) args.Add("-p:HsmUvPath=" + uv);
        args.AddRange(extraArgs);
        var environment = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = _sdk.PackagesFolder,
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["HSM_UV_STANDIN_LOG"] = UvLog,
            ["MSBUILDTERMINALLOGGER"] = "off",
        };
        if (env != null) foreach (var kv in env) environment[kv.Key] = kv.Value;
        var (code, output) = SharedTools.Run("dotnet", args, Dir, environment);
        Build? log = null;
        if (File.Exists(binlog)) log = BinaryLog.ReadBuild(binlog);
        return new BuildResult(code, output, log, binlog);
    }

    /// <summary>Runs another dotnet command (sln add, msbuild -getItem, ...) in the project with the build's environment.</summary>
    public (int ExitCode, string Output) Dotnet(params string[] args) =>
        SharedTools.Run("dotnet", args, Dir, new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = _sdk.PackagesFolder,
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
            ["MSBUILDTERMINALLOGGER"] = "off",
        });

    public void Dispose() { }
}
