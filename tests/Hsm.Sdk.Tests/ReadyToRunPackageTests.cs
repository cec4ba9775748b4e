using System.IO.Compression;
using System.Reflection.PortableExecutable;
using Xunit;

namespace Hsm.Sdk.Tests;

/// <summary>
/// The ReadyToRun task folders (docs/performance.md, issue 16): tasks/net10.0-&lt;rid&gt;/ beside the IL in tasks/net8.0/,
/// each a complete task folder whose assemblies carry ahead-of-time code; the net8.0 folder stays IL only.
/// </summary>
[Collection(PackedSdkCollection.Name)]
public sealed class ReadyToRunPackageTests(PackedSdk sdk)
{
    private static readonly string[] Files = { "Hsm.Tasks.dll", "YamlDotNet.dll", "Tomlyn.dll", "Hsm.Tasks.deps.json", "Hsm.Tasks.runtimeconfig.json" };

    [Theory]
    [InlineData("linux-x64")]
    [InlineData("linux-arm64")]
    [InlineData("win-x64")]
    [InlineData("osx-arm64")]
    public void Each_common_runtime_has_a_ReadyToRun_task_folder(string rid)
    {
        using var zip = ZipFile.OpenRead(sdk.PackagePath);
        foreach (var f in Files) Assert.NotNull(zip.GetEntry($"tasks/net10.0-{rid}/{f}"));
        foreach (var dll in new[] { "Hsm.Tasks.dll", "YamlDotNet.dll", "Tomlyn.dll" })
        {
            Assert.True(IsReadyToRun(zip, $"tasks/net10.0-{rid}/{dll}"), $"{rid}/{dll} has no ReadyToRun code");
            Assert.False(IsReadyToRun(zip, $"tasks/net8.0/{dll}"), $"net8.0/{dll} should be IL only");
        }
    }

    private static bool IsReadyToRun(ZipArchive zip, string entry)
    {
        using var s = zip.GetEntry(entry)!.Open();
        var bytes = new MemoryStream();
        s.CopyTo(bytes);
        bytes.Position = 0;
        using var pe = new PEReader(bytes);
        return pe.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
    }
}
