using System.Diagnostics;
using System.Text;
using Hsm.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Hsm.Sdk.Tests;

/// <summary>
/// Issue 12 on a real Docker engine (../shared/tools/container-engine; .ci/run starts it and exports
/// DOCKER_HOST): `dotnet run`, HsmUp, HsmStatus and HsmDown of projects on the packed SDK, with the
/// hsm-test/* images and `--pull never` (no registry is reachable). Without an engine these tests fail
/// on CI (CI=true) and return early elsewhere.
/// </summary>
[Collection(PackedSdkCollection.Name)]
public sealed class RunEndToEndTests(PackedSdk sdk, ITestOutputHelper output)
{
    /// <summary>Hang guards: 10x the slowest time seen (stack ready in about 4 s, stopped in about 8 s).</summary>
    private static readonly TimeSpan ReadyGuard = TimeSpan.FromSeconds(300);
    private static readonly TimeSpan StopGuard = TimeSpan.FromSeconds(120);

    // ------------------------------------------------------------------ the stack under test

    /// <summary>
    /// redis becomes healthy only once a key `ready` is set, 3 s after it starts; web (depends_on redis) reads
    /// that key once, when it starts, into /tmp/first-get: "yes" there proves the health-ordered start.
    /// </summary>
    private const string RedisYaml = """
        ports: ["6379"]
        volumes: ["data:/data"]
        command: ["sh", "-c", "(sleep 3; redis-cli set ready yes) & exec redis-server --bind 0.0.0.0 --protected-mode no --dir /data"]
        healthcheck: { test: ["CMD-SHELL", "redis-cli get ready | grep -q yes"], interval: 1s, retries: 60 }
        sources:
          prod: { type: docker-image, image: "hsm-test/redis:7" }
        """;

    private const string WebYaml = """
        ports: ["8080"]
        depends_on: [redis]
        command: ["sh", "-c", "python3 -c \"import socket; s = socket.create_connection(('redis', 6379), 5); s.sendall(b'GET ready' + bytes([10])); print(s.recv(100))\" > /tmp/first-get 2>&1; exec hsm-http"]
        healthcheck: { test: ["CMD", "python3", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8080/healthz')"], interval: 1s, retries: 60 }
        sources:
          prod: { type: docker-image, image: "hsm-test/http:1" }
        """;

    private const string WorkerYaml = """
        env: { GREETING: hello-from-hsm }
        env_file: [config/worker.env]
        sources:
          prod: { type: local, path: worker }
        deployment_profiles:
          default: { mode: managed, runtime: uv, command: ["python3", "worker.py", "--name", "w1"], working_dir: app }
        """;

    private const string WorkerPy = """
        import os, signal, sys, time
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
        signal.signal(signal.SIGINT, lambda *a: sys.exit(0))
        print("worker started", sys.argv[2], os.environ.get("GREETING"), os.environ.get("SECRET"), os.getcwd(), flush=True)
        while True:
            time.sleep(0.2)
        """;

    /// <summary>
    /// uv for these tests: uv-standin answers lock/sync/pip list but cannot run anything, so `uv run --project D
    /// --env-file F… -- CMD…` is done here the way uv does it (the env files' variables, then CMD). docs/run.md.
    /// </summary>
    private static string UvWrapper(string standin) => $$"""
        #!/bin/sh
        if [ "$1" = run ]; then
          shift
          while [ $# -gt 0 ]; do
            case "$1" in
              --project) [ -d "$2" ] || { echo "no project $2" >&2; exit 2; }; shift 2 ;;
              --env-file) set -a; . "$2"; set +a; shift 2 ;;
              --) shift; break ;;
              *) break ;;
            esac
          done
          exec "$@"
        fi
        exec "{{standin}}" "$@"
        """;

    private sealed record Stack(TestProject Project, string Name, string Uv);

    private Stack NewStack(string label, bool userCompose = false, bool worker = true, bool library = false)
    {
        Skip.If(OperatingSystem.IsWindows(), "processes: setsid and POSIX signals (docs/run.md)");
        Engine.Require();
        var standin = SharedTools.RequireTool("uv-standin");
        var p = new TestProject(sdk, label, copySample: false);
        var name = "hsm-" + label + "-" + Path.GetFileName(p.Dir)[^6..];
        var services = "    - { name: redis }\n    - { name: web }\n" + (worker ? "    - { name: worker }\n" : "");
        var libs = library ? "libraries:\n  standalone:\n    - requests\n" : "";
        p.Write("hsm.yaml", $"project:\n  name: {name}\n  registry: reg\n{libs}services:\n  standalone:\n{services}");
        p.Write("reg/services/redis.yaml", RedisYaml);
        p.Write("reg/services/web.yaml", WebYaml);
        p.Write("reg/services/worker.yaml", WorkerYaml);
        p.Write("reg/libraries/requests.yaml", "sources:\n  prod: { type: pypi, version: \">=2\" }\n");
        p.Write("worker/pyproject.toml", "[project]\nname = \"worker\"\nversion = \"0.1.0\"\ndependencies = []\n");
        p.Write("worker/app/worker.py", WorkerPy);
        p.Write("config/worker.env", "SECRET=from-user-env-file\n");
        p.Write("pyproject.toml", "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = []\n");
        if (userCompose)
            p.Write("docker-compose.yml", $$"""
                name: {{name}}
                services:
                  client:
                    image: "hsm-test/http:1"
                    env_file: [".env.hsm"]
                    depends_on:
                      web: { condition: service_healthy }
                """);
        var uv = p.PathOf("uv-for-tests.sh");
        File.WriteAllText(uv, UvWrapper(standin).Replace("\r\n", "\n"));
        File.SetUnixFileMode(uv, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new Stack(p, name, uv);
    }

    private string[] Props(Stack s, params string[] more) => new[] { "-p:HsmUvPath=" + s.Uv, "-p:HsmPull=never" }.Concat(more).ToArray();

    // ------------------------------------------------------------------ tests

    [SkippableFact]
    public void Dotnet_run_starts_the_stack_health_ordered_with_the_users_compose_file_and_ctrl_c_stops_everything()
    {
        var s = NewStack("run", userCompose: true);
        Process? run = null;
        try
        {
            var log = new StringBuilder();
            var watch = Stopwatch.StartNew();
            run = StartDotnetRun(s, log);
            WaitFor(run, log, "stack ready in", ReadyGuard);
            output.WriteLine($"dotnet run: stack ready after {watch.Elapsed.TotalSeconds:0.0} s (build included)");
            var text = Text(log);

            // Health-ordered: web read redis's `ready` key when it started, so redis was healthy before web started.
            Assert.Contains("yes", Exec(s, "web", "cat", "/tmp/first-get"));
            Assert.True(text.IndexOf("redis: running, healthy", StringComparison.Ordinal) < text.IndexOf("web: running, healthy", StringComparison.Ordinal), text);
            // A client of the user's own Compose file reaches both services through .env.hsm.
            var client = Exec(s, "client", "python3", "-c",
                "import os, socket, urllib.request; print(urllib.request.urlopen('http://%s:%s/healthz' % (os.environ['WEB_HOST'], os.environ['WEB_PORT'])).read()); " +
                "c = socket.create_connection((os.environ['REDIS_HOST'], int(os.environ['REDIS_PORT'])), 5); c.sendall(b'PING' + bytes([10])); print(c.recv(10))");
            Assert.Contains("ok", client);
            Assert.Contains("+PONG", client);
            // Logs are streamed with a service prefix; the uv-runtime process got its command, env files and working dir.
            WaitFor(run, log, "worker | worker started w1 hello-from-hsm from-user-env-file " + s.Project.PathOf("worker/app"), ReadyGuard);
            Assert.Contains("hsm: worker: " + s.Project.PathOf(".uv-on-path/uv") + " run --project", Text(log)); // uv as found on PATH
            Assert.Contains("web    | hsm-http: listening on 8080", Text(log));
            var workerPid = int.Parse(File.ReadLines(s.Project.PathOf("obj/hsm/run/worker.pid")).First());
            Assert.True(Alive(workerPid));
            Assert.Equal(3, Containers(s.Name).Count);

            // The user's own services are streamed too; a container that stops while the stack runs is reported, as
            // `docker compose up` does, and the rest keeps running.
            WaitFor(run, log, "client | hsm-http: listening on 8080", ReadyGuard);
            Assert.Equal(0, SharedTools.Run("docker", new[] { "kill", s.Name + "-client-1" }).ExitCode);
            WaitFor(run, log, "hsm: client: exited with code 137", ReadyGuard);
            Assert.False(run.HasExited);
            Assert.True(Alive(workerPid));

            // Ctrl+C: a terminal sends SIGINT to the whole foreground process group.
            watch.Restart();
            Assert.Equal(0, SharedTools.Run("kill", new[] { "-INT", "--", "-" + run.Id }).ExitCode);
            Assert.True(run.WaitForExit((int)StopGuard.TotalMilliseconds), "dotnet run did not stop after SIGINT:\n" + Text(log));
            run.WaitForExit();
            output.WriteLine($"dotnet run: stopped {watch.Elapsed.TotalSeconds:0.0} s after SIGINT");
            Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}:\n{Text(log)}");
            Assert.Contains("hsm: containers stopped and removed", Text(log));
            Assert.Empty(Containers(s.Name));
            Assert.False(Alive(workerPid), "the worker process still runs");
            Assert.False(File.Exists(s.Project.PathOf("obj/hsm/run/worker.pid")));
            Assert.Single(Volumes(s.Name)); // named volumes are kept
        }
        finally
        {
            if (run is { HasExited: false }) SharedTools.Run("kill", new[] { "-KILL", "--", "-" + run.Id });
            CleanUp(s);
        }
    }

    [SkippableFact]
    public void HsmUp_then_HsmStatus_passes_and_fails_naming_what_stopped_then_HsmDown_removes_everything()
    {
        var s = NewStack("updown", library: true);
        try
        {
            var p = s.Project;
            var watch = Stopwatch.StartNew();
            var up = p.BuildOk(Props(s, "-t:HsmUp"));
            output.WriteLine($"HsmUp (with the build): {watch.Elapsed.TotalSeconds:0.0} s");
            Assert.Contains("hsm: redis: running, healthy", up.Output);
            Assert.Contains("hsm: worker: started (pid", up.Output);
            Assert.Contains("hsm: stack up in", up.Output);
            Assert.Equal(2, Containers(s.Name).Count);
            Assert.Contains("yes", Exec(s, "web", "cat", "/tmp/first-get"));
            var workerPid = int.Parse(File.ReadLines(p.PathOf("obj/hsm/run/worker.pid")).First());
            Assert.True(Alive(workerPid));
            Assert.Contains("worker started w1 hello-from-hsm from-user-env-file", File.ReadAllText(p.PathOf("obj/hsm/run/worker.log")));

            var ok = p.BuildOk(Props(s, "-t:HsmStatus"));
            Assert.Contains("hsm: redis: ok (container running, healthy, image hsm-test/redis:7)", ok.Output);
            Assert.Contains("hsm: web: ok (container running, healthy, image hsm-test/http:1)", ok.Output);
            Assert.Contains($"hsm: worker: ok (process running (pid {workerPid}))", ok.Output);
            Assert.Contains("hsm: requests: ok (installed", ok.Output);
            Assert.Contains("everything runs and is installed", File.ReadAllText(p.PathOf("obj/hsm/status.txt")));

            // Stop one container by hand and kill the process: HsmStatus fails, naming both, with HSM codes.
            Assert.Equal(0, Docker("stop", s.Name + "-web-1").ExitCode);
            Assert.Equal(0, SharedTools.Run("kill", new[] { workerPid.ToString() }).ExitCode);
            for (int i = 0; i < 600 && Alive(workerPid); i++) Thread.Sleep(100);
            var bad = p.Build(Props(s, "-t:HsmStatus"));
            Assert.False(bad.Succeeded, bad.Output);
            var web = Assert.Single(bad.Errors, e => e.Code == "HSM6003");
            Assert.Contains("'web'", web.Text);
            Assert.EndsWith("hsm.lock", web.File);
            Assert.True(web.LineNumber > 0);
            var stale = Assert.Single(bad.Errors, e => e.Code == "HSM6006");
            Assert.Contains("'worker'", stale.Text);
            Assert.Contains("stale", stale.Text);
            Assert.Contains("hsm: redis: ok", bad.Output);
            Assert.Equal(2, bad.Errors.Count());

            // HsmDown keeps named volumes; with HsmDownVolumes=true nothing of the project is left.
            p.BuildOk(Props(s, "-t:HsmUp"));
            Assert.True(File.Exists(p.PathOf("obj/hsm/run/worker.pid")));
            var down = p.BuildOk(Props(s, "-t:HsmDown"));
            Assert.Contains("hsm: worker: stopped", down.Output);
            Assert.Empty(Containers(s.Name));
            Assert.Single(Volumes(s.Name));
            p.BuildOk(Props(s, "-t:HsmUp"));
            var pid2 = int.Parse(File.ReadLines(p.PathOf("obj/hsm/run/worker.pid")).First());
            p.BuildOk(Props(s, "-t:HsmDown", "-p:HsmDownVolumes=true"));
            Assert.Empty(Containers(s.Name));
            Assert.Empty(Networks(s.Name));
            Assert.Empty(Volumes(s.Name));
            Assert.False(Alive(pid2));
            Assert.False(File.Exists(p.PathOf("obj/hsm/run/worker.pid")));

            // With nothing running, HsmStatus names every component.
            var none = p.Build(Props(s, "-t:HsmStatus"));
            Assert.False(none.Succeeded);
            Assert.Equal(new[] { "HSM6003", "HSM6003", "HSM6006" }, none.Errors.Select(e => e.Code).OrderBy(c => c));
        }
        finally { CleanUp(s); }
    }

    [SkippableFact]
    public void Dev_mode_builds_the_context_and_bind_mounts_live_sources()
    {
        Engine.Require();
        var standin = SharedTools.RequireTool("uv-standin");
        using var p = new TestProject(sdk, "rundev", copySample: false);
        var name = "hsm-rundev-" + Path.GetFileName(p.Dir)[^6..];
        p.Write("hsm.yaml", $"project:\n  name: {name}\n  registry: reg\nservices:\n  standalone:\n    - {{ name: site, mode: dev }}\n");
        p.Write("reg/services/site.yaml", """
            ports: ["8080"]
            healthcheck: { test: ["CMD", "python3", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8080/healthz')"], interval: 1s, retries: 60 }
            sources:
              prod: { type: docker-image, image: "hsm-test/http:1" }
              dev: { type: build, path: site, dockerfile: Dockerfile.dev, volumes: ["./site/content:/srv/content"] }
            """);
        p.Write("site/Dockerfile.dev", "FROM hsm-test/http:1\nCOPY marker.txt /srv/built-marker.txt\n");
        p.Write("site/marker.txt", "built from the dev context\n");
        p.Write("site/content/page.txt", "v1\n");
        var s = new Stack(p, name, standin);
        try
        {
            p.BuildOk("-p:HsmPull=never", "-t:HsmUp");
            Assert.Contains("context: \"site\"", p.Read("docker-compose.hsm.yml"));
            Assert.Contains("built from the dev context", Exec(s, "site", "cat", "/srv/built-marker.txt"));
            Assert.Contains("v1", Exec(s, "site", "cat", "/srv/content/page.txt"));
            p.Write("site/content/page.txt", "v2 edited on the host\n");
            Assert.Contains("v2 edited on the host", Exec(s, "site", "cat", "/srv/content/page.txt")); // live: no rebuild, no restart
            p.BuildOk("-t:HsmStatus");
            p.BuildOk("-t:HsmDown", "-p:HsmDownVolumes=true");
            Assert.Empty(Containers(name));
        }
        finally
        {
            CleanUp(s);
            Docker("rmi", "-f", name + "-site");
        }
    }

    [SkippableFact]
    public void A_service_that_never_becomes_healthy_fails_HsmUp_naming_it_with_its_last_log_lines()
    {
        var s = NewStack("unhealthy", worker: false);
        try
        {
            var p = s.Project;
            // The service prints a value of its env file as it fails: the last log lines hsm quotes never show it (design §9).
            p.Write("config/web.env", "API_TOKEN=tok-5f1e2d-never-in-a-log\n");
            p.Write("reg/services/web.yaml", """
                depends_on: [redis]
                env_file: [config/web.env]
                command: ["sh", "-c", "echo web-is-broken-on-purpose with $$API_TOKEN; exec sleep 600"]
                healthcheck: { test: ["CMD", "false"], interval: 1s, retries: 2 }
                sources:
                  prod: { type: docker-image, image: "hsm-test/http:1" }
                """);
            var r = p.Build(Props(s, "-t:HsmUp"));
            Assert.False(r.Succeeded, r.Output);
            var e = Assert.Single(r.Errors);
            Assert.Equal("HSM6002", e.Code);
            Assert.Contains("Service 'web' did not become healthy", e.Text);
            Assert.Contains("web-is-broken-on-purpose with ***", e.Text);
            Assert.DoesNotContain("tok-5f1e2d-never-in-a-log", r.Output);
            Assert.EndsWith("docker-compose.hsm.yml", e.File);
            Assert.True(e.LineNumber > 0);
        }
        finally { CleanUp(s); }
    }

    [SkippableFact]
    public void The_quickstart_sample_comes_up_healthy_and_HsmStatus_checks_it()
    {
        Engine.Require();
        var standin = SharedTools.RequireTool("uv-standin");
        using var p = new TestProject(sdk, "runsample");
        var name = "hsm-runsample-" + Path.GetFileName(p.Dir)[^6..];
        // The sample as shipped, with the offline stand-in images, no fixed host ports or container name
        // (the engine is shared) and a project name of its own.
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("name: my-rag-app", "name: " + name));
        var qdrant = p.Read("hsm-registry/services/qdrant.yaml");
        p.Write("hsm-registry/services/qdrant.yaml", qdrant.Replace("qdrant/qdrant:v1.12.0", "hsm-test/qdrant:1").Replace("\"6333:6333\"", "\"6333\"").Replace("container_name: vector-db\n", ""));
        var redis = p.Read("hsm-registry/services/redis.yaml");
        p.Write("hsm-registry/services/redis.yaml", redis.Replace("redis:7-alpine", "hsm-test/redis:7").Replace("\"6379:6379\"", "\"6379\""));
        var s = new Stack(p, name, standin);
        try
        {
            var watch = Stopwatch.StartNew();
            var up = p.BuildOk("-p:HsmUvPath=" + standin, "-p:HsmPull=never", "-t:HsmUp");
            output.WriteLine($"sample: HsmUp (build included) {watch.Elapsed.TotalSeconds:0.0} s; " + up.Output.Split('\n').FirstOrDefault(l => l.Contains("stack up in"))?.Trim());
            Assert.Contains("hsm: qdrant: running, healthy", up.Output);
            Assert.Contains("docs", Exec(s, "qdrant", "python3", "-c", "import os; print(os.environ['QDRANT__COLLECTION'])"));
            var status = p.BuildOk("-p:HsmUvPath=" + standin, "-t:HsmStatus");
            Assert.Contains("hsm: qdrant: ok (container running, healthy, image hsm-test/qdrant:1)", status.Output);
            Assert.Contains("hsm: redis: ok (container running, healthy, image hsm-test/redis:7)", status.Output);
            Assert.Contains("hsm: qdrant-adapter: ok (installed", status.Output);
            p.BuildOk("-p:HsmUvPath=" + standin, "-t:HsmDown", "-p:HsmDownVolumes=true");
            Assert.Empty(Containers(name));
            Assert.Empty(Volumes(name));
        }
        finally { CleanUp(s); }
    }

    [SkippableFact]
    public void Without_a_container_engine_every_command_fails_with_HSM6001_and_an_invalid_pull_with_HSM5004()
    {
        // No engine needed: the Compose command does not exist.
        var standin = SharedTools.RequireTool("uv-standin");
        using var p = new TestProject(sdk, "noengine", copySample: false);
        p.Write("hsm.yaml", "project:\n  name: hsm-noengine\n  registry: reg\nservices:\n  standalone:\n    - { name: redis }\n");
        p.Write("reg/services/redis.yaml", RedisYaml);
        var none = new[] { "-p:HsmUvPath=" + standin, "-p:HsmComposeCommand=/nonexistent/docker compose", "-p:HsmComposeValidate=false" };
        foreach (var target in new[] { "HsmUp", "HsmStatus", "HsmDown" })
        {
            var r = p.Build(none.Append("-t:" + target).ToArray());
            Assert.False(r.Succeeded, r.Output);
            var e = Assert.Single(r.Errors);
            Assert.Equal("HSM6001", e.Code);
            Assert.Contains("/nonexistent/docker compose", e.Text);
            Assert.EndsWith("docker-compose.hsm.yml", e.File);
        }
        var pull = p.Build(none.Append("-t:HsmUp").Append("-p:HsmPull=sometimes").ToArray());
        Assert.Equal("HSM5004", Assert.Single(pull.Errors).Code);

        // container_engine: podman → `podman compose` (Podman is not installed on the test machines: the
        // command line is what can be checked here).
        if (ToolOnPath("podman") is null)
        {
            p.Write("hsm.yaml", "project:\n  name: hsm-noengine\n  container_engine: podman\n  registry: reg\nservices:\n  standalone:\n    - { name: redis }\n");
            var podman = p.Build("-p:HsmUvPath=" + standin, "-p:HsmComposeValidate=false", "-p:HsmPull=never", "-t:HsmUp");
            var e = Assert.Single(podman.Errors);
            Assert.Equal("HSM6001", e.Code);
            Assert.Contains("'podman compose'", e.Text);
            Assert.Contains($"hsm: podman compose --project-directory {p.Dir} -f {p.PathOf("docker-compose.hsm.yml")} up --detach --wait --wait-timeout 300 --pull never", podman.Output);
            p.Write("hsm.yaml", "project:\n  name: hsm-noengine\n  registry: reg\nservices:\n  standalone:\n    - { name: redis }\n");
        }

        // dotnet run prints the error MSBuild-style and exits 1.
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = sdk.PackagesFolder, ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0", ["MSBUILDTERMINALLOGGER"] = "off" };
        var (code, text) = SharedTools.Run("dotnet", new[] { "run", "--project", "hsm.proj" }.Concat(none), p.Dir, env, timeoutMs: 600_000);
        Assert.Equal(1, code);
        Assert.Matches(@"docker-compose\.hsm\.yml\(\d+,\d+\): error HSM6001: ", text);
    }

    // ------------------------------------------------------------------ helpers

    private Process StartDotnetRun(Stack s, StringBuilder log)
    {
        var psi = Txn.ForegroundJob(s.Project.Dir); // like a terminal's foreground job (Ctrl+C signals the group)
        // The path users take: uv found on PATH (no HsmUvPath), docker compose through PATH/DOCKER_CONFIG.
        var bin = Path.Combine(s.Project.Dir, ".uv-on-path");
        Directory.CreateDirectory(bin);
        File.Copy(s.Uv, Path.Combine(bin, "uv"), overwrite: true);
        File.SetUnixFileMode(Path.Combine(bin, "uv"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var a in new[] { "dotnet", "run", "--project", "hsm.proj", "-p:HsmPull=never" }) psi.ArgumentList.Add(a);
        psi.Environment["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        psi.Environment["NUGET_PACKAGES"] = sdk.PackagesFolder;
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["MSBUILDTERMINALLOGGER"] = "off";
        psi.Environment["NO_COLOR"] = "1";
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (log) log.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static string? ToolOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static string Text(StringBuilder log) { lock (log) return log.ToString(); }

    private static void WaitFor(Process p, StringBuilder log, string text, TimeSpan guard)
    {
        var deadline = DateTime.UtcNow + guard;
        while (!Text(log).Contains(text, StringComparison.Ordinal))
        {
            if (p.HasExited) Assert.Fail($"dotnet run exited ({p.ExitCode}) before '{text}':\n{Text(log)}");
            if (DateTime.UtcNow > deadline) Assert.Fail($"no '{text}' after {guard.TotalSeconds} s:\n{Text(log)}");
            Thread.Sleep(200);
        }
    }

    private static (int ExitCode, string Output) Docker(params string[] args) => SharedTools.Run("docker", args, timeoutMs: 120_000);

    private static string Exec(Stack s, string service, params string[] command)
    {
        var args = new List<string> { "compose", "--project-directory", s.Project.Dir };
        foreach (var f in ComposeFiles(s.Project)) { args.Add("-f"); args.Add(f); }
        args.AddRange(new[] { "exec", "-T", service });
        args.AddRange(command);
        var (code, text) = SharedTools.Run("docker", args, s.Project.Dir, timeoutMs: 120_000);
        Assert.True(code == 0, $"exec in {service} failed ({code}): {text}");
        return text;
    }

    private static IEnumerable<string> ComposeFiles(TestProject p) =>
        new[] { "docker-compose.yml", "docker-compose.hsm.yml" }.Select(p.PathOf).Where(File.Exists);

    private static List<string> Lines(params string[] args) =>
        Docker(args).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static List<string> Containers(string project) => Lines("ps", "-aq", "--filter", "label=com.docker.compose.project=" + project);
    private static List<string> Networks(string project) => Lines("network", "ls", "-q", "--filter", "label=com.docker.compose.project=" + project);
    private static List<string> Volumes(string project) => Lines("volume", "ls", "-q", "--filter", "label=com.docker.compose.project=" + project);

    private static bool Alive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return false;
        var t = File.ReadAllText(stat);
        return t[t.LastIndexOf(')') + 2] is not ('Z' or 'X');
    }

    /// <summary>Whatever a failed test left: processes of pid files, containers, networks and volumes of the project.</summary>
    private static void CleanUp(Stack? s)
    {
        if (s is null) return;
        var run = s.Project.PathOf("obj/hsm/run");
        if (Directory.Exists(run))
            foreach (var f in Directory.EnumerateFiles(run, "*.pid"))
                if (int.TryParse(File.ReadLines(f).FirstOrDefault(), out var pid) && Alive(pid))
                    SharedTools.Run("kill", new[] { "-KILL", "--", "-" + pid });
        var args = new List<string> { "compose", "--project-directory", s.Project.Dir };
        foreach (var f in ComposeFiles(s.Project)) { args.Add("-f"); args.Add(f); }
        args.AddRange(new[] { "down", "--volumes", "--remove-orphans" });
        if (ComposeFiles(s.Project).Any()) SharedTools.Run("docker", args, s.Project.Dir, timeoutMs: 120_000);
        foreach (var id in Containers(s.Name)) Docker("rm", "-f", id);
        foreach (var id in Networks(s.Name)) Docker("network", "rm", id);
        foreach (var id in Volumes(s.Name)) Docker("volume", "rm", "-f", id);
    }
}

/// <summary>The container engine of ../shared/tools/container-engine (DOCKER_HOST from its env).</summary>
internal static class Engine
{
    private static readonly Lazy<string?> Problem = new(() =>
    {
        try
        {
            var (code, text) = SharedTools.Run("docker", new[] { "info", "--format", "{{.ServerVersion}}" }, timeoutMs: 60_000);
            if (code != 0) return $"`docker info` failed: {text.Trim()}";
            var (ccode, ctext) = SharedTools.Run("docker", new[] { "compose", "version" }, timeoutMs: 60_000);
            return ccode == 0 ? null : $"`docker compose version` failed: {ctext.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e) { return "docker is not on PATH: " + e.Message; }
        catch (TimeoutException e) { return e.Message; }
    });

    /// <summary>Returns when the engine answers; otherwise skips the test (fails it when CI=true).</summary>
    public static void Require() =>
        SharedTools.Require(Problem.Value is null,
            $"a container engine ({Problem.Value}); run `../shared/tools/container-engine setup` and `eval \"$(../shared/tools/container-engine env)\"` (docs/run.md)");
}
