using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using Hsm.Benchmarks;
using Hsm.Diagnostics;

// generate <dir> <N> <seed>   writes a synthetic stack (build/bench.sh)
// toggle <dir>                flips the marked selection of hsm.yaml (rebuild after one selection change)
// pipeline <dir> [reps]       Stopwatch + allocation figures per phase of the in-process pipeline (median of reps
//                             after a warm-up round; reps = 0: the cold first round alone)
// memory <dir>                the cold pipeline once (resolve, stage, commit): live heap after each phase (after a
//                             full collection), peak working set and allocations (issue 16, goal 3)
// anything else               BenchmarkDotNet (e.g. --filter '*' --inProcess)
var inv = CultureInfo.InvariantCulture;
switch (args.FirstOrDefault())
{
    case "generate" when args.Length >= 4:
    {
        var sw = Stopwatch.StartNew();
        var g = StackGenerator.Generate(Path.GetFullPath(args[1]), int.Parse(args[2], inv), int.Parse(args[3], inv));
        Console.WriteLine($"generated {g.Components} components ({g.Libraries} libraries, {g.Services} services, {g.LibraryGroups} library groups, {g.ServiceGroups} service groups, {g.RegistryFiles} registry files) in {g.Directory} ({sw.ElapsedMilliseconds} ms); switch group {g.SwitchGroup}");
        return 0;
    }
    case "toggle" when args.Length >= 2:
        Console.WriteLine(StackGenerator.ToggleSelection(Path.GetFullPath(args[1])));
        return 0;
    case "pipeline" when args.Length >= 2:
        return Pipeline(Path.GetFullPath(args[1]), args.Length > 2 ? int.Parse(args[2], inv) : 5);
    case "memory" when args.Length >= 2:
        return Memory(Path.GetFullPath(args[1]));
    case "profile" when args.Length >= 3:
    {
        // profile <dir> <phase: resolve|pyproject|compose|stage> [reps]: one phase in a loop, for a sampling profiler
        var p = new InProcessPipeline(Path.GetFullPath(args[1]), Path.Combine(Path.GetTempPath(), $"hsm-profile-{Environment.ProcessId}"));
        var (stack, json) = p.Resolve(new DiagnosticBag());
        int reps = args.Length > 3 ? int.Parse(args[3], inv) : 20;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++)
            _ = args[2] switch
            {
                "resolve" => (object)p.Resolve(new DiagnosticBag()),
                "pyproject" => p.RenderPyProject(stack, new DiagnosticBag()),
                "compose" => p.RenderCompose(stack)!,
                _ => p.Stage(json, new DiagnosticBag()),
            };
        Console.WriteLine($"{args[2]}: {sw.Elapsed.TotalMilliseconds / reps:F2} ms per run");
        return 0;
    }
    default:
        BenchmarkSwitcher.FromAssembly(typeof(PipelineBenchmarks).Assembly).Run(args);
        return 0;
}

static int Pipeline(string dir, int reps)
{
    var p = new InProcessPipeline(dir, Path.Combine(Path.GetTempPath(), $"hsm-pipeline-{Environment.ProcessId}"));
    var pristine = File.ReadAllText(Path.Combine(dir, "pyproject.toml"));
    var names = new[] { "load", "load+resolve", "stage (render all)", "load+resolve+render", "commit" };
    var times = names.ToDictionary(n => n, _ => new List<double>());
    var allocs = names.ToDictionary(n => n, _ => new List<long>());
    void Measure(string name, Action a)
    {
        var b = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        a();
        times[name].Add(sw.Elapsed.TotalMilliseconds);
        allocs[name].Add(GC.GetAllocatedBytesForCurrentThread() - b);
    }
    for (int i = 0; i < reps + 1; i++) // the first round is a warm-up (JIT), not reported
    {
        p.ResetArtifacts(pristine);
        var d = new DiagnosticBag();
        Measure("load", () => p.Load(d));
        string json = "";
        Measure("load+resolve", () => json = p.Resolve(d).Json);
        Measure("stage (render all)", () => p.Stage(json, d));
        Measure("load+resolve+render", () => p.Stage(p.Resolve(d).Json, d));
        Hsm.Staging.StagePlan plan = null!;
        plan = p.Stage(json, d);
        Measure("commit", () => p.Commit(plan, d));
        if (i == 0 && reps > 0) foreach (var n in names) { times[n].Clear(); allocs[n].Clear(); }
        if (reps == 0) break; // `pipeline <dir> 0`: the cold first round only (what one build pays: JIT, first use)
    }
    p.ResetArtifacts(pristine);
    var (st, _) = p.Resolve(new DiagnosticBag());
    Console.WriteLine($"stack: {st.Libraries.Count} libraries, {st.Services.Count} services, {st.Groups.Count} groups");
    {
        // raw YAML cost: every registry file parsed once (no model built)
        var files = new[] { "libraries", "services", "library_groups", "service_groups" }.Select(s => Path.Combine(dir, "hsm-registry", s))
            .Where(Directory.Exists).SelectMany(d => Directory.EnumerateFiles(d, "*.yaml")).ToList();
        foreach (var f in files.Take(50)) Hsm.Yaml.SafeYamlLoader.LoadFile(f, f, new DiagnosticBag()); // warm-up
        var before = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        foreach (var f in files) Hsm.Yaml.SafeYamlLoader.LoadFile(f, f, new DiagnosticBag());
        var elapsed = sw.Elapsed.TotalMilliseconds;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "yaml: {0} registry files parsed in {1:F1} ms ({2:F1} us/file), {3:F1} MB allocated ({4:F1} KB/file)",
            files.Count, elapsed, elapsed * 1000 / files.Count, allocated / 1048576.0, allocated / 1024.0 / files.Count));
    }
    Console.WriteLine($"{"phase",-22} {"median ms",10} {"min ms",8} {"alloc MB",9}");
    foreach (var n in names)
    {
        var t = times[n].OrderBy(x => x).ToList();
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-22} {1,10:F1} {2,8:F1} {3,9:F1}", n, t[t.Count / 2], t[0], allocs[n].OrderBy(x => x).ElementAt(t.Count / 2) / 1048576.0));
    }
    return 0;
}

static int Memory(string dir)
{
    var p = new InProcessPipeline(dir, Path.Combine(Path.GetTempPath(), $"hsm-memory-{Environment.ProcessId}"));
    var proc = Process.GetCurrentProcess();
    void Report(string phase)
    {
        var heap = GC.GetTotalMemory(forceFullCollection: false);
        proc.Refresh();
        var peak = proc.PeakWorkingSet64;
        var live = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-10} heap {1,7:F1} MB, live {2,7:F1} MB, peak working set {3,7:F1} MB, allocated {4,8:F1} MB, gen2 GCs {5}",
            phase, heap / 1048576.0, live / 1048576.0, peak / 1048576.0, GC.GetTotalAllocatedBytes() / 1048576.0, GC.CollectionCount(2)));
    }
    Report("start");
    var d = new DiagnosticBag();
    var loader = p.Load(d);
    Report("load");
    GC.KeepAlive(loader);
    var resolved = p.Pipeline.Resolve(p.Inputs, d).Stack;
    Report("resolution");
    var text = resolved!.ToJson();
    Report("to json");
    GC.KeepAlive(text);
    var (stack, json) = p.Resolve(d);
    Report("resolve");
    var plan = p.Stage(json, d);
    Report("stage");
    p.Commit(plan, d);
    Report("commit");
    GC.KeepAlive(stack);
    // The YAML fast path (issue 16): YamlDotNet is loaded only when some file needs it.
    Console.WriteLine($"YamlDotNet loaded: {(AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "YamlDotNet") ? "yes" : "no")}");
    return 0;
}
