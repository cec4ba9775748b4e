using Hsm.Diagnostics;
using Hsm.Lock;
using Hsm.Model;
using Hsm.Publish;
using Hsm.Staging;
using Hsm.Transaction;
using Hsm.Tests.Compose;
using k8s.Models;
using Xunit;

namespace Hsm.Tests.Publish;

/// <summary>Issue 15: HsmPublish's mapping, checked against golden files, the real kustomize and the official Kubernetes models.</summary>
public sealed class PublishTests
{
    const string K8s = PublishText.KubernetesTarget;
    const string Swarm = PublishText.SwarmTarget;

    /// <summary>The sample's qdrant under its external profile, plus an external postgres on an IP with a password.</summary>
    static void MakeExternal(PublishProject p)
    {
        p.Edit("hsm.yaml", "      strategy: 1-of-N              # no selection", "      profile: external-prod\n      strategy: 1-of-N              # no selection");
        p.Edit("hsm.yaml", "    - name: redis\n      mode: prod\n", "    - name: redis\n      mode: prod\n    - { name: postgres, profile: managed-elsewhere }\n");
        p.Write("hsm-registry/services/postgres.yaml", """
            name: postgres
            description: The team's database
            sources:
              prod: { type: docker-image, image: "postgres:16" }
            deployment_profiles:
              managed-elsewhere: { mode: external, external: { host: 10.0.0.50, port: 5432, password: "ext-Pa55-9d2e" } }
            """);
        // The env file below the published base: kustomize reads it without LoadRestrictionsNone.
        p.Write("deploy/kubernetes/env/redis.env", "REDIS_ARGS=--save 60 1\n");
        p.Edit("hsm-registry/services/redis.yaml", "env_file: config/redis.env", "env_file: deploy/kubernetes/env/redis.env");
    }

    [SkippableFact]
    public void Quickstart_kubernetes_matches_golden_and_passes_kustomize_and_the_strict_models()
    {
        using var p = new PublishProject();
        var d = new DiagnosticBag();
        var outcome = p.Publish(K8s, d);
        Assert.True(outcome != null, PublishProject.Errors(d));
        var dir = p.PublishPath(K8s);
        var files = Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f)!, File.ReadAllText);
        PublishGolden.AssertFiles("quickstart/kubernetes", files);

        // What has no faithful form is a warning at the registry line that set it, naming the service.
        Assert.Contains(d.Items, x => x.Code == Codes.PublishNotFaithful && x.Severity == Severity.Warning && x.Message.Contains("container_name 'vector-db' of service 'qdrant'")
            && x.Span == new SourceSpan("hsm-registry/services/qdrant.yaml", 3, 1));
        Assert.Contains(d.Items, x => x.Code == Codes.PublishNotFaithful && x.Message.Contains("QDRANT__SERVICE__API_KEY of service 'qdrant' uses Compose interpolation")
            && x.Span == new SourceSpan("hsm-registry/services/qdrant.yaml", 10, 3));
        Assert.Contains(d.Items, x => x.Code == Codes.PublishEnvFileOutside && x.Message.Contains("'config/redis.env' of service 'redis'")
            && x.Span == new SourceSpan("hsm-registry/services/redis.yaml", 4, 1));
        Assert.DoesNotContain(d.Items, x => x.Severity == Severity.Error);

        // The real models, strictly: every resource file.
        var resources = PublishChecks.StrictFolder(dir);
        var deployment = resources.OfType<V1Deployment>().Single(x => x.Metadata.Name == "qdrant");
        var container = deployment.Spec.Template.Spec.Containers.Single();
        Assert.Equal("qdrant/qdrant:v1.12.0", container.Image);
        Assert.Equal(new[] { "/bin/sh", "-c", "bash -c ':> /dev/tcp/127.0.0.1/6333' || exit 1" }, container.ReadinessProbe.Exec.Command);
        Assert.Equal(10, container.ReadinessProbe.FailureThreshold);
        Assert.Equal(5, container.ReadinessProbe.PeriodSeconds);
        Assert.Equal("qdrant-data", deployment.Spec.Template.Spec.Volumes.Single().PersistentVolumeClaim.ClaimName);
        Assert.Equal(deployment.Spec.Selector.MatchLabels, resources.OfType<V1Service>().Single(x => x.Metadata.Name == "qdrant").Spec.Selector);
        Assert.Equal(new[] { "qdrant", "redis", "vector-db", "vectors" }, resources.OfType<V1Service>().Select(s => s.Metadata.Name).Order());
        var connection = resources.OfType<V1ConfigMap>().Single(x => x.Metadata.Name == "hsm-connection").Data;
        Assert.Equal("qdrant", connection["QDRANT_HOST"]);
        Assert.Equal("6333", connection["QDRANT_PORT"]);
        Assert.Equal("redis", connection["REDIS_HOST"]);
        Assert.Equal("my-rag-app", deployment.Metadata.Labels["app.kubernetes.io/part-of"]);
        Assert.Equal("hsm", deployment.Metadata.Labels["app.kubernetes.io/managed-by"]);

        // kustomize: the env file lies outside the base, so the plain build refuses it (kustomize's load
        // restriction, documented with HSM7006) and the documented command accepts the base.
        var plain = PublishChecks.KustomizeBuild(dir, loadRestrictionsNone: false);
        Assert.False(plain.Ok);
        Assert.Contains("security; file", plain.Output);
        Assert.Contains("config/redis.env' is not in or below", plain.Output);
        var built = PublishChecks.KustomizeBuild(dir, loadRestrictionsNone: true);
        Assert.True(built.Ok, built.Output);
        var docs = PublishChecks.StrictDocuments(built.Output);
        var secret = docs.OfType<V1Secret>().Single();
        Assert.StartsWith("redis-env-files-", secret.Metadata.Name); // kustomize's hash suffix, and the reference follows it:
        var redis = docs.OfType<V1Deployment>().Single(x => x.Metadata.Name == "redis");
        Assert.Equal(secret.Metadata.Name, redis.Spec.Template.Spec.Containers.Single().EnvFrom.Single().SecretRef.Name);
        Assert.Equal(10, docs.Count);
    }

    [SkippableFact]
    public void Quickstart_swarm_matches_golden()
    {
        using var p = new PublishProject();
        var d = new DiagnosticBag();
        Assert.True(p.Publish(Swarm, d) != null, PublishProject.Errors(d));
        var stackFile = p.Read("deploy/swarm/docker-stack.yml");
        PublishGolden.AssertFiles("quickstart/swarm", new Dictionary<string, string> { ["docker-stack.yml"] = stackFile });
        Assert.Contains(d.Items, x => x.Code == Codes.PublishNotFaithful && x.Message.Contains("container_name 'vector-db' of service 'qdrant'"));
        Assert.DoesNotContain("container_name", stackFile);
        Assert.DoesNotContain("build:", stackFile);
        Assert.Contains("    depends_on:\n      - \"redis\"\n", stackFile);
        Assert.Contains("      - \"../../config/redis.env\"\n", stackFile); // relative to the stack file
        Assert.Contains("      restart_policy:\n        condition: \"any\"\n", stackFile); // from restart: unless-stopped
        Assert.DoesNotContain("restart: ", stackFile);
        var compose = SharedTools.ComposeConfig(p.PathOf("deploy/swarm"), p.PathOf("deploy/swarm/docker-stack.yml"));
        Assert.True(compose.Ok, compose.Output);
    }

    [SkippableTheory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Publishing_resolves_in_prod_mode_whatever_the_mode_asks(string forced)
    {
        using var p = new PublishProject();
        var d = new DiagnosticBag();
        var files = p.Render(K8s, d, forcedMode: forced);
        Assert.True(files != null, PublishProject.Errors(d));
        Assert.Contains("image: \"qdrant/qdrant:v1.12.0\"", files!["qdrant-deployment.yaml"]); // not the dev build context
        Assert.Contains("QDRANT__LOG_LEVEL: \"INFO\"", files["qdrant-env-configmap.yaml"]); // not the dev source's DEBUG
        Assert.DoesNotContain(files.Values, f => f.Contains("docker/qdrant/config")); // no dev bind mount
        PublishGolden.AssertFiles("quickstart/kubernetes", files);
    }

    [SkippableFact]
    public void Dev_only_component_is_an_error_naming_it_on_both_targets()
    {
        using var p = new PublishProject();
        p.Write("hsm-registry/services/worker.yaml", """
            name: worker
            description: Only ever built from the local folder
            ports: ["9000:9000"]
            sources:
              dev: { type: build, path: docker/qdrant, dockerfile: Dockerfile.dev }
            """);
        p.Edit("hsm.yaml", "    - name: redis\n      mode: prod\n", "    - name: redis\n      mode: prod\n    - { name: worker, mode: dev }\n");
        var lines = new List<string>();
        foreach (var target in new[] { K8s, Swarm })
        {
            var d = new DiagnosticBag();
            Assert.Null(p.Publish(target, d));
            var error = Assert.Single(d.Items, x => x.Severity == Severity.Error);
            Assert.Equal(Codes.PublishDevOnly, error.Code);
            Assert.StartsWith("'worker' has only a dev source", error.Message);
            Assert.Equal("hsm.yaml", error.Span.File);
            Assert.True(error.Span.Line > 0);
            lines.Add($"{target}: {error}");
        }
        Assert.False(Directory.Exists(p.PathOf("deploy")));
        Assert.False(File.Exists(p.PathOf("hsm.lock")));
        PublishGolden.AssertFiles("dev-only", new Dictionary<string, string> { ["diagnostics.txt"] = string.Join("\n", lines) + "\n" });
    }

    [SkippableFact]
    public void Build_source_in_prod_is_an_error_naming_the_service()
    {
        using var p = new PublishProject();
        p.Edit("hsm-registry/services/redis.yaml", "prod: { type: docker-image, image: \"redis:7-alpine\" }", "prod: { type: build, path: docker/qdrant }");
        foreach (var target in new[] { K8s, Swarm })
        {
            var d = new DiagnosticBag();
            Assert.Null(p.Render(target, d));
            var error = Assert.Single(d.Items, x => x.Severity == Severity.Error);
            Assert.Equal(Codes.PublishNoImage, error.Code);
            Assert.Contains("service 'redis' has a 'build' source in prod mode", error.Message);
            Assert.Equal("hsm-registry/services/redis.yaml", error.Span.File);
        }
    }

    [SkippableFact]
    public void External_services_become_connection_variables_and_an_ExternalName_service()
    {
        using var p = new PublishProject();
        MakeExternal(p);
        var d = new DiagnosticBag();
        Assert.True(p.Publish(K8s, d) != null, PublishProject.Errors(d));
        var k8sDir = p.PublishPath(K8s);
        var files = Directory.GetFiles(k8sDir).ToDictionary(f => Path.GetFileName(f)!, File.ReadAllText);
        PublishGolden.AssertFiles("external/kubernetes", files);
        Assert.Contains(d.Items, x => x.Code == Codes.PublishNotFaithful && x.Message.Contains("external key 'password' of service 'postgres' is not published"));
        Assert.DoesNotContain(d.Items, x => x.Code == Codes.PublishEnvFileOutside);

        var resources = PublishChecks.StrictFolder(k8sDir);
        var qdrant = resources.OfType<V1Service>().Single(s => s.Metadata.Name == "qdrant");
        Assert.Equal("ExternalName", qdrant.Spec.Type);
        Assert.Equal("qdrant.internal.example", qdrant.Spec.ExternalName);
        Assert.DoesNotContain(resources, r => r is V1Service s && s.Metadata.Name == "postgres"); // an IP: no ExternalName
        Assert.DoesNotContain(resources, r => r is V1Deployment dep && dep.Metadata.Name is "qdrant" or "postgres");
        var connection = resources.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "hsm-connection").Data;
        Assert.Equal("qdrant.internal.example", connection["QDRANT_HOST"]);
        Assert.Equal("6333", connection["QDRANT_PORT"]);
        Assert.Equal("10.0.0.50", connection["POSTGRES_HOST"]);
        Assert.Equal("5432", connection["POSTGRES_PORT"]);
        Assert.False(connection.ContainsKey("POSTGRES_PASSWORD"));

        // The env file is inside the base: the plain kustomize build (what `kubectl apply -k` runs) accepts it.
        var built = PublishChecks.KustomizeBuild(k8sDir, loadRestrictionsNone: false);
        Assert.True(built.Ok, built.Output);
        PublishChecks.StrictDocuments(built.Output);

        var ds = new DiagnosticBag();
        Assert.True(p.Publish(Swarm, ds) != null, PublishProject.Errors(ds));
        var stackFile = p.Read("deploy/swarm/docker-stack.yml");
        PublishGolden.AssertFiles("external/swarm", new Dictionary<string, string> { ["docker-stack.yml"] = stackFile });
        Assert.DoesNotContain("qdrant", stackFile.Replace("x-hsm", ""));
        Assert.Contains("      - \"../kubernetes/env/redis.env\"\n", stackFile);
        foreach (var f in Directory.GetFiles(p.PathOf("deploy"), "*", SearchOption.AllDirectories).Append(p.PathOf("hsm.lock")))
            Assert.DoesNotContain("ext-Pa55-9d2e", File.ReadAllText(f));
        Assert.DoesNotContain(d.Items.Concat(ds.Items), x => x.Message.Contains("ext-Pa55-9d2e"));
    }

    [SkippableFact]
    public void No_env_file_value_appears_in_any_published_file_or_diagnostic()
    {
        using var p = new PublishProject();
        const string Secret1 = "zq-REDIS-SECRET-41c7", Secret2 = "zq-QDRANT-SECRET-88aa";
        p.Write("config/redis.env", $"# a user file\nREDIS_ARGS=--save 60 1\nREDIS_PASSWORD={Secret1}\nQUOTED=\"{Secret1}-quoted\"\n");
        p.Write("config/qdrant.env", $"QDRANT__SERVICE__READ_ONLY_API_KEY={Secret2}\n");
        p.Edit("hsm-registry/services/qdrant.yaml", "depends_on: [redis]", "depends_on: [redis]\nenv_file: [config/qdrant.env]");
        var all = new DiagnosticBag();
        foreach (var target in new[] { K8s, Swarm })
        {
            var d = new DiagnosticBag();
            Assert.True(p.Publish(target, d) != null, PublishProject.Errors(d));
            all.AddRange(d.Items);
        }
        var published = Directory.GetFiles(p.PathOf("deploy"), "*", SearchOption.AllDirectories).Append(p.PathOf("hsm.lock")).ToList();
        Assert.True(published.Count >= 12, string.Join(", ", published));
        foreach (var f in published)
        {
            var text = File.ReadAllText(f);
            Assert.DoesNotContain(Secret1, text);
            Assert.DoesNotContain(Secret2, text);
            Assert.DoesNotContain("--save 60 1", text);
        }
        Assert.DoesNotContain(all.Items, x => x.Message.Contains(Secret1) || x.Message.Contains(Secret2));
        // kustomize would keep the quotes Compose strips: reported by file, line and key only.
        Assert.Contains(all.Items, x => x.Code == Codes.PublishNotFaithful && x.Span == new SourceSpan("config/redis.env", 4, 1) && x.Message.Contains("(QUOTED, env file of service 'redis') has a quoted value"));
        // ... and yet the files are referenced, so the values reach the containers at deploy time.
        Assert.Contains("\"../../config/qdrant.env\"", p.Read("deploy/kubernetes/kustomization.yaml"));
        Assert.Contains("\"../../config/qdrant.env\"", p.Read("deploy/swarm/docker-stack.yml"));
    }

    [SkippableFact]
    public void The_strict_model_check_fails_on_a_misspelt_field()
    {
        using var p = new PublishProject();
        var d = new DiagnosticBag();
        var files = p.Render(K8s, d)!;
        var deployment = files["qdrant-deployment.yaml"];
        PublishChecks.StrictResource(deployment);
        Assert.ThrowsAny<Exception>(() => PublishChecks.StrictResource(deployment.Replace("containerPort:", "containerPrt:")));
        Assert.ThrowsAny<Exception>(() => PublishChecks.StrictResource(deployment.Replace("  replicas: 1", "  replicass: 1")));
        Assert.ThrowsAny<Exception>(() => PublishChecks.StrictResource(files["qdrant-service.yaml"].Replace("targetPort:", "targetport:")));
        Assert.ThrowsAny<Exception>(() => PublishChecks.StrictResource(files["qdrant-data-pvc.yaml"].Replace("accessModes:", "accessMode:")));
    }

    [SkippableFact]
    public void Lock_records_the_files_hand_edits_warn_foreign_files_are_refused_and_stale_files_go()
    {
        using var p = new PublishProject();
        var d = new DiagnosticBag();
        Assert.True(p.Publish(K8s, d) != null, PublishProject.Errors(d));
        var lockFile = HsmLock.Read(p.PathOf("hsm.lock"), "hsm.lock", new DiagnosticBag());
        var names = Directory.GetFiles(p.PublishPath(K8s)).Select(f => "deploy/kubernetes/" + Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(names, lockFile.Files.Keys.ToList());
        foreach (var n in names) Assert.Equal(StagePlan.HashFile(p.PathOf(n)), lockFile.Files[n]);

        // Deterministic and incremental: the same stack writes nothing.
        var again = new DiagnosticBag();
        var second = p.Publish(K8s, again);
        Assert.Equal(0, second!.Written);

        // A hand edit: HSM4002 naming the file, then regenerated; under HsmLocked an error and nothing written.
        var svc = p.PathOf("deploy/kubernetes/redis-service.yaml");
        var original = File.ReadAllText(svc);
        File.AppendAllText(svc, "# mine\n");
        var locked = new DiagnosticBag();
        Assert.Null(p.Publish(K8s, locked, locked: true));
        Assert.Contains(locked.Items, x => x.Code == Codes.GeneratedFileEdited && x.Severity == Severity.Error && x.Span.File == "deploy/kubernetes/redis-service.yaml");
        Assert.EndsWith("# mine\n", File.ReadAllText(svc));
        var edited = new DiagnosticBag();
        Assert.NotNull(p.Publish(K8s, edited));
        Assert.Contains(edited.Items, x => x.Code == Codes.GeneratedFileEdited && x.Severity == Severity.Warning && x.Span.File == "deploy/kubernetes/redis-service.yaml");
        Assert.Equal(original, File.ReadAllText(svc));

        // A file hsm did not write is never taken: HSM7007, nothing changes.
        p.Edit("hsm-registry/services/redis.yaml", "ports: [\"6379:6379\"]", "ports: [\"6379:6379\"]\nnetwork_aliases: [cache]");
        p.Write("deploy/kubernetes/cache-service.yaml", "# my own\n");
        var before = File.ReadAllText(p.PathOf("hsm.lock"));
        var foreign = new DiagnosticBag();
        Assert.Null(p.Publish(K8s, foreign));
        Assert.Contains(foreign.Items, x => x.Code == Codes.PublishFileNotOurs && x.Span.File == "deploy/kubernetes/cache-service.yaml");
        Assert.Equal("# my own\n", p.Read("deploy/kubernetes/cache-service.yaml"));
        Assert.Equal(before, File.ReadAllText(p.PathOf("hsm.lock")));
        File.Delete(p.PathOf("deploy/kubernetes/cache-service.yaml"));
        Assert.NotNull(p.Publish(K8s, new DiagnosticBag()));
        Assert.True(File.Exists(p.PathOf("deploy/kubernetes/cache-service.yaml")));

        // A file no longer produced is deleted (it still holds what hsm wrote) and leaves hsm.lock.
        p.Edit("hsm-registry/services/qdrant.yaml", "network_aliases: [vectors]\n", "");
        Assert.NotNull(p.Publish(K8s, new DiagnosticBag()));
        Assert.False(File.Exists(p.PathOf("deploy/kubernetes/vectors-service.yaml")));
        Assert.DoesNotContain("vectors-service", p.Read("hsm.lock"));
        Assert.DoesNotContain("vectors", p.Read("deploy/kubernetes/kustomization.yaml"));
    }

    [SkippableFact]
    public void The_chain_keeps_the_publish_entries_of_hsm_lock()
    {
        using var p = new PublishProject();
        Assert.NotNull(p.Publish(K8s, new DiagnosticBag()));
        Assert.NotNull(p.Publish(Swarm, new DiagnosticBag()));
        var published = HsmLock.Read(p.PathOf("hsm.lock"), "hsm.lock", new DiagnosticBag()).Files;
        Assert.Contains("deploy/swarm/docker-stack.yml", published.Keys);

        // HsmStage of the chain (dev mode, its own stack) rewrites hsm.lock: the publish entries stay.
        var d = new DiagnosticBag();
        var (stack, _) = Hsm.Resolution.ResolvePipeline.Run(p.Request(), d);
        Assert.True(stack != null, PublishProject.Errors(d));
        var plan = Stager.Stage(stack!, new StageRequest
        {
            ProjectDirectory = p.Dir, IntermediateDirectory = p.Obj, PyProjectPath = p.PathOf("pyproject.toml"),
            ComposePath = p.PathOf("docker-compose.hsm.yml"), LockPath = p.PathOf("hsm.lock"), GeneratorVersion = "0.0.0-test",
        }, d);
        Assert.True(plan != null, PublishProject.Errors(d));
        var staged = plan!.Files.Single(f => f.Kind == ArtifactKind.Lock).Staged!;
        var lockText = File.ReadAllText(staged);
        foreach (var (key, hash) in published) Assert.Contains($"\"{key}\": \"{hash}\"", lockText.Replace($"{key}: ", $"\"{key}\": "));
        Assert.Contains("docker-compose.hsm.yml", lockText);
        Assert.Contains("kind: \"library\"", lockText);
    }

    [SkippableFact]
    public void A_publish_path_with_a_trailing_separator_records_the_same_keys()
    {
        using var p = new PublishProject();
        var d = new DiagnosticBag();
        var stack = p.Resolve(d)!;
        var plan = PublishStager.Stage(stack, p.PublishRequest(K8s, publishPath: p.PathOf("deploy/k8s") + Path.DirectorySeparatorChar), d);
        Assert.True(plan != null, PublishProject.Errors(d));
        var lockText = File.ReadAllText(plan!.Files.Single(f => f.Kind == ArtifactKind.Lock).Staged!);
        Assert.Contains("\"deploy/k8s/kustomization.yaml\":", lockText);
        Assert.DoesNotContain("//", lockText);
    }

    /// <summary>
    /// Design §9: HsmPublish writes only inside the project. The publish folder (or a folder on its way) committed
    /// as a link to a folder elsewhere, or a published file committed as a link out, is HSM4012 and nothing is
    /// written, inside or out.
    /// </summary>
    [SkippableTheory]
    [InlineData("deploy")]
    [InlineData("deploy/kubernetes")]
    [InlineData("deploy/kubernetes/kustomization.yaml")]
    public void A_link_out_of_the_project_on_the_publish_path_is_refused(string link)
    {
        if (OperatingSystem.IsWindows()) return;
        using var p = new PublishProject();
        var outside = Path.Combine(Path.GetTempPath(), "hsm-publish-outside-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(outside);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(p.PathOf(link))!);
            if (link.EndsWith(".yaml", StringComparison.Ordinal)) File.CreateSymbolicLink(p.PathOf(link), Path.Combine(outside, "kustomization.yaml"));
            else Directory.CreateSymbolicLink(p.PathOf(link), outside);
            var lockBefore = File.Exists(p.PathOf("hsm.lock")) ? File.ReadAllText(p.PathOf("hsm.lock")) : null;
            var d = new DiagnosticBag();
            Assert.Null(p.Publish(K8s, d));
            Assert.Contains(d.Items, x => x.Code == Codes.OutsideProject);
            Assert.Empty(Directory.EnumerateFileSystemEntries(outside, "*", SearchOption.AllDirectories));
            Assert.Equal(lockBefore, File.Exists(p.PathOf("hsm.lock")) ? File.ReadAllText(p.PathOf("hsm.lock")) : null);
        }
        finally { Directory.Delete(outside, recursive: true); }
    }

    [SkippableTheory]
    [InlineData("hsm-registry", "the registry folder 'hsm-registry'")]
    [InlineData("hsm-registry/services", "the registry folder 'hsm-registry'")]
    [InlineData("obj/hsm/deploy", "hsm's intermediate folder 'obj/hsm'")]
    public void A_publish_path_in_a_folder_hsm_reads_as_its_own_is_HSM7001(string path, string expected)
    {
        using var p = new PublishProject();
        var d = new DiagnosticBag();
        var stack = p.Resolve(d)!;
        var registryBefore = Directory.GetFiles(p.PathOf("hsm-registry"), "*", SearchOption.AllDirectories).Length;
        Assert.Null(PublishStager.Stage(stack, p.PublishRequest(K8s, publishPath: p.PathOf(path)), d));
        var error = Assert.Single(d.Items, x => x.Severity == Severity.Error);
        Assert.Equal(Codes.PublishSetting, error.Code);
        Assert.Contains(expected, error.Message);
        Assert.Equal(registryBefore, Directory.GetFiles(p.PathOf("hsm-registry"), "*", SearchOption.AllDirectories).Length);
    }

    [SkippableTheory]
    [InlineData("helm", "deploy/x", "HsmPublishTarget is 'helm'")]
    [InlineData("kubernetes", "..", "HsmPublishPath")]
    [InlineData("kubernetes", ".", "HsmPublishPath")]
    public void Invalid_settings_are_HSM7001(string target, string path, string expected)
    {
        using var p = new PublishProject(copySample: false);
        var d = new DiagnosticBag();
        var req = p.PublishRequest(target, publishPath: Path.GetFullPath(Path.Combine(p.Dir, path)));
        Assert.False(PublishStager.Validate(req, d));
        var error = Assert.Single(d.Items);
        Assert.Equal(Codes.PublishSetting, error.Code);
        Assert.Contains(expected, error.Message);
    }

    [SkippableFact]
    public void What_has_no_faithful_form_is_reported_and_the_rest_stays_valid()
    {
        // The Compose renderer's prod stack: a bind mount, a port on one host IP, compose: keys, an external map with a password.
        var stack = Stacks.ProdStack();
        var dir = Path.Combine(Path.GetTempPath(), "hsm-publish-shape-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var d = new DiagnosticBag();
            var files = KubernetesPublisher.Publish(stack, new PublishContext(dir, Path.Combine(dir, "deploy", "kubernetes"), "0", "0"), d);
            Assert.True(files != null, PublishProject.Errors(d));
            string[] expected =
            {
                "the bind mount './qdrant/snapshots' → '/qdrant/snapshots' of service 'qdrant' has no faithful form",
                "service 'qdrant' publishes '127.0.0.1:6334:6334/tcp' on the host",
                "the Compose key 'ulimits' of service 'qdrant' (compose:) is not published",
                "the external key 'password' of service 'postgres' is not published",
                "container_name 'vector-db' of service 'qdrant'",
            };
            foreach (var e in expected) Assert.Contains(d.Items, x => x.Severity == Severity.Warning && x.Message.Contains(e));
            Assert.DoesNotContain(files!.Values, f => f.Contains("pa$$w ord#1") || f.Contains("pa$w ord#1"));
            var deployment = (V1Deployment)PublishChecks.StrictResource(files["qdrant-deployment.yaml"]);
            var c = deployment.Spec.Template.Spec.Containers.Single();
            Assert.Equal(new[] { "./qdrant", "--uri", "http://0.0.0.0:6333" }, c.Args);
            Assert.Equal(new[] { 6333, 6334 }, c.Ports.Select(x => x.ContainerPort));
            Assert.Single(c.VolumeMounts); // the named volume; the bind mount is left out
            // env_file first, inline env last: the later envFrom source wins, as inline env wins in Compose.
            Assert.Equal(new[] { "qdrant-env-files", "qdrant-env" }, c.EnvFrom.Select(e => e.SecretRef?.Name ?? e.ConfigMapRef.Name));
            var env = (V1ConfigMap)PublishChecks.StrictResource(files["qdrant-env-configmap.yaml"]);
            Assert.Equal("5$ a month, $HOME stays", env.Data["PRICE"]); // Compose's $$ is a literal $
            Assert.Equal("1.10", env.Data["VERSION_LIKE"]);
            Assert.False(env.Data.ContainsKey("QDRANT__SERVICE__API_KEY")); // ${…}: Compose interpolation
            foreach (var f in files.Where(f => f.Key != "kustomization.yaml")) PublishChecks.StrictResource(f.Value);

            // The dev stack cannot be published: build and git sources have no image; the uv service is not a container.
            var dd = new DiagnosticBag();
            Assert.Null(KubernetesPublisher.Publish(Stacks.DevStack(), new PublishContext(dir, Path.Combine(dir, "deploy", "kubernetes"), "0", "0"), dd));
            Assert.Equal(new[] { "gateway", "qdrant", "renderer" }, dd.Items.Where(x => x.Code == Codes.PublishNoImage).Select(x => x.Message.Split('\'')[1]).Order());
            Assert.Contains(dd.Items, x => x.Severity == Severity.Warning && x.Message.Contains("service 'worker' runs as a uv process"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [SkippableFact]
    public void Swarm_dnsrr_publishes_host_mode_ports_and_maps_restart_policies()
    {
        var stack = Stacks.ProdStack();
        stack.Services.Single(s => s.Name == "redis").Compose = System.Text.Json.Nodes.JsonNode.Parse("""{ "restart": "on-failure:3", "deploy": { "replicas": 2 } }""")!.AsObject();
        var d = new DiagnosticBag();
        var files = SwarmPublisher.Publish(stack, new PublishContext("/p", "/p/deploy/swarm", "0", "0", "dnsrr"), d)!;
        var text = files[SwarmPublisher.FileName];
        Assert.Contains("""
                  - mode: "host"
                    protocol: "tcp"
                    published: 6333
                    target: 6333
            """.Replace("\r\n", "\n"), text);
        Assert.Contains("      endpoint_mode: \"dnsrr\"\n", text);
        Assert.Contains("      replicas: 2\n      restart_policy:\n        condition: \"on-failure\"\n        max_attempts: 3\n", text);
        Assert.Contains(d.Items, x => x.Message.Contains("'127.0.0.1:6334:6334/tcp' of service 'qdrant' is bound to 127.0.0.1"));
        Assert.Contains(d.Items, x => x.Severity == Severity.Warning && x.Message.Contains("bind mount './qdrant/snapshots'"));
        Assert.Contains("      - \"../../qdrant/snapshots:/qdrant/snapshots:ro\"\n", text);
        Assert.Contains("PRICE: \"5$$ a month, $$HOME stays\"", text); // Compose escaping kept: docker stack deploy interpolates
        Assert.DoesNotContain("postgres", text);
    }

    [SkippableTheory]
    [InlineData("5s", 5)]
    [InlineData("1m30s", 90)]
    [InlineData("500ms", 1)]
    [InlineData("1.5s", 2)]
    [InlineData("2h", 7200)]
    public void Durations_become_whole_seconds(string text, int seconds) =>
        Assert.Equal(seconds, PublishText.Seconds(System.Text.Json.Nodes.JsonValue.Create(text)));

    [SkippableFact]
    public void String_commands_split_like_a_shell()
    {
        Assert.Equal(new[] { "redis-server", "--save", "60 1", "it's", "a\"b" }, PublishText.ShellSplit("redis-server --save \"60 1\" 'it'\\''s' a\\\"b"));
        Assert.Null(PublishText.ShellSplit("echo 'open"));
    }

    [SkippableTheory]
    [InlineData("deploy/kubernetes/qdrant-service.yaml", true)]
    [InlineData("deploy/swarm/docker-stack.yml", true)]
    [InlineData("docker-compose.hsm.yml", false)]
    [InlineData(".env.hsm", false)]
    [InlineData("../outside/x.yaml", false)]
    [InlineData("deploy/../../x.yaml", false)]
    [InlineData("/etc/passwd.yaml", false)]
    [InlineData("deploy/k/notes.txt", false)]
    [InlineData("sub/compose.hsm.yaml", false)]
    public void Only_publish_entries_are_carried_over(string key, bool expected)
    {
        Assert.Equal(expected, PublishStager.IsPublishEntry(key, "sub/compose.hsm.yaml"));
        var keys = new[] { key, "deploy/kubernetes/kustomization.yaml", "deploy/swarm/docker-stack.yml" };
        Assert.Equal(expected && key.StartsWith("deploy/", StringComparison.Ordinal) && !key.Contains("/k/"), PublishStager.PublishEntries(keys, "sub/compose.hsm.yaml").Contains(key));
    }

    [SkippableFact]
    public void Keys_outside_a_published_folder_are_not_carried_over() =>
        Assert.Equal(new[] { "deploy/k8s/kustomization.yaml", "deploy/k8s/x-service.yaml" },
            PublishStager.PublishEntries(new[] { "deploy/k8s/kustomization.yaml", "deploy/k8s/x-service.yaml", "old/compose.hsm.yml", "deploy/other/y.yaml" }, "docker-compose.hsm.yml"));
}
