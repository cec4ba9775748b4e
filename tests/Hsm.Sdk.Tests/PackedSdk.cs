using System.Diagnostics;
using Hsm.Tests;
using Xunit;

namespace Hsm.Sdk.Tests;

/// <summary>
/// Packs Hsm.Sdk once per test run, with a fresh version (NuGet treats versions as immutable and
/// would serve a stale extracted package), into a temporary local feed with its own packages folder.
/// </summary>
public sealed class PackedSdk : IDisposable
{
    public string Root { get; }
    public string Feed { get; }
    public string PackagesFolder { get; }
    public string Version { get; }
    public string PackagePath { get; }

    public PackedSdk()
    {
        Version = "0.1.0-t" + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff");
        Root = Path.Combine(Path.GetTempPath(), "hsm-e2e-" + Version);
        Feed = Path.Combine(Root, "feed");
        PackagesFolder = Path.Combine(Root, "packages");
        Directory.CreateDirectory(Feed);
        var (code, output) = SharedTools.Run("dotnet", new[]
        {
            "pack", Path.Combine(SharedTools.RepoRoot, "src", "Hsm.Sdk", "Hsm.Sdk.csproj"), "-c", "Release", "-o", Feed,
            "-p:HsmVersion=" + Version, "-nodeReuse:false", "--nologo",
        }, SharedTools.RepoRoot, new Dictionary<string, string> { ["MSBUILDDISABLENODEREUSE"] = "1" }, timeoutMs: 600_000);
        PackagePath = Path.Combine(Feed, $"Hsm.Sdk.{Version}.nupkg");
        if (code != 0 || !File.Exists(PackagePath)) throw new InvalidOperationException("dotnet pack failed:\n" + output);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class PackedSdkCollection : ICollectionFixture<PackedSdk>
{
    public const string Name = "packed sdk";
}
