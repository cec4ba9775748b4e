using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Run;
using Microsoft.Build.Framework;

namespace Hsm.Tasks;

/// <summary>The parameters shared by HsmUp, HsmDown and HsmStatus (docs/run.md); the work is in Hsm.Run.</summary>
public abstract class RunTask : HsmTask
{
    [Required] public string IntermediateDirectory { get; set; } = "";
    [Required] public string ComposePath { get; set; } = "";
    public string? ComposeCommand { get; set; }
    public string? Pull { get; set; }
    public string? UvPath { get; set; }
    public string? Timeout { get; set; }
    public bool DownVolumes { get; set; }

    protected RunPlan? Plan(DiagnosticBag d)
    {
        var s = new RunSettings
        {
            ProjectDirectory = ProjectDirectory,
            IntermediateDirectory = IntermediateDirectory,
            ComposePath = ComposePath,
            ComposeCommand = ComposeCommand,
            Pull = Pull?.Trim(),
            UvPath = string.IsNullOrWhiteSpace(UvPath) ? "uv" : UvPath.Trim(),
            TimeoutSeconds = string.IsNullOrWhiteSpace(Timeout) ? 300 : int.TryParse(Timeout, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var t) ? t : -1,
            DownVolumes = DownVolumes,
        };
        if (s.Validate() is { } invalid) { d.Add(invalid); return null; }
        return RunPlan.Load(s);
    }

    protected void Say(string line) => Log.LogMessage(MessageImportance.High, "{0}", Printable.Text(line));
}

/// <summary>HsmUp: the stack, detached; returns when every container is healthy (or started) and every process started.</summary>
public sealed class HsmUp : RunTask
{
    protected override void Run(DiagnosticBag d)
    {
        var plan = Plan(d);
        if (plan is null) return;
        if (plan.Containers.Count == 0 && plan.Processes.Count == 0) { Say("hsm: the stack has no managed container service and no uv-runtime service with a command: nothing to start."); return; }
        Yielding(() => new StackRunner(plan, Say).Up(d, Cancellation.Token));
    }
}

/// <summary>HsmDown: stops what HsmUp started (processes with pid files; the Compose project, named volumes only with HsmDownVolumes=true).</summary>
public sealed class HsmDown : RunTask
{
    protected override void Run(DiagnosticBag d)
    {
        var plan = Plan(d);
        if (plan is null) return;
        Yielding(() => new StackRunner(plan, Say).Down(d, Cancellation.Token));
    }
}

/// <summary>HsmStatus: one line per component; an error with its code for every difference (written to obj/hsm/status.txt too).</summary>
public sealed class HsmStatus : RunTask
{
    public string? OutputPath { get; set; }

    protected override void Run(DiagnosticBag d)
    {
        var plan = Plan(d);
        if (plan is null) return;
        if (plan.Stack is null)
        {
            d.Error(Codes.NotBuilt, SourceSpan.None, $"The stack has not been resolved ({ResolvedStack.PathIn(IntermediateDirectory)} is missing): run `dotnet build` first.");
            return;
        }
        var runner = new StackRunner(plan, Say);
        var lines = Yielding(() => StatusChecker.Check(plan, runner.Compose, runner.Processes, runner.UvResolved, d, Cancellation.Token));
        foreach (var l in lines) Say(l);
        var summary = d.HasErrors ? $"hsm: status: {d.ErrorCount} difference{(d.ErrorCount == 1 ? "" : "s")} from the stack" : "hsm: status: everything runs and is installed as the stack says";
        Say(summary);
        if (!string.IsNullOrEmpty(OutputPath))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(OutputPath)!);
            File.WriteAllText(OutputPath, string.Join("\n", lines.Append(summary)) + "\n");
        }
    }
}
