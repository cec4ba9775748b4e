using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Resolution;
using Microsoft.Build.Framework;

namespace Hsm.Tasks;

/// <summary>HsmList: the stack as a tree, logged and written to obj/hsm/stack.txt (the terminal logger hides messages).</summary>
public sealed class HsmReport : HsmTask
{
    [Required] public string ResolvedPath { get; set; } = "";
    [Required] public string OutputPath { get; set; } = "";

    protected override void Run(DiagnosticBag d)
    {
        var stack = ResolvedStack.Read(ResolvedPath);
        var text = StackReport.Tree(stack);
        Directory.CreateDirectory(Path.GetDirectoryName(OutputPath)!);
        File.WriteAllText(OutputPath, text);
        // One message, `<project> -> stack.txt` then the tree: the terminal logger shows it (BuildOutputReport).
        Log.LogMessage(MessageImportance.High, "{0}", BuildOutputReport.ReportMessage(ProjectName, ProjectDirectory, Path.GetFullPath(OutputPath), text.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }
}
