using System.Text.RegularExpressions;
using Xunit;

namespace Hsm.Tests.Architecture;

/// <summary>
/// The folders of src/Hsm.Tasks are layers in data-flow order (docs/architecture.md): a folder uses only its own
/// layer and the layers before it, and no two folders use each other. A use of another folder's namespace in C#
/// is a <c>using Hsm.X</c> (plain, static or alias) or a name qualified with <c>X.</c> / <c>Hsm.X.</c>, so those are
/// what this reads (comments and strings left out). build/folder-deps.py prints the same edges with examples.
/// </summary>
public sealed class LayeringTests
{
    private static readonly string[][] Layers =
    {
        new[] { "Diagnostics", "IO", "Paths", "Yaml", "Uv", "Git" },
        new[] { "Manifest", "Registry" },
        new[] { "Resolution", "Model" },
        new[] { "Python", "Compose", "Lock" },
        new[] { "Staging" },
        new[] { "Transaction" },
        new[] { "Publish", "Run" },
        new[] { "Pipeline" },
        new[] { "Tasks" },
    };

    /// <summary>Known and accepted for now (docs/architecture.md, "Left to do"): remove an entry when its use is gone.</summary>
    private static readonly HashSet<(string From, string To)> AllowedUpward = new();

    private static string Root => Path.Combine(SharedTools.RepoRoot, "src", "Hsm.Tasks");

    private static Dictionary<(string From, string To), List<string>> Edges()
    {
        var folders = Directory.GetDirectories(Root).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).ToHashSet(StringComparer.Ordinal)!;
        var names = string.Join("|", folders.Select(Regex.Escape));
        var use = new Regex($@"\busing\s+(?:static\s+)?(?:\w+\s*=\s*)?Hsm\.({names})\b|(?<![\w.])(?:Hsm\.)?({names})\.[A-Z]\w*", RegexOptions.CultureInvariant);
        var edges = new Dictionary<(string, string), List<string>>();
        foreach (var folder in folders)
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, folder!), "*.cs", SearchOption.AllDirectories))
            {
                var text = Regex.Replace(File.ReadAllText(file), @"/\*.*?\*/|//[^\n]*|@""(?:""""|[^""])*""|""(?:\\.|[^""\\\n])*""", "", RegexOptions.Singleline);
                foreach (Match m in use.Matches(text))
                {
                    var to = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
                    if (to == folder) continue;
                    if (!edges.TryGetValue((folder!, to), out var list)) edges[(folder!, to)] = list = new();
                    list.Add($"{Path.GetFileName(file)}: {m.Value}");
                }
            }
        return edges;
    }

    [Fact]
    public void Every_folder_is_in_a_layer()
    {
        var known = Layers.SelectMany(l => l).ToHashSet(StringComparer.Ordinal);
        var folders = Directory.GetDirectories(Root).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj"));
        Assert.DoesNotContain(folders, f => !known.Contains(f!));
    }

    [Fact]
    public void No_folder_uses_a_later_layer()
    {
        var rank = Layers.SelectMany((l, i) => l.Select(f => (f, i))).ToDictionary(x => x.f, x => x.i);
        var upward = Edges().Where(e => rank[e.Key.From] < rank[e.Key.To] && !AllowedUpward.Contains(e.Key))
            .Select(e => $"{e.Key.From} (layer {rank[e.Key.From]}) uses {e.Key.To} (layer {rank[e.Key.To]}): {string.Join("; ", e.Value.Take(3))}").ToList();
        Assert.True(upward.Count == 0, string.Join("\n", upward));
    }

    [Fact]
    public void No_two_folders_use_each_other()
    {
        var edges = Edges();
        var cycles = edges.Keys.Where(e => string.CompareOrdinal(e.From, e.To) < 0 && edges.ContainsKey((e.To, e.From)))
            .Select(e => $"{e.From} <-> {e.To}: {string.Join("; ", edges[e].Take(2))} / {string.Join("; ", edges[(e.To, e.From)].Take(2))}").ToList();
        Assert.True(cycles.Count == 0, string.Join("\n", cycles));
    }

    [Fact]
    public void The_allowed_upward_uses_still_exist()
    {
        var edges = Edges();
        Assert.All(AllowedUpward, e => Assert.True(edges.ContainsKey(e), $"{e.From} -> {e.To} is gone: remove it from AllowedUpward (and build/folder-deps.py)"));
    }
}
