using Hsm.Diagnostics;
using Microsoft.Build.Framework;
using MsTask = Microsoft.Build.Utilities.Task;

namespace Hsm.Tasks;

/// <summary>
/// Base of the Hsm tasks: thin adapters that turn MSBuild parameters into plain values, call the
/// plain C# code, and log its diagnostics at file(line,col) with a help link. No exception escapes.
/// </summary>
public abstract class HsmTask : MsTask, ICancelableTask
{
    protected readonly CancellationTokenSource Cancellation = new();

    [Required] public string ProjectDirectory { get; set; } = "";

    public void Cancel() => Cancellation.Cancel();

    public sealed override bool Execute()
    {
        var diagnostics = new DiagnosticBag();
        try
        {
            Run(diagnostics);
        }
        catch (HsmException e)
        {
            diagnostics.Add(e.Diagnostic);
        }
        catch (OperationCanceledException)
        {
            Log.LogMessage(MessageImportance.High, "hsm: cancelled; nothing was changed.");
            Report(diagnostics);
            return false;
        }
        catch (Exception e)
        {
            Report(diagnostics);
            Log.LogError(null, Codes.Internal, null, Diagnostic.HelpBase + Codes.Internal + ".md", null, 0, 0, 0, 0,
                "Internal error in {0}: {1}. Please report it with the binlog (dotnet build -bl).", GetType().Name, e.Message);
            Log.LogMessage(MessageImportance.Low, e.ToString());
            return false;
        }
        Report(diagnostics);
        return !Log.HasLoggedErrors && !diagnostics.HasErrors;
    }

    protected abstract void Run(DiagnosticBag diagnostics);

    protected void Report(DiagnosticBag diagnostics)
    {
        foreach (var d in diagnostics.Items) LogDiagnostic(d);
    }

    private void LogDiagnostic(Diagnostic d)
    {
        string? file = d.Span.File is null ? null : Path.IsPathRooted(d.Span.File) ? d.Span.File : Path.GetFullPath(Path.Combine(ProjectDirectory, d.Span.File));
        switch (d.Severity)
        {
            case Severity.Error:
                Log.LogError(null, d.Code, null, d.HelpLink, file, d.Span.Line, d.Span.Column, d.Span.EndLine, d.Span.EndColumn, "{0}", d.Message);
                break;
            case Severity.Warning:
                Log.LogWarning(null, d.Code, null, d.HelpLink, file, d.Span.Line, d.Span.Column, d.Span.EndLine, d.Span.EndColumn, "{0}", d.Message);
                break;
            default:
                Log.LogMessage(null, d.Code, null, file, d.Span.Line, d.Span.Column, d.Span.EndLine, d.Span.EndColumn, MessageImportance.Low, "{0}", d.Message);
                break;
        }
    }

    protected static bool IsTrue(string? v) => string.Equals(v?.Trim(), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Writes a file only when its content changes (keeps the timestamp otherwise).</summary>
    protected static bool WriteIfChanged(string path, string content)
    {
        if (File.Exists(path) && File.ReadAllText(path) == content) return false;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, content, new System.Text.UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
        return true;
    }
}
