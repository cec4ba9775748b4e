using Hsm.Benchmarks;
using Hsm.Tasks;
using Hsm.Tests.Model;
using Microsoft.Build.Framework;
using Xunit;

namespace Hsm.Tests.Tasks;

/// <summary>
/// HsmResolve hands the stack it wrote to HsmStage of the same build in memory (issue 16): staging from it must give
/// what staging from resolved.json gives, and it is used only while resolved.json is the file HsmResolve left.
/// </summary>
public sealed class StackHandoffTests : IDisposable
{
    private readonly List<string> _dirs = new();

    public void Dispose()
    {
        foreach (var d in _dirs) ModelKit.TryDelete(d);
    }

    private string Copy(string from)
    {
        var dir = ModelKit.NewTempDir();
        _dirs.Add(dir);
        ModelKit.CopyTree(from, dir);
        return dir;
    }

    private static T Task<T>(T task, FakeBuildEngine engine, string project) where T : HsmTask
    {
        task.BuildEngine = engine;
        task.ProjectDirectory = project;
        task.ProjectFile = Path.Combine(project, "hsm.proj");
        return task;
    }

    private static string Obj(string project) => Path.Combine(project, "obj", "hsm");

    private static HsmResolve Resolve(FakeBuildEngine e, string p) =>
        Task(new HsmResolve { ManifestPath = Path.Combine(p, "hsm.yaml"), IntermediateDirectory = Obj(p) }, e, p);

    private static HsmStage Stage(FakeBuildEngine e, string p) => Task(new HsmStage
    {
        ResolvedPath = Path.Combine(Obj(p), "resolved.json"), IntermediateDirectory = Obj(p), GitPath = "none",
        PyProjectPath = Path.Combine(p, "pyproject.toml"), ComposePath = Path.Combine(p, "docker-compose.hsm.yml"), LockPath = Path.Combine(p, "hsm.lock"),
    }, e, p);

    private static object? Offered(FakeBuildEngine e, string p) =>
        e.GetRegisteredTaskObject("Hsm.ResolvedStack|" + Path.GetFullPath(Path.Combine(Obj(p), "resolved.json")), RegisteredTaskObjectLifetime.Build);

    /// <summary>Every file staged (obj/hsm/stage), with the project's own path replaced, and what the task said.</summary>
    private static (bool Ok, string Errors, Dictionary<string, string> Files) Staged(FakeBuildEngine e, string p, bool ok)
    {
        var stage = Path.Combine(Obj(p), "stage");
        var files = Directory.Exists(stage)
            ? Directory.GetFiles(stage, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(stage, f), f => File.ReadAllText(f).Replace(p, "<project>"))
            : new();
        return (ok, string.Join("\n", e.Errors.Select(x => $"{x.Code} {x.Message}")).Replace(p, "<project>"), files);
    }

    public static TheoryData<string> Projects => new()
    {
        "tests/Hsm.Tasks.Tests/Fixtures/model/base", "samples/quickstart", "generated 300",
        "tests/Hsm.Tasks.Tests/Fixtures/model/upstream/six", "tests/Hsm.Tasks.Tests/Fixtures/model/upstream/complex",
        "tests/Hsm.Tasks.Tests/Fixtures/model/upstream/implicit", "tests/Hsm.Tasks.Tests/Fixtures/model/upstream/registry-examples",
        "tests/Hsm.Tasks.Tests/Fixtures/model/upstream/modes", "tests/Hsm.Tasks.Tests/Fixtures/model/upstream/canonical",
    };

    [Theory, MemberData(nameof(Projects))]
    public void Staging_the_stack_handed_over_gives_what_staging_resolved_json_gives(string project)
    {
        var root = ModelKit.NewTempDir();
        _dirs.Add(root);
        var source = project.StartsWith("generated", StringComparison.Ordinal)
            ? StackGenerator.Generate(Path.Combine(root, "gen"), int.Parse(project.Split(' ')[1]), 42).Directory
            : Path.Combine(SharedTools.RepoRoot, project);
        // The same copy staged twice from one resolution: on the resolving engine (handed over), then from the file.
        var (handed, read) = (Copy(source), Copy(source));
        var results = new List<(bool Ok, string Errors, Dictionary<string, string> Files)>();
        foreach (var (p, sameEngine) in new[] { (handed, true), (read, false) })
        {
            var e = new FakeBuildEngine();
            try
            {
                Assert.True(Resolve(e, p).Execute(), e.Log);
                Assert.NotNull(Offered(e, p));
                // The other: the next build (the first ended: its lock released, the stack dropped) stages resolved.json.
                if (!sameEngine) e.EndBuild();
                var stageEngine = sameEngine ? e : new FakeBuildEngine();
                var ok = Stage(stageEngine, p).Execute();
                Assert.Null(Offered(stageEngine, p)); // taken (or never there): nothing holds the stack after staging
                results.Add(Staged(stageEngine, p, ok));
                if (!sameEngine) stageEngine.EndBuild();
            }
            finally { e.EndBuild(); }
        }
        var (handedOver, fromFile) = (results[0], results[1]);
        Assert.Equal(fromFile.Ok, handedOver.Ok);
        Assert.Equal(fromFile.Errors, handedOver.Errors);
        Assert.Equal(fromFile.Files.Keys.Order(StringComparer.Ordinal), handedOver.Files.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, text) in fromFile.Files) Assert.True(text == handedOver.Files[name], $"{name} differs");
        Assert.NotEmpty(handedOver.Files);
    }

    [Fact]
    public void The_stack_is_used_once_and_only_while_resolved_json_is_the_file_written()
    {
        var p = Copy(Path.Combine(SharedTools.RepoRoot, "tests/Hsm.Tasks.Tests/Fixtures/model/base"));
        var json = Path.Combine(Obj(p), "resolved.json");
        var e = new FakeBuildEngine();
        try
        {
            Assert.Null(StackHandoff.Take(e, json)); // nothing offered
            Assert.True(Resolve(e, p).Execute(), e.Log);
            var offered = Assert.IsType<StackHandoff>(Offered(e, p)).Stack;
            Assert.Same(offered, StackHandoff.Take(e, json));
            Assert.Null(StackHandoff.Take(e, json)); // taken

            // resolved.json rewritten since (the same bytes at a later time; a byte more at the same time) or gone: the file counts.
            var bytes = File.ReadAllBytes(json);
            var written = File.GetLastWriteTimeUtc(json);
            foreach (var change in new Action[]
            {
                () => File.SetLastWriteTimeUtc(json, written.AddSeconds(1)),
                () => { File.WriteAllBytes(json, bytes.Append((byte)'\n').ToArray()); File.SetLastWriteTimeUtc(json, written); },
                () => File.Delete(json),
            })
            {
                File.WriteAllBytes(json, bytes);
                File.SetLastWriteTimeUtc(json, written);
                StackHandoff.Offer(e, json, offered);
                change();
                Assert.Null(StackHandoff.Take(e, json));
            }
            // Another project's resolved.json is another key.
            File.WriteAllBytes(json, bytes);
            StackHandoff.Offer(e, json, offered);
            Assert.Null(StackHandoff.Take(e, Path.Combine(p, "other", "resolved.json")));
            Assert.Same(offered, StackHandoff.Take(e, Path.Combine(p, "obj", ".", "hsm", "resolved.json")));
        }
        finally { e.EndBuild(); }
    }
}
