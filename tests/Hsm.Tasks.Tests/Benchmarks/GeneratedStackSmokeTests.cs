using Hsm.Benchmarks;
using Hsm.Diagnostics;
using Xunit;

namespace Hsm.Tasks.Tests.Benchmarks;

/// <summary>
/// CI smoke test of the benchmark code (tests/Hsm.Benchmarks, linked into this assembly): the stack
/// generator at N = 100 and the in-process pipeline once (load, resolve, stage, commit). BenchmarkDotNet
/// itself never runs under dotnet test.
/// </summary>
public sealed class GeneratedStackSmokeTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hsm-gen-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    [Fact]
    public void Generator_is_deterministic_from_its_seed()
    {
        var a = StackGenerator.Generate(Path.Combine(_root, "a"), 100, 7);
        var b = StackGenerator.Generate(Path.Combine(_root, "b"), 100, 7);
        var c = StackGenerator.Generate(Path.Combine(_root, "c"), 100, 8);
        Assert.Equal(File.ReadAllText(Path.Combine(a.Directory, "hsm.yaml")).Replace("seed 7", ""), File.ReadAllText(Path.Combine(b.Directory, "hsm.yaml")).Replace("seed 7", ""));
        Assert.NotEqual(File.ReadAllText(Path.Combine(a.Directory, "hsm.yaml")).Replace("seed 7", ""), File.ReadAllText(Path.Combine(c.Directory, "hsm.yaml")).Replace("seed 8", ""));
        var files = (string d) => Directory.GetFiles(d, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(d, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files(a.Directory), files(b.Directory));
        Assert.Equal(50, a.Libraries);
        Assert.Equal(50, a.Services);
        Assert.True(a.LibraryGroups >= 2 && a.ServiceGroups >= a.LibraryGroups);
    }

    [Fact]
    public void Generated_stack_of_100_goes_through_the_in_process_pipeline()
    {
        var g = StackGenerator.Generate(_root, 100, 42);
        var p = new InProcessPipeline(g.Directory);
        var d = new DiagnosticBag();
        var (stack, plan, outcome) = p.RunAll(d);
        Assert.False(d.HasErrors, string.Join("\n", d.Items));
        Assert.DoesNotContain(d.Items, x => x.Severity == Severity.Warning);

        // a real mix: libraries and services in several modes, groups of both strategies, implied services with params
        Assert.NotEmpty(stack.Libraries);
        Assert.NotEmpty(stack.Services);
        Assert.Contains(stack.Groups, x => x.Strategy == "M-of-N");
        Assert.Contains(stack.Groups, x => x.Strategy == "1-of-N");
        Assert.Contains(stack.Libraries, l => l.Mode == "dev" && l.Source.Type == "local");
        Assert.Contains(stack.Libraries, l => l.Mode == "prod");
        Assert.Contains(stack.Services, s => s.Params.ContainsKey("collection"));
        Assert.Contains(stack.Services, s => s.Origins.Any(o => o.Rule == "implies"));
        Assert.Contains(stack.Services, s => s.EnvFiles.Count > 0);
        Assert.True(outcome.Written >= 4, $"{outcome.Written} files written");
        foreach (var f in new[] { "pyproject.toml", "docker-compose.hsm.yml", "hsm.lock", ".env.hsm", ".env.hsm.local" })
            Assert.True(File.Exists(Path.Combine(g.Directory, f)), f);

        // a second pass changes nothing; one selection change rewrites the artifacts
        var again = p.RunAll(new DiagnosticBag());
        Assert.Equal(0, again.Outcome.Written);
        var selected = StackGenerator.ToggleSelection(g.Directory);
        var d2 = new DiagnosticBag();
        var changed = p.RunAll(d2);
        Assert.False(d2.HasErrors, string.Join("\n", d2.Items));
        Assert.Contains(changed.Stack.Libraries, l => l.Name == selected);
        Assert.True(changed.Outcome.Written >= 2);
        Assert.NotEqual(selected, StackGenerator.ToggleSelection(g.Directory)); // toggles back
    }
}
