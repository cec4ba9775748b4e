using System.Net;
using System.Net.Sockets;
using Hsm.Diagnostics;
using Hsm.Publish;
using Xunit;
using Xunit.Abstractions;

namespace Hsm.Tests.Publish;

/// <summary>
/// The published swarm stack file, deployed for real: `../shared/tools/container-engine` (a Docker engine,
/// offline, hsm-test/* images), a one-node swarm, `docker stack deploy --resolve-image never`. This kernel
/// has no IPVS, so the stack is published with HsmSwarmEndpointMode=dnsrr (ports in `mode: host`), as
/// docs/publish.md says. Fails (not skips) when CI=true and the engine is missing.
/// </summary>
public sealed class SwarmDeployTests(ITestOutputHelper output)
{
    static Dictionary<string, string> EngineEnvironment()
    {
        var tool = SharedTools.RequireTool("container-engine");
        var (code, text) = SharedTools.Run(tool, new[] { "env" });
        var env = new Dictionary<string, string>();
        foreach (var line in text.Split('\n'))
        {
            var l = line.Trim();
            if (l.StartsWith("export ", StringComparison.Ordinal)) l = l[7..];
            foreach (var part in l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = part.IndexOf('=');
                if (eq > 0 && part[..eq] is "DOCKER_HOST" or "DOCKER_CONFIG" or "PATH") env[part[..eq]] = part[(eq + 1)..].Trim('"', '\'');
            }
        }
        SharedTools.Require(code == 0 && env.ContainsKey("DOCKER_HOST") && SharedTools.Run("docker", new[] { "info" }, env: env).ExitCode == 0,
            "a running container engine (../shared/tools/container-engine setup):\n" + text);
        return env;
    }

    static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [SkippableFact]
    public void Published_stack_deploys_on_a_one_node_swarm_and_services_reach_each_other_by_name()
    {
        var env = EngineEnvironment();
        (int Code, string Out) Docker(params string[] args)
        {
            var r = SharedTools.Run("docker", args, env: env, timeoutMs: 180_000);
            output.WriteLine($"$ docker {string.Join(' ', args)} -> {r.ExitCode}\n{r.Output}");
            return r;
        }

        using var p = new PublishProject(copySample: false);
        int cachePort = FreePort(), webPort = FreePort();
        p.Write("hsm.yaml", """
            project: { name: swarm-check }
            services:
              standalone:
                - name: cache
                - name: web
            """);
        p.Write("config/cache.env", "# the user's file: its value reaches redis, and no published file\nREDIS_ARGS=--maxmemory 12582912\n");
        p.Write("hsm-registry/services/cache.yaml", $$"""
            name: cache
            ports: ["{{cachePort}}:6379"]
            volumes: ["cache_data:/data"]
            env_file: config/cache.env
            healthcheck: { test: ["CMD", "redis-cli", "ping"], interval: 1s, retries: 600 }
            compose: { restart: unless-stopped }
            sources:
              prod: { type: docker-image, image: "hsm-test/redis:7" }
            """);
        p.Write("hsm-registry/services/web.yaml", $$"""
            name: web
            container_name: web-main
            network_aliases: [frontend]
            ports: ["{{webPort}}:8080"]
            env: { GREETING: "hello $$ swarm" }
            depends_on: [cache]
            healthcheck:
              test: ["CMD", "python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"]
              interval: 1s
              retries: 600
            sources:
              prod: { type: docker-image, image: "hsm-test/http:1" }
            """);
        var d = new DiagnosticBag();
        Assert.True(p.Publish(PublishText.SwarmTarget, d, endpointMode: "dnsrr") != null, PublishProject.Errors(d));
        var stackDir = p.PathOf("deploy/swarm");
        var stackFile = File.ReadAllText(Path.Combine(stackDir, SwarmPublisher.FileName));
        output.WriteLine(stackFile);
        Assert.DoesNotContain("maxmemory", stackFile);
        Assert.Contains("      endpoint_mode: \"dnsrr\"\n", stackFile);

        var ns = "hsmpub" + Guid.NewGuid().ToString("N")[..6];
        var swarmWasActive = Docker("info", "--format", "{{.Swarm.LocalNodeState}}").Out.Trim() == "active";
        try
        {
            if (!swarmWasActive)
                Assert.Equal(0, Docker("swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:2377").Code);
            // The documented command, from the project folder: relative paths in the file resolve from the file's own folder.
            var deploy = SharedTools.Run("docker", new[] { "stack", "deploy", "--resolve-image", "never", "-c", "deploy/swarm/" + SwarmPublisher.FileName, ns }, p.Dir, env, 180_000);
            Assert.True(deploy.ExitCode == 0, deploy.Output);

            // Tasks become healthy (each service's healthcheck, run by the engine).
            var deadline = DateTime.UtcNow.AddMinutes(10); // a bound on the wait, not a timing assertion: a loaded CI machine is slow
            string states = "";
            while (DateTime.UtcNow < deadline)
            {
                states = SharedTools.Run("docker", new[] { "ps", "--filter", "label=com.docker.stack.namespace=" + ns, "--format", "{{.Label \"com.docker.swarm.service.name\"}} {{.Status}}" }, env: env).Output;
                if (states.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains("(healthy)")) == 2) break;
                Thread.Sleep(1000);
            }
            var healthy = states.Contains($"{ns}_cache ") && states.Contains($"{ns}_web ") && states.Split('\n', StringSplitOptions.RemoveEmptyEntries).All(l => l.Contains("(healthy)"));
            Assert.True(healthy, healthy ? "" : "tasks not healthy:\n" + states + Docker("stack", "ps", "--no-trunc", ns).Out);

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{webPort}") };
            string Get(string path) => http.GetStringAsync(path).GetAwaiter().GetResult();
            // web reaches cache by its service name (the host name .env.hsm gives), on the stack network.
            Assert.Equal("open\n", Get("/tcp?host=cache&port=6379"));
            // network_aliases and container_name are names on that network too.
            Assert.StartsWith("[\"", Get("/resolve?host=frontend"));
            Assert.StartsWith("[\"", Get("/resolve?host=web-main"));
            // inline env ($$ is a literal $), and the env_file's value reached redis without being copied anywhere.
            Assert.Contains("\"GREETING\": \"hello $ swarm\"", Get("/env"));
            var cache = SharedTools.Run("docker", new[] { "ps", "-q", "--filter", $"label=com.docker.swarm.service.name={ns}_cache" }, env: env).Output.Trim();
            Assert.Contains("12582912", Docker("exec", cache, "redis-cli", "CONFIG", "GET", "maxmemory").Out);
            // The host-mode port of cache is published on the node.
            using var tcp = new TcpClient();
            tcp.Connect(IPAddress.Loopback, cachePort);
        }
        finally
        {
            Docker("stack", "rm", ns);
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (DateTime.UtcNow < deadline && SharedTools.Run("docker", new[] { "ps", "-aq", "--filter", "label=com.docker.stack.namespace=" + ns }, env: env).Output.Trim().Length > 0)
                Thread.Sleep(1000);
            Docker("network", "rm", ns + "_default");
            Docker("volume", "rm", ns + "_cache_data");
            if (!swarmWasActive)
            {
                Docker("swarm", "leave", "--force");
                Docker("network", "rm", "docker_gwbridge");
            }
        }
    }
}
