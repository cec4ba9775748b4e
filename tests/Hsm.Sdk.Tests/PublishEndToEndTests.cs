using Hsm.Tests;
using k8s.Models;
using Xunit;

namespace Hsm.Sdk.Tests;

/// <summary>Issue 15 through `dotnet build hsm.proj -t:HsmPublish` of the quickstart sample on the packed SDK.</summary>
[Collection(PackedSdkCollection.Name)]
public sealed class PublishEndToEndTests(PackedSdk sdk)
{
    [SkippableFact]
    public void Sample_publishes_a_kustomize_base_and_a_stack_file_transactionally_and_incrementally()
    {
        using var p = new TestProject(sdk, "publish");
        var before = p.Read("pyproject.toml");
        var r = p.BuildOk("-t:HsmPublish", "-p:HsmPublishTarget=kubernetes");
        Assert.True(r.Ran("HsmPublish"));
        Assert.False(r.Ran("HsmCommit")); // publishing is not the chain: pyproject.toml, Compose and .env* are untouched
        Assert.Equal(before, p.Read("pyproject.toml"));
        Assert.False(p.Exists("docker-compose.hsm.yml"));

        // Warnings name the service at its registry line (what has no faithful Kubernetes form).
        Assert.Contains(r.Warnings, w => w.Code == "HSM7005" && w.File.EndsWith("hsm-registry/services/qdrant.yaml", StringComparison.Ordinal) && w.LineNumber == 3 && w.Text.Contains("container_name 'vector-db'"));
        Assert.Contains(r.Warnings, w => w.Code == "HSM7006" && w.Text.Contains("'config/redis.env' of service 'redis'"));

        var dir = p.PathOf("deploy/kubernetes");
        var resources = PublishChecks.StrictFolder(dir);
        Assert.Equal(9, resources.Count);
        Assert.Contains(resources, x => x is V1Deployment { Metadata.Name: "qdrant" });
        var built = PublishChecks.KustomizeBuild(dir, loadRestrictionsNone: true);
        Assert.True(built.Ok, built.Output);
        Assert.Equal(10, PublishChecks.StrictDocuments(built.Output).Count); // the 9 resources and the generated Secret
        var lockText = p.Read("hsm.lock");
        foreach (var f in Directory.GetFiles(dir))
            Assert.Contains($"\"deploy/kubernetes/{Path.GetFileName(f)}\":", lockText);
        Assert.DoesNotContain("--save 60 1", string.Concat(Directory.GetFiles(dir).Select(File.ReadAllText)) + lockText);

        // Incremental: nothing changed, so the target is skipped.
        var again = p.BuildOk("-t:HsmPublish", "-p:HsmPublishTarget=kubernetes");
        Assert.True(again.Skipped("HsmPublish"), again.Output);
        // ... and runs again when a registry file it read changes.
        p.Write("hsm-registry/services/redis.yaml", p.Read("hsm-registry/services/redis.yaml").Replace("ports: [\"6379:6379\"]", "ports: [\"6379:6379\"]\nnetwork_aliases: [cache]"));
        var changed = p.BuildOk("-t:HsmPublish", "-p:HsmPublishTarget=kubernetes");
        Assert.True(changed.Ran("HsmPublish"), changed.Output);
        Assert.True(p.Exists("deploy/kubernetes/cache-service.yaml"));
        Assert.Contains("\"deploy/kubernetes/cache-service.yaml\":", p.Read("hsm.lock"));

        // The chain keeps the publish entries when it writes hsm.lock; a hand edit is HSM4002 and regenerated.
        p.BuildOk();
        Assert.Contains("\"deploy/kubernetes/kustomization.yaml\":", p.Read("hsm.lock"));
        Assert.Contains("kind: \"library\"", p.Read("hsm.lock"));
        var deployment = p.Read("deploy/kubernetes/redis-deployment.yaml");
        p.Write("deploy/kubernetes/redis-deployment.yaml", deployment.Replace("replicas: 1", "replicas: 3"));
        var edited = p.BuildOk("-t:HsmPublish", "-p:HsmPublishTarget=kubernetes");
        Assert.Contains(edited.Warnings, w => w.Code == "HSM4002" && w.Text.Contains("deploy/kubernetes/redis-deployment.yaml"));
        Assert.Equal(deployment, p.Read("deploy/kubernetes/redis-deployment.yaml"));

        // Swarm: the stack file beside it, valid for the real Compose parser.
        var swarm = p.BuildOk("-t:HsmPublish", "-p:HsmPublishTarget=swarm");
        Assert.True(swarm.Ran("HsmPublish"));
        var stackFile = p.Read("deploy/swarm/docker-stack.yml");
        Assert.Contains("image: \"qdrant/qdrant:v1.12.0\"", stackFile);
        var compose = SharedTools.ComposeConfig(p.PathOf("deploy/swarm"), p.PathOf("deploy/swarm/docker-stack.yml"));
        Assert.True(compose.Ok, compose.Output);
        Assert.Contains("\"deploy/swarm/docker-stack.yml\":", p.Read("hsm.lock"));
        Assert.Contains("\"deploy/kubernetes/kustomization.yaml\":", p.Read("hsm.lock"));
    }

    [SkippableFact]
    public void Publish_needs_a_known_target()
    {
        using var p = new TestProject(sdk, "publish-target");
        var none = p.Build("-t:HsmPublish");
        Assert.False(none.Succeeded);
        Assert.Contains(none.Errors, e => e.Code == "HSM7001" && e.Text.Contains("it must be kubernetes or swarm"));
        var helm = p.Build("-t:HsmPublish", "-p:HsmPublishTarget=helm");
        Assert.Contains(helm.Errors, e => e.Code == "HSM7001" && e.Text.Contains("'helm'"));
        Assert.False(Directory.Exists(p.PathOf("deploy")));
        Assert.False(p.Exists("hsm.lock"));
    }
}
