using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Resolution;
using Xunit;

namespace Hsm.Tests.Model;

/// <summary>
/// The original tool's documented examples (upstream-hsm.md §3.2, §4, §6) load and resolve as
/// documented; where the docs and the original code disagree docs/design.md decides (noted per test).
/// </summary>
public class UpstreamExamplesTests
{
    private static (ResolvedStack Stack, DiagnosticBag D) Resolve(string fixture, string? mode = null)
    {
        var dir = ModelKit.Project("upstream/" + fixture);
        try
        {
            var (stack, d) = ModelKit.Resolve(dir, mode, wholeRegistry: true);
            Assert.False(d.HasErrors, ModelKit.Format(d.Items));
            return (stack!, d);
        }
        finally { ModelKit.TryDelete(dir); }
    }

    private static ResolvedLibrary Lib(ResolvedStack s, string name) => s.Libraries.Single(l => l.Name == name);
    private static ResolvedService Svc(ResolvedStack s, string name) => s.Services.Single(l => l.Name == name);

    [Fact]
    public void Canonical_manifest_with_quoted_values_and_modes()
    {
        var (s, d) = Resolve("canonical");
        Assert.Equal("my-rag-platform", s.ProjectName);
        var qa = Lib(s, "qdrant-adapter");
        Assert.Equal("dev", qa.Mode);
        Assert.Equal("local", qa.Source.Type);
        Assert.Equal("packages/qdrant-adapter", qa.Source.Path); // "./" normalised away
        Assert.True(qa.Source.Editable);
        Assert.Equal("prod", Lib(s, "langchain").Mode);
        Assert.Equal("==0.2.0", Lib(s, "langchain").Source.Version); // a bare pypi version means ==
        var q = Svc(s, "qdrant");
        Assert.Equal("prod", q.Mode);
        Assert.Equal("vector-db", q.ContainerName);
        Assert.Equal("docker-image", q.Source!.Type);
        Assert.Equal("libraries.groups.vector-db-client.selection", qa.Origins.Single().Path);
        Assert.Equal(new[] { "vector-db-client", "vector-db-server" }, s.Groups.Select(g => g.Name));
        // 'type: service', 'type: library' and pypi 'name' are fields of the original model: warnings, not errors
        Assert.Contains(d.Items, x => x.Code == Codes.IgnoredField && x.Span.File == "hsm-registry/services/qdrant.yaml");
    }

    [Fact]
    public void Canonical_in_forced_dev_uses_the_git_dev_source_of_the_service()
    {
        var (s, _) = Resolve("canonical", "dev");
        var q = Svc(s, "qdrant");
        Assert.Equal("git", q.Source!.Type);
        Assert.Equal(new[] { "./qdrant_data:/var/lib/qdrant" }, q.Volumes);
        Assert.Equal("prod", Lib(s, "langchain").Source.Key == "prod" ? "prod" : "x"); // no dev source: prod used
    }

    [Fact]
    public void Quickstart_m_of_n_service_group_with_list_selection()
    {
        var (s, _) = Resolve("quickstart");
        Assert.Equal(new[] { "postgres", "redis" }, s.Services.Select(x => x.Name));
        Assert.Equal(new[] { "postgres", "redis" }, s.Groups.Single(g => g.Name == "infra").Selection);
        Assert.Equal("M-of-N", s.Groups.Single(g => g.Name == "infra").Strategy);
        var qa = Lib(s, "qdrant-adapter");
        Assert.Equal("dev", qa.Mode);
        Assert.True(qa.Source.Clone); // path missing, url given: cloned on demand
    }

    [Fact]
    public void Modes_page_group_mode_is_honoured_per_spec()
    {
        // The original code ignored a group-level mode; design §2 honours it (group mode < modes < standalone).
        var (s, _) = Resolve("modes");
        Assert.Equal("dev", Lib(s, "my-utils").Mode);
        Assert.True(Lib(s, "my-utils").Source.Editable);
        Assert.Equal("prod", Svc(s, "postgres").Mode);
    }

    [Fact]
    public void Complex_configuration_profiles_per_group()
    {
        var (s, _) = Resolve("complex");
        var chunker = Svc(s, "local-chunker");
        Assert.Equal("managed-dev", chunker.Profile);
        Assert.Equal("managed", chunker.ProfileMode);
        Assert.Equal("services/local-chunker", chunker.Source!.Path);
        var q = Svc(s, "qdrant");
        Assert.Equal("external-prod", q.Profile);
        Assert.Equal("external", q.ProfileMode);
        Assert.Null(q.Source);
        Assert.Equal("10.0.0.50", q.External!["host"]);
        Assert.Equal("6333", q.External["port"]);
    }

    [Fact]
    public void Implicit_services_are_added_with_merged_params()
    {
        var (s, _) = Resolve("implicit");
        var pg = Svc(s, "postgres");
        Assert.Equal("auth,billing", pg.Params["db_name"]);
        Assert.Equal("auth,billing", pg.Environment["POSTGRES_DATABASES"]);
        Assert.Equal("auth_admin", pg.Environment["POSTGRES_USERS"]);
        Assert.Equal(new[] { "implies from library auth-service", "implies from library billing-service" }, pg.Origins.Select(o => o.Path));
        Assert.Equal("default", pg.Profile);
    }

    [Fact]
    public void All_six_implies_combinations_of_upstream_section_6()
    {
        var (s, _) = Resolve("six");
        // Library -> Service (params)
        Assert.Equal("auth_db", Svc(s, "postgres").Params["db_name"]);
        Assert.Contains(Svc(s, "postgres").Origins, o => o.Path == "implies from library my-auth-lib");
        // Library -> Group and Group option -> Group: uvicorn selected in 'server' by both
        var uvicorn = Lib(s, "uvicorn");
        Assert.Equal("server", uvicorn.Group);
        Assert.Contains(uvicorn.Origins, o => o.Path == "implies from library fastapi-app");
        Assert.Contains(uvicorn.Origins, o => o.Path == "implies from library group web-frameworks option fastapi");
        // Group option -> Group (another group): react implies ui: mui
        Assert.Contains(Lib(s, "mui").Origins, o => o.Path == "implies from library group frontend-group option react");
        Assert.Equal(new[] { "mui" }, s.Groups.Single(g => g.Name == "ui").Selection);
        // Service -> Service (params)
        Assert.Equal("1", Svc(s, "redis").Environment["REDIS_DB"]);
        // Service -> Group: ml-service selects postgres in 'db' (1-of-N); postgres is also selected in db-group
        Assert.Equal(new[] { "postgres" }, s.Groups.Single(g => g.Name == "db").Selection);
        Assert.Contains(Svc(s, "postgres").Origins, o => o.Path == "implies from service ml-service");
        // Group option -> Service (params)
        Assert.Equal("sql", Svc(s, "backup").Environment["BACKUP_TYPE"]);
        // VES: implied uv-runtime service with params
        var w = Svc(s, "my-worker");
        Assert.Equal("uv", w.Runtime);
        Assert.Equal("postgres://localhost:5432/mydb", w.Environment["DATABASE_URL"]);
        Assert.Equal(new[] { "db-client" }, w.Dependencies);
    }

    [Fact]
    public void Registry_examples_of_section_4_load()
    {
        var (_, d) = Resolve("registry-examples");
        // profile 'ports' of the original docs: ignored with a warning
        Assert.Contains(d.Items, x => x.Code == Codes.IgnoredField && x.Span.File == "hsm-registry/services/graph-builder-service.yaml");
    }

    [Fact]
    public void Hpm_metrics_default_with_names_that_are_not_options_is_an_error()
    {
        // Decision: upstream's hpm example lists default ["accuracy", "latency"] for options metric-*;
        // a default must name options (design §3.3), so the literal example is reported.
        var dir = ModelKit.Project("upstream/registry-examples");
        try
        {
            File.WriteAllText(Path.Combine(dir, "hsm-registry/library_groups/metrics.yaml"),
                "name: \"metrics\"\ntype: \"group\"\nstrategy: \"M-of-N\"\ndefault: [\"accuracy\", \"latency\"]\noptions:\n  - name: \"metric-accuracy\"\n  - name: \"metric-latency\"\n");
            var (_, d) = ModelKit.Resolve(dir, wholeRegistry: true);
            Assert.Equal(new[] { "HSM1019 hsm-registry/library_groups/metrics.yaml(4,11)", "HSM1019 hsm-registry/library_groups/metrics.yaml(4,23)" },
                d.Items.Where(x => x.Severity == Severity.Error).Select(x => $"{x.Code} {x.Span}"));
        }
        finally { ModelKit.TryDelete(dir); }
    }

    [Fact]
    public void Adr_container_manifest_orchestration_key_is_unknown()
    {
        // Decision: 'orchestration.service_name' of the pre-ADR-002 model is not a field of the original
        // tool's current model either: an unknown key (HSM1007); 'type' is ignored with a warning.
        var dir = ModelKit.Project("upstream/registry-examples");
        try
        {
            File.WriteAllText(Path.Combine(dir, "hsm-registry/services/qdrant.yaml"),
                "name: \"qdrant\"\ntype: \"container\"\norchestration:\n  service_name: \"vector-db\"\nsources:\n  prod:\n    type: \"docker-image\"\n    image: \"qdrant/qdrant:latest\"\n");
            var (_, d) = ModelKit.Resolve(dir, wholeRegistry: true);
            Assert.Equal(new[] { "HSM1007 hsm-registry/services/qdrant.yaml(3,1)" },
                d.Items.Where(x => x.Severity == Severity.Error).Select(x => $"{x.Code} {x.Span}"));
            Assert.Contains(d.Items, x => x.Code == Codes.IgnoredField && x.Span.Line == 2);
        }
        finally { ModelKit.TryDelete(dir); }
    }

    [Fact]
    public void Group_option_implying_a_selection_in_another_group_switches_client_and_server_together()
    {
        foreach (var (client, server) in new[] { ("qdrant-adapter", "qdrant"), ("milvus-adapter", "milvus") })
        {
            var dir = ModelKit.Project("base");
            try
            {
                File.WriteAllText(Path.Combine(dir, "hsm.yaml"), $"project:\n  name: x\nlibraries:\n  groups:\n    vector-db-client:\n      selection: {client}\nservices:\n  groups:\n    vector-db-server: {{}}\n");
                var (s, d) = ModelKit.Resolve(dir);
                Assert.False(d.HasErrors, ModelKit.Format(d.Items));
                Assert.Equal(new[] { server }, s!.Groups.Single(g => g.Name == "vector-db-server").Selection);
                Assert.Equal("docs", Svc(s, server).Params["collection"]);
                Assert.Equal(new[] { $"implies from library group vector-db-client option {client}", $"implies from library {client}" }.OrderBy(x => x, StringComparer.Ordinal),
                    Svc(s, server).Origins.Select(o => o.Path));
            }
            finally { ModelKit.TryDelete(dir); }
        }
    }

    [Fact]
    public void Group_default_applies_only_when_nothing_selected_it()
    {
        var dir = ModelKit.Project("base");
        try
        {
            File.WriteAllText(Path.Combine(dir, "hsm.yaml"), "project:\n  name: x\nlibraries:\n  groups:\n    vector-db-client:\n      selection: null\n    metrics: {}\n");
            var (s, d) = ModelKit.Resolve(dir);
            Assert.False(d.HasErrors, ModelKit.Format(d.Items));
            Assert.Equal("default", Lib(s!, "qdrant-adapter").Origins.Single().Rule);
            Assert.Equal(new[] { "metric-accuracy", "metric-latency" }, s!.Groups.Single(g => g.Name == "metrics").Selection);
            // the default's implies run too
            Assert.Equal(new[] { "qdrant" }, s.Groups.Single(g => g.Name == "vector-db-server").Selection);
        }
        finally { ModelKit.TryDelete(dir); }
    }
}
