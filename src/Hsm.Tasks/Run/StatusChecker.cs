using System.Text.Json;
using Hsm.Diagnostics;
using Hsm.Lock;
using Hsm.Python;
using Hsm.Uv;

namespace Hsm.Run;

/// <summary>
/// HsmStatus (the original tool's `--verify`, done right): compares what runs and what is installed with
/// the stack — each container service running, healthy when it has a healthcheck, from the image hsm
/// resolved; each uv-runtime process alive (a stale pid file is reported as such); each dependency hsm
/// owns (hsm.lock `owned`) installed per `uv pip list --format json`. One line per component; every
/// difference is an error with its code at the component's line in hsm.lock (or the Compose file).
/// </summary>
public static class StatusChecker
{
    public static List<string> Check(RunPlan plan, ComposeDriver? compose, ProcessRunner processes, string? uvPath, DiagnosticBag d, CancellationToken cancel)
    {
        var lines = new List<string>();
        CheckContainers(plan, compose, lines, d, cancel);
        CheckProcesses(plan, processes, lines, d);
        CheckPython(plan, uvPath, lines, d, cancel);
        return lines;
    }

    // ---- containers ----
    private static void CheckContainers(RunPlan plan, ComposeDriver? compose, List<string> lines, DiagnosticBag d, CancellationToken cancel)
    {
        if (plan.Containers.Count == 0) return;
        if (compose is null)
        {
            foreach (var svc in plan.Containers)
            {
                lines.Add($"hsm: {svc.Name}: container not checked ({plan.Label(plan.Settings.ComposePath)} is missing)");
                d.Error(Codes.NotBuilt, plan.LockSpan(svc.Name), $"Service '{svc.Name}' cannot be checked: {plan.Settings.ComposePath} is missing; run `dotnet build` first.");
            }
            return;
        }
        var (states, r) = compose.Ps(cancel);
        if (states is null)
        {
            d.Add(compose.EngineProblem(r, plan.ComposeSpan(plan.Containers[0].Name))
                  ?? new Diagnostic(Codes.ComposeFailed, Severity.Error, $"'{compose.Display(ComposeDriver.PsArgs)}' failed (exit code {r.ExitCode}): {plan.Redact(r.Output.Trim())}", new SourceSpan(plan.Label(plan.Settings.ComposePath), 0, 0)));
            lines.Add("hsm: containers: not checked (the container engine did not answer)");
            return;
        }
        foreach (var svc in plan.Containers)
        {
            var span = plan.LockSpan(svc.Name);
            var c = states.FirstOrDefault(x => x.Service == svc.Name);
            if (c is null)
            {
                lines.Add($"hsm: {svc.Name}: container MISSING");
                d.Error(Codes.ContainerNotRunning, span, $"Service '{svc.Name}' has no container: the stack is not up (run `dotnet build -t:HsmUp` or `dotnet run`).");
                continue;
            }
            lines.Add(CheckContainer(svc, c, span, d));
        }
    }

    /// <summary>One container against its service: running, healthy when it has a healthcheck, from the resolved image.</summary>
    private static string CheckContainer(Model.ResolvedService svc, ContainerState c, SourceSpan span, DiagnosticBag d)
    {
        var problems = new List<string>();
        if (c.State != "running")
        {
            problems.Add(c.Describe());
            d.Error(Codes.ContainerNotRunning, span, $"Service '{svc.Name}': container {c.Name} is {c.Describe()}, not running.");
        }
        else if (svc.Healthcheck != null && c.Health != "healthy")
        {
            problems.Add(c.Health == "" ? "no health status" : c.Health);
            d.Error(Codes.ContainerUnhealthy, span, $"Service '{svc.Name}': container {c.Name} is running but {(c.Health == "" ? "reports no health status" : c.Health)}, not healthy.");
        }
        var wanted = svc.Source?.Type == "docker-image" ? svc.Source.Image : null;
        if (wanted != null && !SameImage(wanted, c.Image))
        {
            problems.Add($"image {c.Image}, expected {wanted}");
            d.Error(Codes.ImageDiffers, span, $"Service '{svc.Name}': container {c.Name} runs image '{c.Image}', but the stack resolved '{wanted}' (run `dotnet build -t:HsmUp` to recreate it).");
        }
        var state = c.Describe() + (wanted != null ? $", image {c.Image}" : "");
        return problems.Count == 0 ? $"hsm: {svc.Name}: ok (container {state})" : $"hsm: {svc.Name}: DIFFERS (container {state})";
    }

    // ---- processes ----
    private static void CheckProcesses(RunPlan plan, ProcessRunner processes, List<string> lines, DiagnosticBag d)
    {
        foreach (var p in plan.Processes)
        {
            var c = processes.Check(p.Name);
            var span = plan.LockSpan(p.Name);
            switch (c.Status)
            {
                case PidStatus.Running:
                    lines.Add($"hsm: {p.Name}: ok (process {c.Detail})");
                    break;
                case PidStatus.Stale:
                    lines.Add($"hsm: {p.Name}: NOT RUNNING (stale pid file: {c.Detail})");
                    d.Error(Codes.ProcessNotRunning, span, $"Service '{p.Name}' is not running: its pid file {processes.PidFile(p.Name)} is stale ({c.Detail}). See its log {processes.LogFile(p.Name)}; run `dotnet build -t:HsmUp` to start it.");
                    break;
                default:
                    lines.Add($"hsm: {p.Name}: NOT RUNNING (no pid file)");
                    d.Error(Codes.ProcessNotRunning, span, $"Service '{p.Name}' is not running (no pid file {processes.PidFile(p.Name)}); run `dotnet build -t:HsmUp` or `dotnet run` to start it.");
                    break;
            }
        }
    }

    // ---- Python environments: every owned dependency installed ----
    private static void CheckPython(RunPlan plan, string? uvPath, List<string> lines, DiagnosticBag d, CancellationToken cancel)
    {
        var lockPath = Path.Combine(plan.ProjectDirectory, "hsm.lock");
        var lockFile = HsmLock.Read(lockPath, "hsm.lock", d);
        var managed = ManagedPyProjects(plan);
        foreach (var (label, owned) in lockFile.Owned)
        {
            if (owned.Entries.Count == 0) continue;
            if (!managed.Contains(label))
            {
                lines.Add($"hsm: {label}: not checked (hsm.lock lists it, but the stack manages no such pyproject.toml; build to update hsm.lock)");
                continue;
            }
            var dir = Path.GetDirectoryName(Path.GetFullPath(Path.Combine(plan.ProjectDirectory, label)))!;
            var envLabel = Path.GetRelativePath(plan.ProjectDirectory, Path.Combine(dir, ".venv")).Replace('\\', '/');
            if (uvPath is null)
            {
                lines.Add($"hsm: {envLabel}: not checked (uv not found)");
                d.Error(Codes.UvNotFound, new SourceSpan("hsm.lock", 0, 0), $"HsmStatus needs uv to list what is installed in {envLabel}, but uv was not found. Install uv (https://docs.astral.sh/uv/) or set HsmUvPath.");
                continue;
            }
            var installed = Installed(uvPath, dir, cancel, out var error);
            foreach (var e in owned.Entries.Where(e => Registry.Grammars.Identifier().IsMatch(e.Name)).OrderBy(e => e.Name, StringComparer.Ordinal))
                lines.Add(CheckInstalled(plan, lockPath, label, dir, envLabel, e, installed, error, d));
        }
    }

    /// <summary>hsm.lock is input, not authority (design §9): only the pyproject.toml files this stack manages are looked at.</summary>
    private static HashSet<string> ManagedPyProjects(RunPlan plan)
    {
        var managed = new HashSet<string>(StringComparer.Ordinal);
        if (plan.Stack is null) return managed;
        managed.Add(plan.Stack.Settings.TryGetValue("pyproject", out var root) ? root : "pyproject.toml");
        foreach (var svc in plan.Stack.Services.Where(s => s.Runtime == "uv" && s.ProfileMode == "managed" && s.Source != null))
            managed.Add(plan.Label(Path.Combine(RunPlan.ServiceDirectory(plan.ProjectDirectory, svc), "pyproject.toml")));
        return managed;
    }

    private static string CheckInstalled(RunPlan plan, string lockPath, string label, string dir, string envLabel, Python.OwnedEntry e,
        Dictionary<string, string>? installed, string? error, DiagnosticBag d)
    {
        var span = plan.Locate(lockPath, "^\\s*- name: \"" + System.Text.RegularExpressions.Regex.Escape(e.Name) + "\"\\s*$");
        if (installed is null)
        {
            d.Error(Codes.DependencyNotInstalled, span, $"'{e.Name}' ({label}) cannot be checked: {error}. Run `dotnet build` (uv sync).");
            return $"hsm: {e.Name}: NOT INSTALLED ({envLabel}: {error})";
        }
        if (installed.TryGetValue(Requirements.NormalizeName(e.Name), out var version))
            return $"hsm: {e.Name}: ok (installed {version} in {envLabel})";
        d.Error(Codes.DependencyNotInstalled, span, $"'{e.Name}', owned by hsm in {label}, is not installed in {envLabel} (uv pip list). Run `dotnet build` (uv sync), or `uv sync --project {Path.GetRelativePath(plan.ProjectDirectory, dir).Replace('\\', '/')}`.");
        return $"hsm: {e.Name}: NOT INSTALLED (in {envLabel})";
    }

    /// <summary>`uv pip list --format json` in a project folder: PEP 503 name → version; null with an error text when it fails.</summary>
    public static Dictionary<string, string>? Installed(string uv, string dir, CancellationToken cancel, out string error)
    {
        error = "";
        var r = ToolRunner.Run(uv, new[] { "pip", "list", "--format", "json" }, dir, cancel, UvCommands.Environment(), new ToolOptions(TimeSpan.FromMinutes(2)));
        if (!r.Started) { error = $"uv could not be started ({r.StartError})"; return null; }
        if (r.ExitCode != 0) { error = $"`uv pip list` failed: {r.Output.Trim()}"; return null; }
        var json = r.Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith('['));
        if (json is null) { error = "`uv pip list` printed no JSON"; return null; }
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(json);
            foreach (var e in doc.RootElement.EnumerateArray())
                if (e.TryGetProperty("name", out var n) && n.GetString() is string name)
                    result[Requirements.NormalizeName(name)] = e.TryGetProperty("version", out var v) ? v.GetString() ?? "" : "";
        }
        catch (JsonException e) { error = $"`uv pip list` printed invalid JSON ({e.Message})"; return null; }
        return result;
    }

    /// <summary>Image references compare with Docker's defaults (a missing tag is :latest; docker.io/library/ is implied).</summary>
    public static bool SameImage(string a, string b) => Normalize(a) == Normalize(b);

    private static string Normalize(string image)
    {
        var i = image.Trim();
        if (i.StartsWith("docker.io/", StringComparison.Ordinal)) i = i["docker.io/".Length..];
        if (i.StartsWith("library/", StringComparison.Ordinal)) i = i["library/".Length..];
        var lastSlash = i.LastIndexOf('/');
        if (!i.Contains('@') && i.IndexOf(':', lastSlash + 1) < 0) i += ":latest";
        return i;
    }
}
