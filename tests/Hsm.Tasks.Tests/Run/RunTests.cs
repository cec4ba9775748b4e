using System.Diagnostics;
using System.Text.Json.Nodes;
using Hsm.Diagnostics;
using Hsm.Run;
using Xunit;

namespace Hsm.Tests.Run;

/// <summary>The command lines and the bookkeeping of running the stack (docs/run.md), without an engine.</summary>
public class RunTests
{
    [Fact]
    public void Compose_command_follows_the_container_engine_unless_it_was_set()
    {
        Assert.Equal(new[] { "docker", "compose" }, ComposeDriver.CommandFor(null, "docker"));
        Assert.Equal(new[] { "docker", "compose" }, ComposeDriver.CommandFor("docker compose", "docker"));
        Assert.Equal(new[] { "podman", "compose" }, ComposeDriver.CommandFor("docker compose", "podman"));
        Assert.Equal(new[] { "podman", "compose" }, ComposeDriver.CommandFor("", "podman"));
        Assert.Equal(new[] { "/usr/bin/docker-compose" }, ComposeDriver.CommandFor("/usr/bin/docker-compose", "podman"));
    }

    /// <summary>
    /// The real docker CLI without its Compose plugin (an empty DOCKER_CONFIG and no system plugin folder on
    /// this machine's CLI): `docker compose --project-directory …` fails at once; that is HSM6001 saying the
    /// plugin is missing, not HSM6002 "service did not become healthy".
    /// </summary>
    [SkippableFact]
    public void Docker_without_the_Compose_plugin_is_HSM6001_naming_the_plugin()
    {
        var docker = new[] { "/usr/local/bin/docker", "/usr/bin/docker" }.FirstOrDefault(File.Exists);
        SharedTools.Require(docker != null, "the docker CLI");
        var config = Path.Combine(Path.GetTempPath(), "hsm-noplugin-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(config);
        try
        {
            var c = new ComposeDriver(new[] { docker!, "compose" }, config, new[] { Path.Combine(config, "docker-compose.hsm.yml") });
            var r = Hsm.Uv.ToolRunner.Run(docker!, c.Args(ComposeDriver.PsArgs), config, CancellationToken.None,
                new Dictionary<string, string?> { ["DOCKER_CONFIG"] = config, ["DOCKER_CLI_PLUGIN_EXTRA_DIRS"] = null });
            if (r.ExitCode == 0) throw new SkipException("this docker CLI has a system-wide Compose plugin");
            var problem = c.EngineProblem(r, new SourceSpan("docker-compose.hsm.yml", 1, 1));
            Assert.NotNull(problem);
            Assert.Equal(Codes.EngineUnavailable, problem!.Code);
            Assert.Contains("has no Compose plugin", problem.Message);
        }
        finally { Directory.Delete(config, recursive: true); }
    }

    [Fact]
    public void Podman_up_command_line_merges_the_users_file_and_never_pulls()
    {
        var c = new ComposeDriver(ComposeDriver.CommandFor("docker compose", "podman"), "/p", new[] { "/p/docker-compose.yml", "/p/docker-compose.hsm.yml" });
        Assert.Equal("podman compose --project-directory /p -f /p/docker-compose.yml -f /p/docker-compose.hsm.yml up --detach --wait --wait-timeout 300 --pull never",
            c.Display(ComposeDriver.UpArgs("never", 300)));
        Assert.Equal(new[] { "compose", "--project-directory", "/p", "-f", "/p/docker-compose.yml", "-f", "/p/docker-compose.hsm.yml", "down", "--remove-orphans" },
            c.Args(ComposeDriver.DownArgs(volumes: false)));
    }

    [Fact]
    public void Pull_is_passed_only_when_set_and_down_removes_volumes_only_when_asked()
    {
        Assert.DoesNotContain("--pull", ComposeDriver.UpArgs(null, 60));
        Assert.DoesNotContain("--pull", ComposeDriver.UpArgs("", 60));
        Assert.Equal(new[] { "--pull", "always" }, ComposeDriver.UpArgs("Always", 60).TakeLast(2));
        Assert.Contains("--volumes", ComposeDriver.DownArgs(volumes: true));
        Assert.DoesNotContain("--volumes", ComposeDriver.DownArgs(volumes: false));
    }

    [Theory]
    [InlineData("sometimes")]
    [InlineData("--force")]
    public void An_invalid_pull_value_is_HSM5004(string pull)
    {
        var d = new RunSettings { Pull = pull }.Validate();
        Assert.NotNull(d);
        Assert.Equal(Codes.InvalidProperty, d!.Code);
        Assert.Contains(pull, d.Message);
        Assert.Null(new RunSettings { Pull = "never" }.Validate());
    }

    [Fact]
    public void Ps_output_is_read_as_lines_of_json_or_as_one_array()
    {
        const string lines = """
            {"Name":"app-redis-1","Service":"redis","State":"running","Health":"healthy","Image":"hsm-test/redis:7","ExitCode":0}
            {"Name":"app-web-1","Service":"web","State":"exited","Health":"","Image":"hsm-test/http:1","ExitCode":3}
            """;
        var a = ComposeDriver.ParsePs(lines);
        Assert.Equal(2, a.Count);
        Assert.True(a[0].Ready);
        Assert.False(a[1].Ready);
        Assert.Equal("exited with code 3", a[1].Describe());
        var b = ComposeDriver.ParsePs("""[{"Name":"x-1","Service":"x","State":"running","Health":"starting","Image":"i","ExitCode":0}]""");
        Assert.Equal("running, starting", Assert.Single(b).Describe());
        Assert.False(b[0].Ready);
        Assert.Empty(ComposeDriver.ParsePs("WARN[0000] something\n"));
    }

    [Fact]
    public void A_string_command_is_split_into_words_never_given_to_a_shell()
    {
        Assert.Equal(new[] { "python", "-m", "worker", "--name", "a b", "it's" }, RunPlan.CommandOf(JsonValue.Create("python -m worker --name \"a b\" \"it's\"")!));
        Assert.Equal(new[] { "echo", "$HOME;", "rm" }, RunPlan.CommandOf(JsonValue.Create("echo $HOME; rm")!));
        Assert.Equal(new[] { "a", "" }, RunPlan.CommandOf(JsonValue.Create("a ''")!));
        Assert.Equal(new[] { "x y", "z" }, RunPlan.CommandOf(new JsonArray("x y", "z")));
    }

    [Fact]
    public void Uv_run_command_line_is_exact()
    {
        var p = new ProcessSpec("worker", "/p/worker", "/p/worker/src", new[] { "python", "-m", "worker" },
            new[] { "/p/.env.hsm.local", "/p/config/worker.env", "/p/.env.worker" }, null);
        Assert.Equal(new[] { "run", "--project", "/p/worker", "--env-file", "/p/.env.hsm.local", "--env-file", "/p/config/worker.env", "--env-file", "/p/.env.worker", "--", "python", "-m", "worker" },
            ProcessRunner.UvRunArgs(p));
    }

    [Fact]
    public void A_pid_file_is_trusted_only_for_a_live_process_with_the_recorded_start_time()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hsm-run-" + Guid.NewGuid().ToString("N"));
        try
        {
            var r = new ProcessRunner(dir, "uv");
            Assert.Equal(PidStatus.NoPidFile, r.Check("svc").Status);
            Directory.CreateDirectory(dir);
            using var self = Process.GetCurrentProcess();
            var start = self.StartTime.ToUniversalTime().Ticks;
            File.WriteAllText(r.PidFile("svc"), $"{self.Id}\n{start}\n");
            // Alive, started at the recorded time, but not started by hsm (no HSM_RUN_SERVICE=svc in its environment).
            if (OperatingSystem.IsLinux())
            {
                var foreign = r.Check("svc");
                Assert.Equal(PidStatus.Stale, foreign.Status);
                Assert.Contains("not the service hsm started", foreign.Detail);
                Environment.SetEnvironmentVariable(ProcessRunner.MarkerVariable, "svc"); // /proc/self/environ is the start's: still not
                Assert.Equal(PidStatus.Stale, r.Check("svc").Status);
                Environment.SetEnvironmentVariable(ProcessRunner.MarkerVariable, null);
            }
            // The same pid, another start time: the pid was reused by another process.
            File.WriteAllText(r.PidFile("svc"), $"{self.Id}\n{start - TimeSpan.TicksPerHour}\n");
            var reused = r.Check("svc");
            Assert.Equal(PidStatus.Stale, reused.Status);
            Assert.Contains("another process", reused.Detail);
            // A process that has exited.
            using var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
            gone.WaitForExit();
            var pid = gone.Id;
            File.WriteAllText(r.PidFile("svc"), $"{pid}\n{start}\n");
            if (!ProcessExists(pid)) Assert.Equal(PidStatus.Stale, r.Check("svc").Status);
            File.WriteAllText(r.PidFile("svc"), "garbage\n");
            Assert.Equal(PidStatus.Stale, r.Check("svc").Status);
            // Process 1, or no start time: never trusted, never signalled (kill(-1) would signal every process).
            foreach (var text in new[] { "1\n", "1\n0\n", $"{self.Id}\n", $"{self.Id}\n0\n" })
            {
                File.WriteAllText(r.PidFile("svc"), text);
                Assert.Equal(PidStatus.Stale, r.Check("svc").Status);
            }
            Assert.Contains("stale", r.Stop("svc", TimeSpan.FromSeconds(1)));
            File.WriteAllText(r.PidFile("svc"), "garbage\n");
            Assert.Equal(new[] { "svc" }, r.PidFileNames());
            Assert.Contains("stale", r.Stop("svc", TimeSpan.FromSeconds(1)));
            Assert.False(File.Exists(r.PidFile("svc")));
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }

    private static bool ProcessExists(int pid)
    {
        try { using var p = Process.GetProcessById(pid); return !p.HasExited; } catch (ArgumentException) { return false; }
    }

    [Fact]
    public void A_detached_process_is_started_recorded_and_stopped()
    {
        if (OperatingSystem.IsWindows()) return;
        var dir = Path.Combine(Path.GetTempPath(), "hsm-run-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(dir);
            // A stand-in for uv: `run … -- CMD` runs CMD.
            var uv = Path.Combine(dir, "uv");
            File.WriteAllText(uv, "#!/bin/sh\nwhile [ \"$1\" != -- ]; do shift; done; shift; exec \"$@\"\n");
            File.SetUnixFileMode(uv, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var r = new ProcessRunner(Path.Combine(dir, "run"), uv);
            var spec = new ProcessSpec("sleeper", dir, dir, new[] { "sh", "-c", "echo up; exec sleep 600" }, Array.Empty<string>(), null);
            var (pid, error) = r.StartDetached(spec);
            Assert.Null(error);
            var c = r.Check("sleeper");
            Assert.Equal(PidStatus.Running, c.Status);
            Assert.Equal(pid, c.Pid);
            Assert.Contains("stopped", r.Stop("sleeper", TimeSpan.FromSeconds(30)));
            Assert.False(ProcessExists(pid) && !IsZombie(pid), "the process still runs");
            Assert.Contains("up", File.ReadAllText(r.LogFile("sleeper")));
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }

    /// <summary>
    /// `dotnet run` with uv-runtime processes only (no engine needed): a process that exits at once means the stack
    /// could not start (HSM6008, exit 1, what started is stopped); one that ends later is reported, and with no
    /// container left the run ends when the last process has — 0 when all succeeded, 1 with HSM6008 otherwise.
    /// </summary>
    [Theory]
    [InlineData("echo boom; exit 3", 1, "exited right after it started (exit code 3)")]
    [InlineData("echo working; sleep 3; echo done", 0, null)]
    [InlineData("echo working; sleep 3; exit 4", 1, "exited with code 4")]
    public void Dotnet_run_reports_a_process_that_exits_and_ends_when_nothing_is_left(string script, int code, string? error)
    {
        if (OperatingSystem.IsWindows()) return;
        var (dir, plan) = ProcessOnlyStack(script);
        try
        {
            var output = new StringWriter();
            var log = new ServiceLog(output, colour: false, new[] { "worker" });
            var d = new DiagnosticBag();
            // Hang guard (generous): the run must end by itself, without Ctrl+C.
            var run = Task.Run(() => new StackRunner(plan, log.Info).RunForeground(d, log, CancellationToken.None));
            Assert.True(run.Wait(TimeSpan.FromMinutes(2)), "dotnet run did not end when its only process had exited:\n" + output);
            Assert.Equal(code, run.Result);
            Assert.Equal(error is null ? 0 : 1, d.Items.Count(x => x.Severity == Severity.Error));
            if (error != null)
            {
                var e = Assert.Single(d.Items);
                Assert.Equal(Codes.ProcessFailed, e.Code);
                Assert.Equal("reg/services/worker.yaml", e.Span.File);
                Assert.Contains(error, e.Message);
            }
            Assert.Contains("worker | " + (script.StartsWith("echo boom") ? "boom" : "working"), output.ToString());
            Assert.DoesNotContain("stack ready", error?.Contains("right after") == true ? output.ToString() : "");
            Assert.False(File.Exists(Path.Combine(dir, "obj", "hsm", "run", "worker.pid")));
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }

    /// <summary>
    /// `dotnet run` while HsmUp's process runs: starting it again would run it twice, and stopping the run would drop
    /// the pid file and leave the first one running untracked. HSM6008 before anything starts; the first stays tracked.
    /// </summary>
    [Fact]
    public void Dotnet_run_refuses_a_process_that_is_already_running()
    {
        if (OperatingSystem.IsWindows()) return;
        var (dir, plan) = ProcessOnlyStack("echo second; exec sleep 600");
        try
        {
            var runner = new StackRunner(plan, _ => { });
            var (pid, error) = runner.Processes.StartDetached(plan.Processes[0] with { Command = new[] { "sh", "-c", "exec sleep 600" } });
            Assert.Null(error);
            var pidFile = File.ReadAllText(Path.Combine(dir, "obj", "hsm", "run", "worker.pid"));
            var output = new StringWriter();
            var log = new ServiceLog(output, colour: false, new[] { "worker" });
            var d = new DiagnosticBag();
            var run = Task.Run(() => runner.RunForeground(d, log, CancellationToken.None));
            Assert.True(run.Wait(TimeSpan.FromMinutes(2)), "dotnet run hung");
            Assert.Equal(1, run.Result);
            var e = Assert.Single(d.Items);
            Assert.Equal(Codes.ProcessFailed, e.Code);
            Assert.Contains($"already running (pid {pid}", e.Message);
            Assert.DoesNotContain("second", output.ToString());
            Assert.Equal(pidFile, File.ReadAllText(Path.Combine(dir, "obj", "hsm", "run", "worker.pid")));
            Assert.Contains("stopped", runner.Processes.Stop("worker", TimeSpan.FromSeconds(30)));
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }

    /// <summary>A built project (resolved.json) whose only service is a uv-runtime process running <paramref name="script"/>, with a uv stand-in that runs the command.</summary>
    private static (string Dir, RunPlan Plan) ProcessOnlyStack(string script)
    {
        var dir = Path.Combine(Path.GetTempPath(), "hsm-run-" + Guid.NewGuid().ToString("N"));
        var obj = Path.Combine(dir, "obj", "hsm");
        Directory.CreateDirectory(obj);
        var uv = Path.Combine(dir, "uv");
        File.WriteAllText(uv, "#!/bin/sh\nwhile [ \"$1\" != -- ]; do shift; done; shift; exec \"$@\"\n");
        File.SetUnixFileMode(uv, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var stack = new Hsm.Model.ResolvedStack { ProjectName = "p" };
        stack.Services.Add(new Hsm.Model.ResolvedService
        {
            Name = "worker", Runtime = "uv", RegistryFile = "reg/services/worker.yaml",
            Source = new Hsm.Model.ServiceSource { Type = "local", Path = "." }, Command = new JsonArray("sh", "-c", script),
        });
        File.WriteAllText(Hsm.Model.ResolvedStack.PathIn(obj), stack.ToJson());
        return (dir, RunPlan.Load(new RunSettings { ProjectDirectory = dir, IntermediateDirectory = obj, ComposePath = Path.Combine(dir, "docker-compose.hsm.yml"), UvPath = uv }));
    }

    /// <summary>HSM6002 for a container that never ran says why when the engine's words tell (the engine's own words from a real run).</summary>
    [Theory]
    [InlineData("Error response from daemon: driver failed programming external connectivity on endpoint h1-redis-1 (042b): Error starting userland proxy: listen tcp4 0.0.0.0:16379: bind: address already in use", null, "host port it publishes is already in use")]
    [InlineData("Error response from daemon: Bind for 0.0.0.0:6379 failed: port is already allocated", "never", "host port it publishes is already in use")]
    [InlineData("Error response from daemon: no such image: hsm-test/nothere:7: No such image: hsm-test/nothere:7", "never", "HsmPull=never forbids pulling it")]
    [InlineData(" redis Error Get \"https://registry-1.docker.io/v2/\": proxyconnect tcp: dial tcp 127.0.0.1:9: connect: connection refused", null, "could not be pulled")]
    [InlineData("Error response from daemon: pull access denied for nothere, repository does not exist or may require 'docker login'", "missing", "could not be pulled")]
    [InlineData("container h1-web-1 exited (1)", null, "")]
    public void A_container_that_could_not_start_is_explained(string output, string? pull, string hint)
    {
        var plan = RunPlan.Load(new RunSettings { ProjectDirectory = Path.GetTempPath(), IntermediateDirectory = Path.Combine(Path.GetTempPath(), "hsm-none-" + Guid.NewGuid().ToString("N")), Pull = pull });
        var text = new StackRunner(plan, _ => { }).StartHint(output);
        if (hint.Length == 0) Assert.Equal("", text);
        else Assert.Contains(hint, text);
    }

    /// <summary>`dotnet run -- redis`: the runner takes no arguments of its own after `--` (it ignored an odd one out).</summary>
    [Theory]
    [InlineData("redis")]
    [InlineData("--frobnicate", "x")]
    public void Arguments_after_dotnet_run_double_dash_are_usage_errors(params string[] extra)
    {
        var dir = Path.GetTempPath();
        var args = new[] { "run", "--project-dir", dir, "--intermediate-dir", Path.Combine(dir, "hsm-none-" + Guid.NewGuid().ToString("N")), "--compose-path", Path.Combine(dir, "none.yml") };
        Assert.Equal(2, RunProgram.Main(args.Concat(extra).ToArray()));
    }

    private static bool IsZombie(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return true;
        var t = File.ReadAllText(stat);
        return t[t.LastIndexOf(')') + 2] is 'Z' or 'X';
    }

    [Theory]
    [InlineData("redis", "docker.io/library/redis:latest", true)]
    [InlineData("hsm-test/redis:7", "hsm-test/redis:7", true)]
    [InlineData("hsm-test/redis:7", "hsm-test/redis:6", false)]
    [InlineData("localhost:5000/x", "localhost:5000/x:latest", true)]
    public void Images_compare_with_dockers_defaults(string a, string b, bool same) => Assert.Equal(same, StatusChecker.SameImage(a, b));
}
