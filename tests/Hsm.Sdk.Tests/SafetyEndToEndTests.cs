using Hsm.Tests;
using Microsoft.Build.Logging.StructuredLogger;
using Xunit;

namespace Hsm.Sdk.Tests;

/// <summary>Issue 10 (spec §9) through `dotnet build` of a real hsm.proj: what the build log and the binlog may not contain.</summary>
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
}
