using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Hsm.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Hsm.Cli.Tests;

/// <summary>
/// Hsm.Sdk, Hsm.Cli and Hsm.Templates packed once per run with a fresh version into a temporary feed,
/// with their own NuGet packages folder, .NET CLI home and template hive (the machine's caches stay clean).
/// </summary>
public sealed class PackedTools : IDisposable
{
    public string Root { get; }
    public string Feed { get; }
    public string Version { get; }
    public Dictionary<string, string> Env { get; }

    public PackedTools()
    {
        Version = "0.1.0-c" + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff");
        Root = Path.Combine(Path.GetTempPath(), "hsm-cli-e2e-" + Version);
        Feed = Path.Combine(Root, "feed");
        Directory.CreateDirectory(Feed);
        Env = new Dictionary<string, string>
        {
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["DOTNET_CLI_HOME"] = Path.Combine(Root, "home"),
            ["NUGET_PACKAGES"] = Path.Combine(Root, "packages"),
        };
        // Packed from a copy of the sources: the SDK's own end-to-end tests pack src/Hsm.Sdk at the same time
        // (dotnet test hsm.sln runs test assemblies in parallel), and two packs must not share obj/.
        var source = Path.Combine(Root, "src-copy");
        CopySources(source);
        foreach (var project in new[] { "Hsm.Sdk", "Hsm.Cli", "Hsm.Templates" })
        {
            var (code, output) = SharedTools.Run("dotnet", new[]
            {
                "pack", Path.Combine(source, "src", project, project + ".csproj"), "-c", "Release", "-o", Feed,
                "-p:HsmVersion=" + Version, "-nodeReuse:false", "--nologo",
                // The precompiled .NET 10 task folders are the SDK tests' business (ReadyToRunPackageTests);
                // without them this pack needs no runtime packs in its private package folder.
                "-p:HsmReadyToRun=false",
            }, source, new Dictionary<string, string> { ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0" }, timeoutMs: 600_000);
            if (code != 0 || !File.Exists(Package(project))) throw new InvalidOperationException($"dotnet pack {project} failed:\n{output}");
        }
    }

    private static void CopySources(string to)
    {
        var repo = SharedTools.RepoRoot;
        foreach (var f in new[] { "Directory.Build.props", "Directory.Build.rsp", "Directory.Packages.props", ".editorconfig", "global.json", "nuget.config", "README.md" })
            if (File.Exists(Path.Combine(repo, f))) { Directory.CreateDirectory(to); File.Copy(Path.Combine(repo, f), Path.Combine(to, f)); }
        foreach (var dir in new[] { "src", Path.Combine("docs", "schemas") })
        {
            var from = Path.Combine(repo, dir);
            foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            {
                var rel = Path.GetRelativePath(repo, file);
                var parts = rel.Split(Path.DirectorySeparatorChar);
                if (parts.Contains("bin") || parts.Contains("obj")) continue;
                var target = Path.Combine(to, rel);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }
    }

    public string Package(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");
    public string Hive => Path.Combine(Root, "template-hive");

    public (int Code, string Output) Run(string workDir, params string[] args) =>
        SharedTools.Run("dotnet", args, workDir, Env, timeoutMs: 600_000);

    public string Ok(string workDir, params string[] args)
    {
        var (code, output) = Run(workDir, args);
        Assert.True(code == 0, $"dotnet {string.Join(' ', args)} exited {code}:\n{output}");
        return output;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class PackedToolsCollection : ICollectionFixture<PackedTools>
{
    public const string Name = "packed tools";
}

[Collection(PackedToolsCollection.Name)]
public class PackageTests
{
    private readonly PackedTools _t;
    private readonly ITestOutputHelper _log;

    public PackageTests(PackedTools tools, ITestOutputHelper log) { _t = tools; _log = log; }

    private static string Entry(ZipArchive zip, string name)
    {
        var e = zip.GetEntry(name) ?? throw new Xunit.Sdk.XunitException($"{name} is not in the package: {string.Join(", ", zip.Entries.Select(x => x.FullName))}");
        using var r = new StreamReader(e.Open());
        return r.ReadToEnd();
    }

    [Fact]
    public void The_tool_and_template_packages_hold_what_they_must()
    {
        using (var cli = ZipFile.OpenRead(_t.Package("Hsm.Cli")))
        {
            var nuspec = Entry(cli, "Hsm.Cli.nuspec");
            Assert.Contains("<packageType name=\"DotnetTool\" />", nuspec);
            var names = cli.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("tools/net8.0/any/hsm.dll", names);
            Assert.Contains("tools/net8.0/any/YamlDotNet.dll", names);
            Assert.Contains("tools/net8.0/any/System.CommandLine.dll", names);
            Assert.DoesNotContain(names, n => n.Contains("Microsoft.Build", StringComparison.OrdinalIgnoreCase));
            Assert.Matches("<Command Name=\"hsm\" EntryPoint=\"hsm.dll\" Runner=\"dotnet\" />", Entry(cli, "tools/net8.0/any/DotnetToolSettings.xml"));
        }
        using (var templates = ZipFile.OpenRead(_t.Package("Hsm.Templates")))
        {
            Assert.Contains("<packageType name=\"Template\" />", Entry(templates, "Hsm.Templates.nuspec"));
            var names = templates.Entries.Select(e => e.FullName).ToList();
            foreach (var t in new[] { "hsm", "hsm-library", "hsm-service" }) Assert.Contains($"content/{t}/.template.config/template.json", names);
            Assert.Contains("content/hsm/.vscode/schemas/hsm.schema.json", names);
            Assert.Contains("content/hsm/hsm-registry/service_groups/.gitkeep", names);
            Assert.Contains($"\"defaultValue\": \"{_t.Version}\"", Entry(templates, "content/hsm/.template.config/template.json"));
        }
    }

    [Fact]
    public void A_new_user_goes_from_an_empty_folder_to_pyproject_and_compose_with_dotnet_new_and_dotnet_hsm()
    {
        var uv = SharedTools.Tool("uv-standin"); // fails on CI when ../shared is missing
        var root = Path.Combine(_t.Root, "user-" + Guid.NewGuid().ToString("N")[..6]);
        var dir = Path.Combine(root, "my-rag-app");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{_t.Feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), "<Project />");

        // Templates, installed into a private hive.
        _t.Ok(root, "new", "install", _t.Package("Hsm.Templates"), "--debug:custom-hive", _t.Hive);
        _t.Ok(root, "new", "hsm", "-n", "my-rag-app", "-o", dir, "--debug:custom-hive", _t.Hive);
        Assert.Contains("name: my-rag-app", File.ReadAllText(Path.Combine(dir, "hsm.yaml")));
        Assert.Contains($"\"Hsm.Sdk\": \"{_t.Version}\"", File.ReadAllText(Path.Combine(dir, "global.json")));
        Assert.Contains(".env.hsm.local", File.ReadAllText(Path.Combine(dir, ".gitignore")));
        Assert.True(File.Exists(Path.Combine(dir, ".vscode", "schemas", "service_group.schema.json")));
        _t.Ok(dir, "new", "hsm-library", "-n", "qdrant-adapter", "--debug:custom-hive", _t.Hive);
        Assert.True(File.Exists(Path.Combine(dir, "packages", "qdrant-adapter", "pyproject.toml")));
        Assert.Contains("name: qdrant-adapter", File.ReadAllText(Path.Combine(dir, "hsm-registry", "libraries", "qdrant-adapter.yaml")));
        _t.Ok(dir, "new", "hsm-service", "-n", "worker", "--runtime", "uv", "--debug:custom-hive", _t.Hive);
        Assert.Contains("runtime: uv", File.ReadAllText(Path.Combine(dir, "hsm-registry", "services", "worker.yaml")));
        Assert.True(File.Exists(Path.Combine(dir, "services", "worker", "pyproject.toml")));
        Assert.False(File.Exists(Path.Combine(dir, "services", "worker", "Dockerfile")));
        _t.Ok(dir, "new", "hsm-service", "-n", "web", "--debug:custom-hive", _t.Hive);
        Assert.True(File.Exists(Path.Combine(dir, "services", "web", "Dockerfile")));
        Assert.Contains("type: build", File.ReadAllText(Path.Combine(dir, "hsm-registry", "services", "web.yaml")));

        // The tool, from the packed nupkg into a tool manifest, run as `dotnet hsm`.
        _t.Ok(dir, "new", "tool-manifest");
        _t.Ok(dir, "tool", "install", "Hsm.Cli", "--version", _t.Version, "--add-source", _t.Feed);
        string Hsm(params string[] args) => _t.Ok(dir, new[] { "hsm" }.Concat(args).ToArray());
        Assert.Contains("0 warning(s)", Hsm("registry", "validate")); // the templates' registry files load cleanly
        Hsm("registry", "add", "library", "milvus-adapter", "-d", "Client for Milvus", "--pypi-version", ">=2.4");
        Hsm("registry", "add", "service", "qdrant", "-d", "Vector database", "--image", "qdrant/qdrant:v1.12.0", "-p", "6333:6333", "-e", "QDRANT_COLLECTION=${HSM_MERGED_PARAMS.collection}");
        Hsm("registry", "implies", "add", "qdrant-adapter", "service:qdrant", "collection=docs");
        Hsm("registry", "add", "group", "vector-db-client", "-o", "qdrant-adapter", "-o", "milvus-adapter", "--default", "milvus-adapter", "-c", "Group for vector database clients");
        var sw = Stopwatch.StartNew();
        Hsm("add", "vector-db-client");
        _log.WriteLine($"dotnet hsm add: {sw.ElapsedMilliseconds} ms (process start included)");
        Hsm("select", "vector-db-client", "qdrant-adapter");
        var search = Hsm("search", "vector database");
        Assert.Matches(new Regex(@"^service\s+qdrant\s+Vector database", RegexOptions.Multiline), search); // by description
        Assert.Contains("vector-db-client", search); // by its comment
        Assert.Matches(new Regex(@"^library\s+qdrant-adapter\s+The qdrant-adapter library", RegexOptions.Multiline), Hsm("search", "qdrant"));
        Hsm("mode", "qdrant-adapter", "dev", "--local");
        Assert.Contains("<HsmComponentMode Include=\"qdrant-adapter\" Mode=\"dev\" />", File.ReadAllText(Path.Combine(dir, "hsm.proj.user")));
        Assert.DoesNotContain("mode", File.ReadAllText(Path.Combine(dir, "hsm.yaml")).Split("Reference:")[1]);

        var uvArgs = uv is null ? new[] { "-p:HsmPythonSync=none" } : new[] { "-p:HsmUvPath=" + uv };
        var check = Hsm(new[] { "check" }.Concat(uvArgs).ToArray());
        Assert.Contains("qdrant-adapter", check);
        sw.Restart();
        Hsm(new[] { "sync" }.Concat(uvArgs).ToArray());
        _log.WriteLine($"dotnet hsm sync: {sw.ElapsedMilliseconds} ms (first build: restore and SDK resolution included)");
        var pyproject = File.ReadAllText(Path.Combine(dir, "pyproject.toml"));
        Assert.Contains("qdrant-adapter = { path = \"packages/qdrant-adapter\", editable = true }", pyproject);
        var compose = File.ReadAllText(Path.Combine(dir, "docker-compose.hsm.yml"));
        Assert.Contains("services:\n  qdrant:\n    image: \"qdrant/qdrant:v1.12.0\"\n", compose);
        Assert.Contains("QDRANT_COLLECTION: \"docs\"", compose);
        var list = Hsm("list");
        Assert.Contains("mode from HsmComponentMode", File.ReadAllText(Path.Combine(dir, "obj", "hsm", "stack.txt")));
        Assert.Contains("obj/hsm/stack.txt", list);

        // Without the local override the same hsm.yaml gives the released package (the mode goes back to prod).
        Hsm("mode", "qdrant-adapter", "prod", "--local");
        Hsm(new[] { "sync" }.Concat(uvArgs).ToArray());
        Assert.DoesNotContain("editable = true", File.ReadAllText(Path.Combine(dir, "pyproject.toml")));
        Assert.Contains("\"qdrant-adapter>=0.1\"", File.ReadAllText(Path.Combine(dir, "pyproject.toml")));

        // An HSM error through dotnet hsm: exit code 1, file(line,col): error HSMnnnn, file unchanged.
        var before = File.ReadAllBytes(Path.Combine(dir, "hsm.yaml"));
        var (code, output) = _t.Run(dir, "hsm", "select", "vector-db-client", "milvus-adaptr");
        Assert.Equal(1, code);
        Assert.Matches(@"hsm\.yaml\(\d+,\d+\): error HSM1016: .*Did you mean 'milvus-adapter'\?", output);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, "hsm.yaml")));
        (code, _) = _t.Run(dir, "hsm", "mode", "qdrant-adapter", "fast");
        Assert.Equal(2, code);
    }

    private static readonly Regex RestoreRan = new(@"\(Restore target\(s\)\)");

    [Fact]
    public void Sync_skips_an_up_to_date_restore_and_restores_when_the_assets_file_is_stale()
    {
        var root = Path.Combine(_t.Root, "fast-" + Guid.NewGuid().ToString("N")[..6]);
        var dir = Path.Combine(root, "app");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="local" value="{_t.Feed}" /></packageSources></configuration>
            """);
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), "<Project />");
        _t.Ok(dir, "new", "tool-manifest");
        _t.Ok(dir, "tool", "install", "Hsm.Cli", "--version", _t.Version, "--add-source", _t.Feed);
        _t.Ok(dir, "hsm", "init", "--name", "fast-app");
        var assets = Path.Combine(dir, "obj", "project.assets.json");
        var stamp = Path.Combine(dir, "obj", "hsm-cli.restored");
        string Sync()
        {
            var output = _t.Ok(dir, "hsm", "sync", "-p:HsmPythonSync=none", "-v:n");
            Assert.True(File.Exists(Path.Combine(dir, "hsm.lock")), output);
            return output;
        }

        Assert.Matches(RestoreRan, Sync());                 // first build: restores, and stamps it
        Assert.True(File.Exists(stamp));
        Assert.DoesNotMatch(RestoreRan, Sync());            // nothing changed: --no-restore

        // A restore input above the project written after the last restore: the assets file is stale.
        var before = File.GetLastWriteTimeUtc(stamp);
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project><PropertyGroup><HsmFastTest>1</HsmFastTest></PropertyGroup></Project>");
        Assert.Matches(RestoreRan, Sync());
        Assert.True(File.GetLastWriteTimeUtc(stamp) > before);
        Assert.DoesNotMatch(RestoreRan, Sync());

        // hsm.proj.user (hsm mode --local) is an input too; and a missing assets file restores.
        _t.Ok(dir, "hsm", "mode", "--all", "dev", "--local");
        Assert.Matches(RestoreRan, Sync());
        File.Delete(assets);
        Assert.Matches(RestoreRan, Sync());
        Assert.True(File.Exists(assets));
        Assert.DoesNotMatch(RestoreRan, Sync());
    }
}
