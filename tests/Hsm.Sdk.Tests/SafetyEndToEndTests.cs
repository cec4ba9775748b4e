using Hsm.Tests;
using Microsoft.Build.Logging.StructuredLogger;
using Xunit;

namespace Hsm.Sdk.Tests;

/// <summary>Issue 10 (design §9) through `dotnet build` of a real hsm.proj: what the build log and the binlog may not contain.</summary>
[Collection(PackedSdkCollection.Name)]
public sealed class SafetyEndToEndTests(PackedSdk sdk)
{
    private const string Sentinel = "s3cr3t-SENTINEL-e2e-41d7";

    /// <summary>Every text of a binlog: messages, properties, items, metadata and the embedded files.</summary>
    private static string BinlogText(Build log)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var n in log.FindChildrenRecursive<BaseNode>())
        {
            if (n is NameValueNode nv) sb.Append(nv.Name).Append('=').Append(nv.Value).Append('\n');
            else if (n is TextNode t) sb.Append(t.Text).Append('\n');
            else sb.Append(n.ToString()).Append('\n');
        }
        foreach (var f in log.SourceFiles ?? new List<ArchiveFile>()) sb.Append(f.Text).Append('\n');
        return sb.ToString();
    }

    [Fact]
    public void No_env_file_or_external_value_reaches_the_build_output_or_the_binlog()
    {
        using var p = new TestProject(sdk, "secrets");
        p.Write("config/redis.env", $"REDIS_PASSWORD={Sentinel}\n");
        p.Write("hsm-registry/services/vault.yaml", $$"""
            name: vault
            deployment_profiles:
              default: { mode: external, external: { host: vault.example, token: "{{Sentinel}}" } }
            """);
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("    - name: redis\n", "    - vault\n    - name: redis\n"));
        var ok = p.BuildOk("-v:diag");
        Assert.Contains($"VAULT_TOKEN={Sentinel}", p.Read(".env.hsm.local")); // where it belongs (git-ignored)
        Assert.DoesNotContain(Sentinel, ok.Output);
        Assert.NotNull(ok.Log);
        Assert.DoesNotContain(Sentinel, BinlogText(ok.Log!));
        // A no-op build embeds the registry files from @(HsmRegistryFile) minus HsmResolve's exclusions: vault.yaml not.
        var noop = p.BuildOk("-v:diag");
        Assert.True(noop.Skipped("HsmResolve"));
        Assert.DoesNotContain(Sentinel, noop.Output);
        Assert.DoesNotContain(Sentinel, BinlogText(noop.Log!));
        Assert.DoesNotContain(noop.Log!.SourceFiles, f => f.FullPath == p.PathOf("hsm-registry/services/vault.yaml"));
        Assert.Contains(noop.Log!.SourceFiles, f => f.FullPath == p.PathOf("hsm-registry/services/redis.yaml"));

        // A line Compose would reject, around the secret: the error names file and line, not the value.
        p.Write("config/redis.env", $"REDIS_PASSWORD=${{{Sentinel}\n");
        var failed = p.Build("-v:diag");
        Assert.False(failed.Succeeded);
        var error = Assert.Single(failed.Errors, e => e.Code == "HSM2010");
        Assert.EndsWith("config/redis.env", error.File?.Replace('\\', '/'));
        Assert.Equal(1, error.LineNumber);
        Assert.DoesNotContain(Sentinel, failed.Output);
        Assert.DoesNotContain(Sentinel, BinlogText(failed.Log!));
    }

    private static void MakeFifo(string path)
    {
        if (File.Exists(path)) File.Delete(path);
        var (code, output) = SharedTools.Run("mkfifo", new[] { path });
        Assert.True(code == 0, output);
    }

    [Fact]
    public void A_fifo_where_a_file_is_expected_fails_the_build_at_once()
    {
        if (OperatingSystem.IsWindows()) return;
        using var p = new TestProject(sdk, "fifo");
        // The env file of redis is a FIFO with no writer: a read would block for ever. (SharedTools.Run's
        // timeout is the hang guard: a TimeoutException fails the test instead of hanging the run.)
        MakeFifo(p.PathOf("config/redis.env"));
        var r = p.Build();
        Assert.False(r.Succeeded);
        var error = Assert.Single(r.Errors);
        Assert.Equal("HSM1035", error.Code);
        Assert.EndsWith("hsm-registry/services/redis.yaml", error.File?.Replace('\\', '/'));
        Assert.Equal(4, error.LineNumber);

        File.Delete(p.PathOf("config/redis.env"));
        p.Write("config/redis.env", "REDIS_ARGS=--save 60 1\n");
        MakeFifo(p.PathOf("pyproject.toml"));
        var r2 = p.Build();
        Assert.False(r2.Succeeded);
        Assert.Equal("HSM4030", Assert.Single(r2.Errors).Code);
        Assert.DoesNotContain(r2.Errors, e => e.Code == "HSM9001");
        Assert.False(p.Exists("docker-compose.hsm.yml")); // nothing was committed
    }

    [Fact]
    public void A_fifo_put_in_place_after_a_no_op_build_fails_the_build_instead_of_blocking_it()
    {
        if (OperatingSystem.IsWindows()) return;
        using var p = new TestProject(sdk, "fifo-late");
        p.BuildOk();
        p.BuildOk();
        // A no-op with the stat record present: find is not run (nothing changed since it last found no special file).
        var noop = p.BuildOk();
        Assert.True(noop.Skipped("HsmResolve"));
        Assert.True(p.Exists("obj/hsm/artifacts.stat"));
        Assert.DoesNotContain(noop.Log!.FindChildrenRecursive<Microsoft.Build.Logging.StructuredLogger.Task>(), t => t.Name == "Exec");

        // pyproject.toml becomes a FIFO: a new inode, so its stat line differs from the record, find runs, and the
        // build fails with HSM4030 instead of blocking in GetFileHash.
        MakeFifo(p.PathOf("pyproject.toml"));
        var r = p.Build();
        Assert.False(r.Succeeded);
        Assert.Equal("HSM4030", Assert.Single(r.Errors).Code);
        Assert.False(p.Exists("obj/hsm/artifacts.stat"));
    }

    [Fact]
    public void A_symlinked_pyproject_is_written_through_and_a_read_only_one_is_refused()
    {
        if (OperatingSystem.IsWindows()) return;
        using var p = new TestProject(sdk, "symlink");
        Directory.CreateDirectory(p.PathOf("python"));
        File.Move(p.PathOf("pyproject.toml"), p.PathOf("python/pyproject.toml"));
        File.CreateSymbolicLink(p.PathOf("pyproject.toml"), "python/pyproject.toml");
        p.BuildOk();
        Assert.Equal("python/pyproject.toml", new FileInfo(p.PathOf("pyproject.toml")).LinkTarget);
        Assert.Contains("\"qdrant-adapter\"", p.Read("python/pyproject.toml"));
        Assert.Contains("\"httpx>=0.27\",  # HTTP client", p.Read("python/pyproject.toml"));
        Assert.Empty(Directory.EnumerateFiles(p.Dir, "*.tmp").Concat(Directory.EnumerateFiles(p.PathOf("python"), "*.tmp")));

        // Read-only target: HSM4031 naming the file, nothing changes (never HSM9001, never a silent replace as root).
        File.SetUnixFileMode(p.PathOf("python/pyproject.toml"), UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var before = p.Snapshot();
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("selection: qdrant-adapter", "selection: milvus-adapter").Replace("qdrant-adapter: dev", "milvus-adapter: dev"));
        var r = p.Build();
        Assert.False(r.Succeeded);
        var error = Assert.Single(r.Errors);
        Assert.Equal("HSM4031", error.Code);
        Assert.Contains("read-only", error.Text);
        var after = p.Snapshot();
        foreach (var f in before.Keys.Where(k => k != "hsm.yaml")) Assert.Equal(before[f], after[f]);
        File.SetUnixFileMode(p.PathOf("python/pyproject.toml"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
