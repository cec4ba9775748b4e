using BenchmarkDotNet.Attributes;
using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Staging;
using Hsm.Transaction;

namespace Hsm.Benchmarks;

/// <summary>
/// In-process work of a build on a generated stack of N components (seed 42): load, resolve, render
/// pyproject.toml and Compose, the budget figure "load + resolve + render" (HsmResolve + HsmStage:
/// resolve, pre-flight, resolved.json, every artifact rendered and staged), and the commit into the
/// (temporary) project folder. Run: dotnet run -c Release --project tests/Hsm.Benchmarks -- --filter '*'
/// </summary>
[MemoryDiagnoser]
[WarmupCount(2)]
[IterationCount(10)]
public class PipelineBenchmarks
{
    [Params(100, 1_000, 10_000)]
    public int N;

    private string _root = "";
    private InProcessPipeline _p = null!;
    private string _pristinePy = "";
    private ResolvedStack _stack = null!;
    private string _json = "";
    private StagePlan _plan = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), $"hsm-bdn-{N}-{Environment.ProcessId}");
        StackGenerator.Generate(_root, N, 42);
        _p = new InProcessPipeline(_root);
        _pristinePy = File.ReadAllText(Path.Combine(_root, "pyproject.toml"));
        (_stack, _json) = _p.Resolve(new DiagnosticBag());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    [Benchmark(Description = "load (hsm.yaml + registry index)")]
    public object Load() => _p.Load(new DiagnosticBag());

    [Benchmark(Description = "load + resolve")]
    public object LoadResolve() => _p.Resolve(new DiagnosticBag());

    [Benchmark(Description = "render pyproject.toml")]
    public object? RenderPyProject() => _p.RenderPyProject(_stack, new DiagnosticBag()).NewText;

    [Benchmark(Description = "render Compose")]
    public object? RenderCompose() => _p.RenderCompose(_stack);

    [Benchmark(Description = "load + resolve + render (budget 3)")]
    public object LoadResolveRender()
    {
        var d = new DiagnosticBag();
        var (_, json) = _p.Resolve(d);
        return _p.Stage(json, d);
    }

    [IterationSetup(Target = nameof(Commit))]
    public void BeforeCommit()
    {
        _p.ResetArtifacts(_pristinePy);
        _plan = _p.Stage(_json, new DiagnosticBag());
    }

    [Benchmark(Description = "commit (temp folder)")]
    public object Commit() => _p.Commit(_plan, new DiagnosticBag());
}
