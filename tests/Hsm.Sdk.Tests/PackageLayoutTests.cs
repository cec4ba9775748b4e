using System.IO.Compression;
using System.Xml.Linq;
using Xunit;

namespace Hsm.Sdk.Tests;

[Collection(PackedSdkCollection.Name)]
public sealed class PackageLayoutTests(PackedSdk sdk)
{
    [Fact]
    public void Package_holds_sdk_build_and_tasks_without_msbuild_assemblies()
    {
        using var zip = ZipFile.OpenRead(sdk.PackagePath);
        var entries = zip.Entries.Select(e => e.FullName.Replace('\\', '/')).ToList();
        foreach (var required in new[]
        {
            "Sdk/Sdk.props", "Sdk/Sdk.targets", "build/Hsm.Sdk.props", "build/Hsm.Sdk.targets",
            "tasks/net8.0/Hsm.Tasks.dll", "tasks/net8.0/Hsm.Tasks.deps.json", "tasks/net8.0/YamlDotNet.dll", "tasks/net8.0/Tomlyn.dll",
            "tasks/net8.0/Hsm.Tasks.runtimeconfig.json", // `dotnet run` starts Hsm.Tasks.dll as a program (docs/run.md)
        })
            Assert.Contains(required, entries);
        Assert.DoesNotContain(entries, e => Path.GetFileName(e).StartsWith("Microsoft.Build", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) || e.StartsWith("buildTransitive/", StringComparison.Ordinal));

        var nuspecEntry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = nuspecEntry.Open();
        var nuspec = XDocument.Load(stream);
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("Hsm.Sdk", metadata.Element(ns + "id")!.Value);
        Assert.Equal(sdk.Version, metadata.Element(ns + "version")!.Value);
        Assert.Contains(metadata.Descendants(ns + "packageType"), p => (string?)p.Attribute("name") == "MSBuildSdk");
        Assert.Empty(metadata.Descendants(ns + "dependency"));
    }
}
