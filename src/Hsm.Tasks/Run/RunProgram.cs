using System.Globalization;
using System.Runtime.InteropServices;
using Hsm.Diagnostics;
using Hsm.Model;

namespace Hsm.Run;

/// <summary>
/// The program `dotnet run` starts (the SDK sets RunCommand/RunArguments to
/// `dotnet &lt;tasks&gt;/Hsm.Tasks.dll run --project-dir … …`): the stack in the foreground until Ctrl+C.
/// Problems print as MSBuild-style diagnostics (`file(line,col): error HSMnnnn: …`), exit code 1.
/// </summary>
public static class RunProgram
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] != "run")
        {
            Console.Error.WriteLine("usage: Hsm.Tasks run --project-dir D --intermediate-dir O --compose-path C [--compose-command X] [--pull P] [--uv U] [--tools-file F] [--timeout S]");
            return 2;
        }
        if (ParseArguments(args) is not var (s, toolsFile)) return 2;
        // uv as the build found it (_HsmFindTools, the one PATH lookup): a full path replaces the configured name.
        if (FoundTool(toolsFile, "uv") is { } uv) s.UvPath = uv;
        var d = new DiagnosticBag();
        using var cts = new CancellationTokenSource();
        // Ctrl+C / SIGTERM: stop what was started, then exit 0 (a terminal sends SIGINT to the whole group).
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        int code;
        try
        {
            if (s.Validate() is { } invalid) d.Add(invalid);
            if (d.HasErrors) return Report(d, s, 1);
            var plan = RunPlan.Load(s);
            var log = new ServiceLog(Console.Out, ServiceLog.UseColour(), plan.Containers.Select(c => c.Name).Concat(plan.Processes.Select(p => p.Name)));
            if (plan.Stack is null)
            {
                d.Error(Codes.NotBuilt, SourceSpan.None, $"The stack has not been built ({ResolvedStack.PathIn(s.IntermediateDirectory)} is missing): run `dotnet build` first.");
                return Report(d, s, 1);
            }
            if (plan.Containers.Count == 0 && plan.Processes.Count == 0)
            {
                log.Info("hsm: the stack has no managed container service and no uv-runtime service with a command: nothing to run.");
                return Report(d, s, 0);
            }
            var runner = new StackRunner(plan, log.Info);
            code = runner.RunForeground(d, log, cts.Token);
        }
        catch (HsmException e)
        {
            d.Add(e.Diagnostic);
            code = 1;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            d.Error(Codes.Internal, SourceSpan.None, $"Internal error in dotnet run: {e.Message}. Please report it.");
            code = 1;
        }
        return Report(d, s, d.HasErrors ? 1 : code);
    }

    /// <summary>The options after <c>run</c>, as pairs; null (reported) on an unknown option.</summary>
    private static (RunSettings Settings, string? ToolsFile)? ParseArguments(string[] args)
    {
        var s = new RunSettings();
        string? toolsFile = null;
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            switch (args[i])
            {
                case "--project-dir": s.ProjectDirectory = Path.GetFullPath(v); break;
                case "--intermediate-dir": s.IntermediateDirectory = Path.GetFullPath(v); break;
                case "--compose-path": s.ComposePath = Path.GetFullPath(v); break;
                case "--compose-command": s.ComposeCommand = v; break;
                case "--pull": s.Pull = v; break;
                case "--uv": s.UvPath = v; break;
                case "--tools-file": toolsFile = v; break;
                case "--timeout":
                    s.TimeoutSeconds = int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) ? t : -1;
                    break;
                default:
                    Console.Error.WriteLine($"hsm: unknown option '{args[i]}' (`dotnet run` takes the build's properties, e.g. -p:HsmPull=never, not arguments after --)");
                    return null;
            }
        }
        if (args.Length % 2 == 0) // "run" and pairs: an odd one out came after `dotnet run --`
        {
            Console.Error.WriteLine($"hsm: unexpected argument '{args[^1]}': `dotnet run` runs the whole stack and takes the build's properties (e.g. -p:HsmPull=never), not arguments after --");
            return null;
        }
        return (s, toolsFile);
    }

    /// <summary>
    /// A tool's full path from the file the build's _HsmFindTools writes (obj/hsm/tools.txt: `uv=`, `compose=` and
    /// `git=` lines, each a full path or `none`); null when the build did not find it or the file is missing.
    /// </summary>
    internal static string? FoundTool(string? toolsFile, string tool)
    {
        if (toolsFile is null || !File.Exists(toolsFile)) return null;
        foreach (var line in File.ReadAllLines(toolsFile))
            if (line.StartsWith(tool + "=", StringComparison.Ordinal) && line[(tool.Length + 1)..].Trim() is { Length: > 0 } path && path != "none")
                return path;
        return null;
    }

    private static int Report(DiagnosticBag d, RunSettings s, int code)
    {
        foreach (var x in d.Items)
        {
            var file = x.Span.File is null ? "hsm" : Path.IsPathRooted(x.Span.File) ? x.Span.File : Path.Combine(s.ProjectDirectory, x.Span.File);
            var where = x.Span.Line > 0 ? $"{file}({x.Span.Line},{x.Span.Column})" : file;
            var sev = x.Severity switch { Severity.Error => "error", Severity.Warning => "warning", _ => "message" };
            (x.Severity == Severity.Message ? Console.Out : Console.Error).WriteLine($"{where}: {sev} {x.Code}: {x.Message} [{x.HelpLink}]");
        }
        return code;
    }
}
