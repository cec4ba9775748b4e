using Xunit;

namespace Hsm.Sdk.Tests;

/// <summary>
/// The inputs of HsmResolve are the registry files the last resolution parsed plus the registry folders'
/// listings (docs/performance.md): a no-op build costs what the stack costs, not what the registry holds,
/// and every change that can change the stack still re-runs the chain.
/// </summary>
[Collection(PackedSdkCollection.Name)]
public sealed class IncrementalInputsTests(PackedSdk sdk)
{
    private static readonly string[] Chain = { "HsmResolve", "HsmStage", "HsmSync", "HsmCommit" };


    [Fact]
    public void Only_the_files_of_the_stack_and_the_registry_listings_are_inputs()
    {
        using var p = new TestProject(sdk, "inputs");
        p.Write("hsm-registry/libraries/unused-lib.yaml", "name: unused-lib\nsources:\n  prod: { type: pypi }\n");
        p.BuildOk();
        var files = File.ReadAllLines(p.PathOf("obj/hsm/registry-files.txt")).Select(Path.GetFileName).ToList();
        Assert.Contains("qdrant-adapter.yaml", files);
        Assert.Contains("vector-db-client.yaml", files);
        Assert.DoesNotContain("unused-lib.yaml", files);
        Assert.DoesNotContain("milvus.yaml", files); // an option nobody selected is never parsed
        var noop = p.BuildOk();
        foreach (var t in Chain) Assert.True(noop.Skipped(t), $"{t} should be skipped on a no-op build");

        // Editing a file the stack does not use cannot change the stack: still a no-op.
        var unused = p.PathOf("hsm-registry/libraries/unused-lib.yaml");
        File.WriteAllText(unused, File.ReadAllText(unused) + "description: edited\n");
        File.SetLastWriteTimeUtc(unused, DateTime.UtcNow.AddSeconds(2));
        var edited = p.BuildOk();
        foreach (var t in Chain) Assert.True(edited.Skipped(t), $"{t} should be skipped after editing an unused registry file");

        // A new registry file changes the folder's listing: the chain runs (the name may now resolve differently).
        Thread.Sleep(20);
        p.Write("hsm-registry/services/extra-svc.yaml", "name: extra-svc\nsources:\n  prod: { type: docker-image, image: \"x:1\" }\n");
        var added = p.BuildOk();
        Assert.True(added.Ran("HsmResolve"));
        var after = p.BuildOk();
        foreach (var t in Chain) Assert.True(after.Skipped(t), $"{t} should be skipped on the build after that");

        // Deleting a file the stack uses re-runs the chain (and fails: it is needed).
        File.Delete(p.PathOf("hsm-registry/services/redis.yaml"));
        var deleted = p.Build();
        Assert.True(deleted.Ran("HsmResolve"));
        Assert.False(deleted.Succeeded);
    }
}
