using System.Text;
using Hsm.Diagnostics;
using Hsm.Resolution;
using Hsm.Staging;
using Hsm.Tests.Model;
using Hsm.Transaction;
using Xunit;

namespace Hsm.Tests.Safety;

/// <summary>
/// Hostile inputs of design §9 (Fixtures/safety/*.cases), run through the whole in-process pipeline:
/// resolve → stage → commit (PythonSync=none), on a copy of Fixtures/model/base in prod mode. The format
/// is the model corpus's (<c>### name</c>, <c>expect: CODE file line col</c>, <c>=== path</c> blocks,
/// <c>=== path !delete</c>) plus:
/// <list type="bullet">
/// <item><c>prebuild</c>: build the base project once first (so hsm.lock and the generated files exist);</item>
/// <item><c>mode: dev</c>; <c>compose: path</c> / <c>pyproject: path</c>: HsmComposePath / HsmPyProjectPath, relative to the project;</item>
/// <item><c>kept: path</c>: that file is byte-identical afterwards (for warning cases, which do commit);</item>
/// <item><c>gone: path</c> / <c>exists: path</c>: that file is absent / present afterwards;</item>
/// <item>in file texts, <c>{{sha:path}}</c> is the sha256 of that project file as it is after the other
/// blocks were written, <c>{{dir}}</c> the project directory (absolute), <c>{{outside}}</c> a folder outside it.</item>
/// </list>
/// The errors produced must be exactly the expected ones, expected warnings must be present, and when an
/// error is expected every project file (outside obj/) must have the same bytes and timestamp as before.
/// </summary>
public sealed class SafetyCorpusTests
{
    public sealed class SafetyCase
    {
        public string Name = "";
        public List<CorpusTests.Expect> Expects = new();
        public List<(string Path, string? Text)> Files = new();
        public string Mode = "prod";
        public bool Prebuild;
        public string? Compose, PyProject;
        public List<string> Kept = new(), Gone = new(), Exists = new();
        public override string ToString() => Name;
    }

    static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "safety");

    public static IEnumerable<SafetyCase> Load()
    {
        foreach (var file in Directory.EnumerateFiles(Dir, "*.cases").OrderBy(f => f, StringComparer.Ordinal))
        {
            SafetyCase? c = null;
            (string Path, StringBuilder Text)? block = null;
            void EndBlock() { if (block is { } b && c != null) c.Files.Add((b.Path, b.Text.ToString().Replace("<TAB>", "\t"))); block = null; }
            foreach (var raw in File.ReadAllLines(file))
            {
                if (raw.StartsWith("### ", StringComparison.Ordinal))
                {
                    EndBlock();
                    if (c != null) yield return c;
                    c = new SafetyCase { Name = raw[4..].Trim() };
                    continue;
                }
                if (c is null) continue;
                if (raw.StartsWith("=== ", StringComparison.Ordinal))
                {
                    EndBlock();
                    var spec = raw[4..].Trim();
                    if (spec.EndsWith(" !delete", StringComparison.Ordinal)) c.Files.Add((spec[..^8].Trim(), null));
                    else block = (spec, new StringBuilder());
                    continue;
                }
                if (block is { } bl) { bl.Text.Append(raw).Append('\n'); continue; }
                var (key, value) = raw.IndexOf(':') is var i and > 0 ? (raw[..i].Trim(), raw[(i + 1)..].Trim()) : (raw.Trim(), "");
                switch (key)
                {
                    case "expect":
                        var p = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        c.Expects.Add(new CorpusTests.Expect(p[0], string.Join(' ', p[1..^2]), int.Parse(p[^2]), int.Parse(p[^1])));
                        break;
                    case "mode": c.Mode = value; break;
                    case "prebuild": c.Prebuild = true; break;
                    case "compose": c.Compose = value; break;
                    case "pyproject": c.PyProject = value; break;
                    case "kept": c.Kept.Add(value); break;
                    case "gone": c.Gone.Add(value); break;
                    case "exists": c.Exists.Add(value); break;
                }
            }
            EndBlock();
            if (c != null) yield return c;
        }
    }

    static readonly Lazy<Dictionary<string, SafetyCase>> Cases = new(() => Load().ToDictionary(c => c.Name, StringComparer.Ordinal));

    public static IEnumerable<object[]> Names() => Cases.Value.Keys.OrderBy(k => k, StringComparer.Ordinal).Select(k => new object[] { k });

    /// <summary>One in-process build: resolve, stage, commit. Returns every diagnostic.</summary>
    public static List<Diagnostic> Build(string dir, string mode, string? compose = null, string? pyproject = null)
    {
        var (stack, d) = ModelKit.Resolve(dir, mode, wholeRegistry: true);
        if (stack is null) return d.Items.ToList();
        var obj = Path.Combine(dir, "obj", "hsm");
        var request = new StageRequest
        {
            ProjectDirectory = dir, IntermediateDirectory = obj,
            PyProjectPath = Path.GetFullPath(Path.Combine(dir, pyproject ?? "pyproject.toml")),
            ComposePath = Path.GetFullPath(Path.Combine(dir, compose ?? "docker-compose.hsm.yml")),
            LockPath = Path.Combine(dir, "hsm.lock"),
        };
        var plan = Stager.Stage(stack, request, d);
        // As the targets pass them (ArtifactPaths): the folders of the configured artifact paths are where a commit may write.
        var artifactFolders = new[] { request.PyProjectPath, request.ComposePath, request.LockPath }.Select(p => Path.GetDirectoryName(p)!).ToList();
        if (plan != null)
            Committer.Commit(plan, new SyncSettings { ProjectDirectory = dir, IntermediateDirectory = obj, PythonSync = "none", ArtifactFolders = artifactFolders }, CancellationToken.None, d, _ => { });
        return d.Items.ToList();
    }

    /// <summary>Every file under <paramref name="root"/> except obj/: sha256 and timestamp.</summary>
    public static Dictionary<string, (string Hash, DateTime Time)> Snapshot(string root) =>
        Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(r => !r.StartsWith("obj/", StringComparison.Ordinal))
            .ToDictionary(r => r, r => (StagePlan.HashFile(Path.Combine(root, r)) ?? "", File.GetLastWriteTimeUtc(Path.Combine(root, r))), StringComparer.Ordinal);

    [Fact]
    public void Safety_corpus_has_its_cases()
    {
        Assert.True(Cases.Value.Count >= 15, $"only {Cases.Value.Count} cases");
        Assert.All(Cases.Value.Values, c => Assert.NotEmpty(c.Expects));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Hostile_input_gives_its_diagnostic_and_changes_nothing(string name)
    {
        var c = Cases.Value[name];
        // The project sits one level down, so "outside the project" is a folder of the test's own.
        var root = ModelKit.NewTempDir();
        var dir = Path.Combine(root, "proj");
        var outside = Path.Combine(root, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "victim.txt"), "not the project's\n");
        try
        {
            ModelKit.CopyTree(Path.Combine(ModelKit.FixtureRoot, "base"), dir);
            if (c.Prebuild)
            {
                var pre = Build(dir, c.Mode);
                Assert.False(pre.Any(x => x.Severity == Severity.Error), "prebuild: " + ModelKit.Format(pre));
            }
            string Expand(string text) => text.Replace("{{dir}}", dir.Replace('\\', '/')).Replace("{{outside}}", outside.Replace('\\', '/'));
            foreach (var (path, text) in c.Files.OrderBy(f => f.Text?.Contains("{{sha:") == true))
            {
                var full = Path.Combine(dir, Expand(path));
                if (text is null) { if (Directory.Exists(full)) Directory.Delete(full, true); else File.Delete(full); continue; }
                var t = Expand(text);
                t = System.Text.RegularExpressions.Regex.Replace(t, @"\{\{sha:([^}]+)\}\}", m => StagePlan.HashFile(Path.GetFullPath(Path.Combine(dir, m.Groups[1].Value))) ?? "missing");
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllText(full, t, new UTF8Encoding(false));
            }
            var before = Snapshot(dir);
            var outsideBefore = Snapshot(outside);
            var keptBefore = c.Kept.ToDictionary(k => k, k => File.ReadAllBytes(Path.Combine(dir, k)));

            var ds = Build(dir, c.Mode, c.Compose, c.PyProject);

            var report = $"case '{c.Name}' produced:\n{ModelKit.Format(ds)}";
            var got = ds.Select(x => new CorpusTests.Expect(x.Code, x.Span.File ?? "", x.Span.Line, x.Span.Column)).ToList();
            foreach (var e in c.Expects) Assert.True(got.Contains(e), $"missing {e}; {report}");
            var unexpected = ds.Where(x => x.Severity == Severity.Error)
                .Select(x => new CorpusTests.Expect(x.Code, x.Span.File ?? "", x.Span.Line, x.Span.Column))
                .Where(x => !c.Expects.Contains(x)).ToList();
            Assert.True(unexpected.Count == 0, $"unexpected errors {string.Join(", ", unexpected)}; {report}");
            Assert.DoesNotContain(ds, x => x.Code == Codes.Internal);
            Assert.Equal(outsideBefore, Snapshot(outside)); // nothing outside the project is ever touched
            if (ds.Any(x => x.Severity == Severity.Error))
            {
                var after = Snapshot(dir);
                var diff = before.Keys.Union(after.Keys).Where(k => !before.TryGetValue(k, out var a) || !after.TryGetValue(k, out var b) || a != b).ToList();
                Assert.True(diff.Count == 0, $"the project changed although the build failed: {string.Join(", ", diff)}; {report}");
            }
            foreach (var (k, bytes) in keptBefore) Assert.True(bytes.SequenceEqual(File.ReadAllBytes(Path.Combine(dir, k))), $"{k} was changed; {report}");
            foreach (var g in c.Gone) Assert.False(File.Exists(Path.Combine(dir, g)), $"{g} should be gone; {report}");
            foreach (var x in c.Exists) Assert.True(File.Exists(Path.Combine(dir, x)), $"{x} should exist; {report}");
            Assert.Empty(Directory.EnumerateFiles(dir, "*.tmp", SearchOption.AllDirectories).Where(f => !f.Contains(Path.Combine("obj", "hsm"))));
        }
        finally { ModelKit.TryDelete(root); }
    }
}
