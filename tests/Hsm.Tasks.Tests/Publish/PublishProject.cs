using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Publish;
using Hsm.Resolution;
using Hsm.Staging;
using Hsm.Transaction;

namespace Hsm.Tests.Publish;

/// <summary>
/// A temporary copy of samples/quickstart (or an empty project) that HsmPublish's plain C# runs on, the way
/// the task does it: prod-mode resolution, the publisher, staging with hsm.lock, the journal commit.
/// </summary>
internal sealed class PublishProject : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "hsm-publish-" + Guid.NewGuid().ToString("N")[..10]);
    public string Obj => Path.Combine(Dir, "obj", "hsm");

    public PublishProject(bool copySample = true)
    {
        Directory.CreateDirectory(Dir);
        if (!copySample) return;
        var sample = Path.Combine(SharedTools.RepoRoot, "samples", "quickstart");
        foreach (var rel in new[] { "hsm.yaml", "hsm-registry", "config", "docker", "packages" })
        {
            var from = Path.Combine(sample, rel);
            if (File.Exists(from)) { File.Copy(from, Path.Combine(Dir, rel)); continue; }
            foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            {
                var dest = Path.Combine(Dir, rel, Path.GetRelativePath(from, f));
                Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                File.Copy(f, dest);
            }
        }
    }

    public string PathOf(string rel) => Path.Combine(Dir, rel);
    public string Read(string rel) => File.ReadAllText(PathOf(rel));
    public void Write(string rel, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PathOf(rel))!);
        File.WriteAllText(PathOf(rel), text);
    }
    public void Edit(string rel, string from, string to)
    {
        var text = Read(rel);
        if (!text.Contains(from, StringComparison.Ordinal)) throw new InvalidOperationException($"'{from}' not in {rel}");
        Write(rel, text.Replace(from, to, StringComparison.Ordinal));
    }

    public ResolveRequest Request(string? forcedMode = null) => new()
    {
        ManifestPath = PathOf("hsm.yaml"), ProjectDirectory = Dir, PropertyBaseDirectory = Dir, ForcedMode = forcedMode,
        RegistryFilesRead = new List<string>(),
    };

    public ResolvedStack? Resolve(DiagnosticBag d, string? forcedMode = null) => PublishPipeline.Resolve(Request(forcedMode), d).Stack;

    public string PublishPath(string target) => PathOf("deploy/" + target);

    public PublishRequest PublishRequest(string target, bool locked = false, string? publishPath = null, string endpointMode = "vip") => new()
    {
        ProjectDirectory = Dir, IntermediateDirectory = Obj, Target = target, PublishPath = publishPath ?? PublishPath(target),
        LockPath = PathOf("hsm.lock"), Locked = locked, GeneratorVersion = "0.0.0-test", SwarmEndpointMode = endpointMode,
    };

    /// <summary>The published files (name → text) without writing anything; null on errors.</summary>
    public SortedDictionary<string, string>? Render(string target, DiagnosticBag d, string? forcedMode = null, string endpointMode = "vip")
    {
        var stack = Resolve(d, forcedMode);
        if (stack is null) return null;
        var ctx = new PublishContext(Dir, PublishPath(target), "0.0.0-test", Hsm.Staging.Stager.CanonicalHash(stack), endpointMode);
        return target == PublishText.KubernetesTarget ? KubernetesPublisher.Publish(stack, ctx, d) : SwarmPublisher.Publish(stack, ctx, d);
    }

    /// <summary>What HsmPublish does: resolve, stage, commit. Null when it failed (the diagnostics say why).</summary>
    public CommitOutcome? Publish(string target, DiagnosticBag d, bool locked = false, string endpointMode = "vip")
    {
        var stack = Resolve(d);
        if (stack is null) return null;
        var plan = PublishStager.Stage(stack, PublishRequest(target, locked, endpointMode: endpointMode), d);
        if (plan is null) return null;
        return Committer.Commit(plan, new SyncSettings { ProjectDirectory = Dir, IntermediateDirectory = Obj, PythonSync = "none" }, CancellationToken.None, d, _ => { });
    }

    public static string Errors(DiagnosticBag d) => string.Join("\n", d.Items.Where(x => x.Severity != Severity.Message));

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Golden files under Fixtures/publish/&lt;case&gt;/; HSM_UPDATE_GOLDEN=1 rewrites them instead.</summary>
internal static class PublishGolden
{
    static string SourceDir => Path.Combine(SharedTools.RepoRoot, "tests", "Hsm.Tasks.Tests", "Fixtures", "publish");
    static string OutputDir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "publish");
    static bool Update => Environment.GetEnvironmentVariable("HSM_UPDATE_GOLDEN") == "1";

    /// <summary>Every file of the case, and no other.</summary>
    public static void AssertFiles(string testCase, IReadOnlyDictionary<string, string> files)
    {
        if (Update)
        {
            var dir = Path.Combine(SourceDir, testCase);
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
            Directory.CreateDirectory(dir);
            foreach (var (name, text) in files) File.WriteAllText(Path.Combine(dir, name), text);
            return;
        }
        var expectedDir = Path.Combine(OutputDir, testCase);
        Xunit.Assert.True(Directory.Exists(expectedDir), $"golden folder missing: {expectedDir} (run with HSM_UPDATE_GOLDEN=1)");
        var expected = Directory.GetFiles(expectedDir).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        Xunit.Assert.Equal(expected, files.Keys.Order(StringComparer.Ordinal).ToList());
        foreach (var (name, text) in files) Xunit.Assert.Equal(File.ReadAllText(Path.Combine(expectedDir, name)), text);
    }
}
