using System.Text.Json.Nodes;
using Hsm.Compose;
using Hsm.Model;
using Xunit;

namespace Hsm.Tests.Compose;

/// <summary>Resolved stacks built in code, one per service shape the renderer must handle.</summary>
internal static class Stacks
{
    public static ComposeContext Ctx(bool ownComposeFile = false, string project = "My-RAG.App") =>
        new("Hsm.Sdk 0.1.0", "sha256:0123456789abcdef", ownComposeFile, project);

    public static ResolvedService Image(string name, string image, string mode = "prod") => new()
    {
        Name = name, Mode = mode, RegistryFile = $"hsm-registry/services/{name}.yaml",
        Source = new ServiceSource { Type = "docker-image", Key = mode, Image = image },
    };

    public static ResolvedService Redis() => Image("redis", "redis:7.4-alpine").With(s =>
    {
        s.Ports.Add("6379:6379");
        s.Healthcheck = JsonNode.Parse("""{ "test": ["CMD", "redis-cli", "ping"], "interval": "5s", "retries": 10, "start_period": "2s" }""");
    });

    /// <summary>qdrant in prod: image, named and bind volumes, aliases, command list, healthcheck, pass-through, ${VAR} env.</summary>
    public static ResolvedService QdrantProd() => Image("qdrant", "qdrant/qdrant:v1.12.0").With(s =>
    {
        s.Group = "vector-db-server";
        s.ContainerName = "vector-db";
        s.Command = JsonNode.Parse("""["./qdrant", "--uri", "http://0.0.0.0:6333"]""");
        s.Environment["QDRANT__LOG_LEVEL"] = "INFO";
        s.Environment["QDRANT__SERVICE__API_KEY"] = "${QDRANT_API_KEY:-}";
        s.Environment["COLLECTION"] = "docs";
        s.Environment["PRICE"] = "5$ a month, $$HOME stays";
        s.Environment["VERSION_LIKE"] = "1.10";
        s.Environment["EMPTY"] = "";
        s.EnvFiles.Add("config/qdrant.env");
        s.Ports.Add("6333:6333");
        s.Ports.Add("127.0.0.1:6334:6334/tcp");
        s.Volumes.Add("qdrant_data:/qdrant/storage");
        s.Volumes.Add("./qdrant/snapshots:/qdrant/snapshots:ro");
        s.NetworkAliases.Add("vectors");
        s.DependsOn.Add("redis");
        s.DependsOn.Add("postgres"); // external: dropped
        s.Healthcheck = JsonNode.Parse("""{ "test": ["CMD", "wget", "-qO-", "http://localhost:6333/readyz"], "interval": "5s", "retries": 10 }""");
        s.Compose = JsonNode.Parse("""{ "restart": "unless-stopped", "ulimits": { "nofile": { "soft": 65536, "hard": 65536 } }, "labels": { "com.example.tier": "db", "com.example.quoted": "say \"hi\"\\now" }, "stop_grace_period": "30s", "read_only": false, "init": true }""")!.AsObject();
    });

    public static ResolvedService PostgresExternal() => new()
    {
        Name = "postgres", Mode = "prod", Profile = "external-prod", ProfileMode = "external",
        RegistryFile = "hsm-registry/services/postgres.yaml",
        External = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["host"] = "10.0.0.50", ["port"] = "5432", ["password"] = "pa$$w ord#1" },
        Source = new ServiceSource { Type = "docker-image", Image = "postgres:16" },
        Ports = { "5432:5432" },
    };

    public static ResolvedStack ProdStack() => new()
    {
        ProjectName = "My-RAG.App",
        Services = { PostgresExternal(), QdrantProd(), Redis() },
    };

    /// <summary>Dev: build with dockerfile and dev volumes, a local source at the project root, a git context, a uv-runtime service.</summary>
    public static ResolvedStack DevStack() => new()
    {
        ProjectName = "my-rag-app",
        Services =
        {
            new ResolvedService
            {
                Name = "qdrant", Mode = "dev", Group = "vector-db-server", RegistryFile = "hsm-registry/services/qdrant.yaml",
                Source = new ServiceSource { Type = "build", Key = "dev", Path = "./qdrant/", Dockerfile = "Dockerfile.dev" },
                Command = JsonValue.Create("./qdrant --uri http://0.0.0.0:6333"),
                Environment = { ["QDRANT__LOG_LEVEL"] = "DEBUG" },
                Ports = { "6333:6333" },
                Volumes = { "./qdrant/config:/qdrant/config", "qdrant_data:/qdrant/storage" },
                NetworkAliases = { "vectors", "vector-db" },
                DependsOn = { "worker" }, // uv-runtime: dropped
            },
            new ResolvedService
            {
                Name = "gateway", Mode = "dev", RegistryFile = "hsm-registry/services/gateway.yaml",
                Source = new ServiceSource { Type = "local", Key = "dev", Path = "." },
                Ports = { "8080-8081:80-81", "9000:9000/udp" },
                DependsOn = { "qdrant", "renderer" },
            },
            new ResolvedService
            {
                Name = "renderer", Mode = "prod", RegistryFile = "hsm-registry/services/renderer.yaml",
                Source = new ServiceSource { Type = "git", Key = "prod", Url = "https://github.com/org/renderer.git", Ref = "v2.1.0", Subdirectory = "docker" },
                Ports = { "7000" },
            },
            new ResolvedService
            {
                Name = "worker", Mode = "dev", Runtime = "uv", RegistryFile = "hsm-registry/services/worker.yaml",
                Source = new ServiceSource { Type = "local", Key = "dev", Path = "services/worker" },
                Environment = { ["WORKER_THREADS"] = "4", ["GREETING"] = "hello world", ["QDRANT_URL"] = "http://${QDRANT_HOST}:${QDRANT_PORT}" },
                EnvFiles = { "config/worker.env" },
                Ports = { "8500" },
            },
        },
    };

    public static ResolvedStack PodmanStack() => new()
    {
        ProjectName = "_pod-App",
        ContainerEngine = "podman",
        Services =
        {
            Image("redis", "redis:7").With(s => s.Runtime = "podman"),
            Image("qdrant", "qdrant/qdrant:v1.12.0").With(s => { s.Runtime = "podman"; s.Ports.Add("6333:6333"); }),
            Image("local", "localhost/mine:1").With(s => s.Runtime = "podman"),
            Image("quay", "quay.io/org/img@sha256:abc").With(s => s.Runtime = "podman"),
        },
    };

    public static T With<T>(this T item, Action<T> change) { change(item); return item; }
}

internal static class Golden
{
    static string SourceDir => Path.Combine(SharedTools.RepoRoot, "tests", "Hsm.Tasks.Tests", "Fixtures", "compose");
    static string OutputDir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "compose");

    /// <summary>Compares with Fixtures/compose/&lt;case&gt;/&lt;file&gt;; HSM_UPDATE_GOLDEN=1 rewrites the fixture instead.</summary>
    public static void Assert(string testCase, string file, string actual)
    {
        if (Environment.GetEnvironmentVariable("HSM_UPDATE_GOLDEN") == "1")
        {
            var target = Path.Combine(SourceDir, testCase, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, actual);
            return;
        }
        var path = Path.Combine(OutputDir, testCase, file);
        Xunit.Assert.True(File.Exists(path), $"golden file missing: {path} (run with HSM_UPDATE_GOLDEN=1)");
        Xunit.Assert.Equal(File.ReadAllText(path), actual);
    }

    /// <summary>The golden files of one case, so a file hsm no longer produces fails the test.</summary>
    public static void AssertFileSet(string testCase, IEnumerable<string> files)
    {
        if (Environment.GetEnvironmentVariable("HSM_UPDATE_GOLDEN") == "1") return;
        var dir = Path.Combine(OutputDir, testCase);
        var expected = Directory.GetFiles(dir).Select(f => Path.GetFileName(f)).OrderBy(f => f, StringComparer.Ordinal).ToList();
        Xunit.Assert.Equal(expected, files.OrderBy(f => f, StringComparer.Ordinal).ToList());
    }
}

/// <summary>A temporary project folder, removed afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hsm-compose-" + Guid.NewGuid().ToString("N"));
    public TempDir() => Directory.CreateDirectory(Path);
    public string Write(string relative, string content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}
