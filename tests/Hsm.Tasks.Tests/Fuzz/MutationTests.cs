using System.Text;
using Hsm.Diagnostics;
using Hsm.Tests.Model;
using Hsm.Tests.Safety;
using Xunit;

namespace Hsm.Tests.Fuzz;

/// <summary>
/// Files a pull request carries, mutated at random (seeded, so a failure replays): hsm.lock, pyproject.toml,
/// hsm.yaml and a registry file. Whatever the bytes, the pipeline reports HSM diagnostics — never an exception,
/// never HSM9001 — and a run that reports an error leaves the project exactly as it was.
/// </summary>
public sealed class MutationTests
{
    const int Rounds = 120;

    static string Committed()
    {
        var dir = ModelKit.Project("base");
        File.WriteAllText(Path.Combine(dir, "pyproject.toml"),
            "[project]\nname = \"corpus\"\nversion = \"0.1.0\"\ndependencies = [\n  \"httpx>=0.27\", # mine\n]\n\n[tool.uv.sources]\nhttpx = { git = \"https://example.com/httpx.git\" }\n");
        var (stack, d) = ModelKit.Resolve(dir);
        Assert.True(stack != null, ModelKit.Format(d.Items));
        SpecialFiles.StageAndCommit(dir, stack!, d);
        Assert.False(d.HasErrors, ModelKit.Format(d.Items));
        return dir;
    }

    [Theory]
    [InlineData("hsm.lock", 1)]
    [InlineData("pyproject.toml", 2)]
    [InlineData("hsm.yaml", 3)]
    [InlineData("hsm-registry/services/redis.yaml", 4)]
    [InlineData("docker-compose.hsm.yml", 5)]
    public void A_mutated_file_gives_diagnostics_never_a_crash(string file, int seed)
    {
        var pristine = Committed();
        var work = ModelKit.NewTempDir();
        try
        {
            var original = File.ReadAllText(Path.Combine(pristine, file));
            var r = new Random(seed);
            var failures = new List<string>();
            var codes = new SortedDictionary<string, int>(StringComparer.Ordinal);
            for (var round = 0; round < Rounds && failures.Count < 3; round++)
            {
                ModelKit.TryDelete(work);
                ModelKit.CopyTree(pristine, work);
                var mutated = Mutator.Mutate(original, r);
                File.WriteAllText(Path.Combine(work, file), mutated, new UTF8Encoding(false));
                var before = SpecialFiles.Snapshot(work);
                try
                {
                    var (stack, d) = ModelKit.Resolve(work);
                    if (stack != null) SpecialFiles.StageAndCommit(work, stack, d);
                    foreach (var c in d.Items.Where(x => x.Severity != Severity.Message).Select(x => x.Code).Distinct()) codes[c] = codes.GetValueOrDefault(c) + 1;
                    if (d.Items.FirstOrDefault(x => x.Code == Codes.Internal) is { } internalError)
                        failures.Add($"round {round}: {internalError}\n--- {file}:\n{mutated}");
                    else if (d.HasErrors && !SpecialFiles.Snapshot(work).SequenceEqual(before))
                        failures.Add($"round {round}: errors ({ModelKit.Format(d.Items.Where(x => x.Severity == Severity.Error).Take(2))}) but the project changed\n--- {file}:\n{mutated}");
                }
                catch (Exception e)
                {
                    failures.Add($"round {round}: {e.GetType().Name}: {e.Message}\n{e.StackTrace?.Split('\n').FirstOrDefault()}\n--- {file}:\n{mutated}");
                }
            }
            Assert.True(failures.Count == 0, string.Join("\n\n", failures));
            // The mutations bite: most rounds end in diagnostics (which ones, for the log).
            Console.Error.WriteLine($"{file}: " + string.Join(", ", codes.Select(kv => $"{kv.Key}×{kv.Value}")));
            Assert.True(codes.Values.Sum() >= Rounds / 4, $"{file}: only {codes.Values.Sum()} diagnostics in {Rounds} rounds");
        }
        finally { ModelKit.TryDelete(work); ModelKit.TryDelete(pristine); }
    }
}
