using Hsm.Staging;
using Hsm.Transaction;

namespace Hsm.Tasks;

/// <summary>
/// What a build, HsmCheck or HsmList shows the user (issue 14): `&lt;project&gt; -&gt; &lt;path&gt;` for each file
/// written, like `Proj -&gt; bin/x.dll`, and one line per changed entry with its reason. The terminal logger
/// (the default of `dotnet build`) hides messages below `-v:d` and shows a project's last
/// `&lt;project&gt; -&gt; &lt;path&gt;` message as its output link, lines after the path included: so the last message
/// carries the lines the user must see (the changes, the plan, the tree); every other logger prints every message.
/// </summary>
public static class BuildOutputReport
{
    /// <summary>The messages of a commit: one per written file, sorted; the last carries the change lines and the summary.</summary>
    public static List<string> CommitMessages(string projectName, string projectDirectory, IReadOnlyList<string> written, IReadOnlyList<string> changes, string summary)
    {
        // Sorted, the main file (pyproject.toml) last: the terminal logger shows the last one.
        var files = written.Distinct(StringComparer.Ordinal)
            .OrderBy(p => Path.GetFileName(p) == "pyproject.toml" && Path.GetDirectoryName(p) == projectDirectory.TrimEnd('/', '\\') ? 1 : 0)
            .ThenBy(p => p, StringComparer.Ordinal).ToList();
        if (files.Count == 0) return new List<string> { summary };
        var messages = files.Take(files.Count - 1).Select(f => $"{projectName} -> {f}").ToList();
        messages.Add(ReportMessage(projectName, projectDirectory, files[^1], changes.Append(summary)));
        return messages;
    }

    /// <summary>
    /// One message: `&lt;project&gt; -&gt; &lt;file&gt;`, then the lines, indented (a commit's changes, HsmCheck's plan,
    /// HsmList's tree). The terminal logger makes a file:// link of the directory of everything after the arrow:
    /// when a line holds a path separator that link would swallow the lines, so the file is then named relative
    /// to the project (no link; the text as it is).
    /// </summary>
    public static string ReportMessage(string projectName, string projectDirectory, string path, IEnumerable<string> lines)
    {
        var list = lines.ToList();
        var shown = list.Any(l => l.Contains('/') || l.Contains('\\')) ? Path.GetRelativePath(projectDirectory, path).Replace('\\', '/') : path;
        return $"{projectName} -> {shown}" + string.Concat(list.Select(l => "\n    " + l));
    }

    /// <summary>
    /// The changed entries of a commit about to run, as the staging recorded them in the plan (old hsm.lock
    /// against the staged one): `+ milvus-adapter&gt;=2.4,&lt;3 (selection)`, `- service qdrant (deselected, was selection)`.
    /// hsm.lock's own lines repeat the others and are left out (so are uv.lock's); an entry of another file than a
    /// pyproject.toml or the Compose file names it (`+ QDRANT_URL in .env.hsm (selection)`). A plan.json of
    /// before version 2 carries no entries: no lines.
    /// </summary>
    public static List<string> ChangeLines(StagePlan plan, string projectDirectory, string intermediateDirectory)
    {
        string label(string p) => Hsm.Paths.ProjectPaths.Key(projectDirectory, p);
        var plain = plan.Files.Where(f => f.Kind is ArtifactKind.Pyproject or ArtifactKind.Compose).Select(f => label(f.Target)).ToHashSet(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var e in plan.Entries)
        {
            if (e.Kind is ArtifactKind.Lock or ArtifactKind.Uvlock) continue;
            result.Add(plain.Contains(e.Artifact) ? e.Change : $"{e.Op} {e.Entry} in {e.Artifact} ({e.Reason})");
        }
        return result;
    }
}
