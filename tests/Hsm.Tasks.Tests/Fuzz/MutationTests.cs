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

    static readonly string[] Tokens =
    {
        "\"", "'", ":", ": ", "- ", "[", "]", "{", "}", "#", "\t", "\n", "\r\n", "\0", "\\", "../", "/", "..", "&a", "*a", "<<: *a", "!!binary ",
        "\"../../outside\": \"00\"", "version: 2", "version: x", "owned:", "files:", "stack:", "=", "[[", "]]", "\"\"\"", "'''", "é", "\uFEFF",
        "${X}", "$(x)", "%3B", ";", "0x", "1e9999", "-1", "true", "null", "~", "  ", "    ", new string('a', 300), "\u202E", "\ud800",
    };

    static string Mutate(string text, Random r)
    {
        var lines = text.Split('\n').ToList();
        var n = 1 + r.Next(3);
        for (var k = 0; k < n && lines.Count > 0; k++)
        {
            var i = r.Next(lines.Count);
            switch (r.Next(8))
            {
                case 0: lines.RemoveAt(i); break;
                case 1: lines.Insert(i, lines[r.Next(lines.Count)]); break;
                case 2: (lines[i], lines[r.Next(lines.Count)]) = (lines[r.Next(lines.Count)], lines[i]); break;
                case 3: { var l = lines[i]; var p = l.Length == 0 ? 0 : r.Next(l.Length + 1); lines[i] = l[..p] + Tokens[r.Next(Tokens.Length)] + l[p..]; break; }
                case 4: { var l = lines[i]; if (l.Length > 0) { var p = r.Next(l.Length); lines[i] = l.Remove(p, 1 + r.Next(Math.Min(5, l.Length - p))); } break; }
                case 5: lines[i] = new string(' ', r.Next(6)) + lines[i].TrimStart(); break;
                case 6: lines.Insert(i, lines[i][..(lines[i].Length - lines[i].TrimStart().Length)] + Tokens[r.Next(Tokens.Length)] + Tokens[r.Next(Tokens.Length)]); break;
                default: lines = lines.Take(i).ToList(); break; // truncated
            }
        }
        return string.Join('\n', lines);
    }

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
                var mutated = Mutate(original, r);
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
