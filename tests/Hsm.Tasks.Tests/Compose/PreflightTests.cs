using System.Text.Json.Nodes;
using Hsm.Compose;
using Hsm.Diagnostics;
using Hsm.Model;
using Xunit;

namespace Hsm.Tests.Compose;

public class PreflightTests
{
    static DiagnosticBag Check(params ResolvedService[] services)
    {
        var d = new DiagnosticBag();
        Preflight.Check(new ResolvedStack { Services = services.ToList() }, d);
        return d;
    }

    static ResolvedService Svc(string name, params string[] ports) => Stacks.Image(name, "busybox").With(s => s.Ports.AddRange(ports));

    [Theory]
    [InlineData("8080:80", "8080:81", true)]
    [InlineData("8080:80", "127.0.0.1:8080:80", true)]          // all interfaces vs one IP
    [InlineData("127.0.0.1:8080:80", "127.0.0.2:8080:80", false)] // different IPs
    [InlineData("127.0.0.1:8080:80", "127.0.0.1:8080:80/udp", false)]
    [InlineData("8080:80/udp", "0.0.0.0:8080:80/UDP", true)]
    [InlineData("8000-8010:8000-8010", "8010:80", true)]        // overlapping range
    [InlineData("8000-8010:8000-8010", "8011-8020:80-89", false)]
    [InlineData("[::1]:9000:90", "[::1]:9000:91", true)]
    [InlineData("8080", "8080", false)]                           // container-only: no fixed host port
    [InlineData("127.0.0.1::80", "127.0.0.1::80", false)]
    public void DuplicateHostPorts(string a, string b, bool clash)
    {
        var d = Check(Svc("a", a), Svc("b", b));
        var errors = d.Items.Where(i => i.Severity == Severity.Error).ToList();
        if (clash) Assert.Equal(Codes.DuplicatePort, Assert.Single(errors).Code);
        else Assert.Empty(errors);
    }

    [Fact]
    public void DuplicatePortWithinOneService()
    {
        var d = Check(Svc("a", "8080:80", "8080:81"));
        Assert.Contains("twice by service 'a'", Assert.Single(d.Items).Message);
    }

    [Fact]
    public void InterpolatedPort_IsSkippedWithMessage()
    {
        var d = Check(Svc("a", "${PORT:-8080}:80"), Svc("b", "8080:80"));
        Assert.False(d.HasErrors);
        Assert.Equal(Severity.Message, Assert.Single(d.Items).Severity);
    }

    [Fact]
    public void ExternalAndUvServices_DoNotTakePorts()
    {
        var d = Check(Svc("a", "5432:5432"), Stacks.PostgresExternal(), Svc("w", "5432:5432").With(s => s.Runtime = "uv"));
        Assert.False(d.HasErrors, string.Join("\n", d.Items));
    }

    [Fact]
    public void ContainerNameUsedTwice()
    {
        var d = Check(Svc("a").With(s => s.ContainerName = "db"), Svc("b").With(s => s.Compose = new JsonObject { ["container_name"] = "db" }));
        var e = Assert.Single(d.Items);
        Assert.Equal(Codes.DuplicateContainerName, e.Code);
        Assert.Contains("'a' and 'b'", e.Message);
        Assert.Equal("hsm-registry/services/b.yaml", e.Span.File);
    }

    [Fact]
    public void DependsOnOutsideStack_IsError()
    {
        var d = Check(Svc("a").With(s => s.DependsOn.Add("ghost")));
        var e = Assert.Single(d.Items);
        Assert.Equal((Codes.BadDependsOn, Severity.Error), (e.Code, e.Severity));
        Assert.Contains("ghost", e.Message);
    }

    [Fact]
    public void DependsOnCycle_IsErrorNamingTheCycleOnce()
    {
        var d = Check(Svc("c").With(s => s.DependsOn.Add("a")), Svc("a").With(s => s.DependsOn.Add("b")), Svc("b").With(s => s.DependsOn.Add("c")), Svc("x").With(s => s.DependsOn.Add("a")));
        var e = Assert.Single(d.Items);
        Assert.Equal(Codes.BadDependsOn, e.Code);
        Assert.Contains("a -> b -> c -> a", e.Message);
    }

    [Fact]
    public void DependsOnChain_AsLongAsARegistryMakesIt_IsCheckedWithoutRecursion()
    {
        // A chain of 50,000 services (each depends on the next) closed into one cycle at its far end: the search
        // once recursed per link and overflowed the stack (the build process died). Two cycles reported once each.
        const int n = 50_000;
        var services = Enumerable.Range(0, n).Select(i => Svc($"s{i:D5}").With(s => { if (i + 1 < n) s.DependsOn.Add($"s{i + 1:D5}"); })).ToList();
        services[n - 1].DependsOn.Add($"s{n - 3:D5}");
        services[2].DependsOn.Add("s00000");
        var d = Check(services.ToArray());
        Assert.Equal(new[] { "depends_on cycle: s00000 -> s00001 -> s00002 -> s00000", $"depends_on cycle: s{n - 3:D5} -> s{n - 2:D5} -> s{n - 1:D5} -> s{n - 3:D5}" },
            d.Items.Select(i => i.Message).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DependsOnSelf_IsError()
    {
        var d = Check(Svc("a").With(s => s.DependsOn.Add("a")));
        Assert.True(d.HasErrors);
    }

    [Fact]
    public void DependsOnExternalOrUv_IsDroppedWithMessage()
    {
        var stack = new ResolvedStack
        {
            Services = { Svc("a").With(s => { s.DependsOn.Add("postgres"); s.DependsOn.Add("w"); s.DependsOn.Add("b"); }), Stacks.PostgresExternal(), Svc("w").With(s => s.Runtime = "uv"), Svc("b") },
        };
        var d = new DiagnosticBag();
        Preflight.Check(stack, d);
        Assert.False(d.HasErrors);
        Assert.Equal(2, d.Items.Count(i => i.Severity == Severity.Message && i.Code == Codes.BadDependsOn));
        Assert.Equal(new[] { "b" }, Preflight.EffectiveDependsOn(stack, stack.Services[0]));
    }

    [Fact]
    public void DisabledHealthcheck_GivesServiceStarted()
    {
        var db = Svc("db").With(s => s.Healthcheck = JsonNode.Parse("""{ "disable": true }"""));
        var cache = Svc("cache").With(s => s.Healthcheck = JsonNode.Parse("""{ "test": ["NONE"] }"""));
        var ok = Svc("ok").With(s => s.Compose = new JsonObject { ["healthcheck"] = JsonNode.Parse("""{ "test": "true" }""") });
        var app = Svc("app").With(s => { s.DependsOn.Add("db"); s.DependsOn.Add("cache"); s.DependsOn.Add("ok"); });
        var stack = new ResolvedStack { Services = { app, cache, db, ok } };
        var d = new DiagnosticBag();
        Preflight.Check(stack, d);
        Assert.False(d.HasErrors);
        Assert.Equal(2, d.Items.Count(i => i.Message.Contains("disabled")));
        var yml = ComposeRenderer.Render(stack, Stacks.Ctx())!;
        Assert.Contains("cache:\n        condition: \"service_started\"\n      db:\n        condition: \"service_started\"\n      ok:\n        condition: \"service_healthy\"", yml);
    }

    [Fact]
    public void PassThroughKeyThatHsmWrites_IsError()
    {
        var d = Check(Svc("a", "80:80").With(s => s.Compose = new JsonObject { ["ports"] = new JsonArray("81:81"), ["restart"] = "always", ["image"] = "x" }));
        var errors = d.Items.Where(i => i.Severity == Severity.Error).ToList();
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Equal(Codes.ComposeKeyClash, e.Code));
        Assert.Contains(errors, e => e.Message.Contains("'image'"));
        Assert.Contains(errors, e => e.Message.Contains("'ports'"));
    }

    [Fact]
    public void PassThroughKeyHsmDoesNotWriteForThisService_IsAllowed()
    {
        // A build service may name its image (Compose tags the build with it); networks without aliases are the user's.
        var svc = new ResolvedService { Name = "a", Source = new ServiceSource { Type = "build", Path = "." }, Compose = new JsonObject { ["image"] = "me/a:dev", ["networks"] = new JsonArray("default") } };
        Assert.False(Check(svc).HasErrors);
    }

    [Fact]
    public void ConnectionVariablePrefixCollision_IsError()
    {
        var d = Check(Svc("my-db"), Svc("my.db"), Svc("my_db"));
        var errors = d.Items.Where(i => i.Code == Codes.ConnectionVarClash).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains("MY_DB_HOST", errors[0].Message);
    }

    [Fact]
    public void AbsoluteBuildContextAndBadGitRef_AreErrors()
    {
        var d = Check(
            new ResolvedService { Name = "a", Source = new ServiceSource { Type = "build", Path = "/abs/path" } },
            new ResolvedService { Name = "b", Source = new ServiceSource { Type = "git", Url = "https://example.com/x", Ref = "--upload-pack=x" } });
        Assert.Contains(d.Items, i => i.Code == Codes.NoRelativePath);
        Assert.Contains(d.Items, i => i.Code == Codes.InvalidSource && i.Severity == Severity.Error);
        Assert.Contains(d.Items, i => i.Code == Codes.InvalidSource && i.Severity == Severity.Warning);
    }

    [Fact]
    public void With_the_registry_files_a_problem_is_reported_at_the_line_of_its_key()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hsm-preflight-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "hsm-registry", "services"));
        try
        {
            File.WriteAllText(Path.Combine(dir, "hsm-registry", "services", "a.yaml"), "name: a\ndescription: x\nports: [\"8080:80\"]\ndepends_on: [ghost]\n");
            var a = Svc("a", "8080:80").With(s => { s.RegistryFile = "hsm-registry/services/a.yaml"; s.DependsOn.Add("ghost"); });
            var d = new DiagnosticBag();
            Preflight.Check(new ResolvedStack { Services = new() { a } }, d, new RegistryLocator(dir));
            var e = Assert.Single(d.Items, x => x.Code == Codes.BadDependsOn);
            Assert.Equal(("hsm-registry/services/a.yaml", 4, 1), (e.Span.File, e.Span.Line, e.Span.Column));

            var without = new DiagnosticBag();
            Preflight.Check(new ResolvedStack { Services = new() { a } }, without);
            Assert.Equal(0, Assert.Single(without.Items, x => x.Code == Codes.BadDependsOn).Span.Line); // no registry files: the file alone
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
