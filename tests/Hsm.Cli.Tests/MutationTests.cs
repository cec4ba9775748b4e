using System.Text;
using Hsm.Tests.Fuzz;
using Xunit;

namespace Hsm.Cli.Tests;

/// <summary>
/// The editing commands on an hsm.yaml mutated at random (seeded, so a failure replays): exit code 0, 1 or 2
/// with a message, never an unhandled exception; a command that fails leaves the file's bytes as they were; a
/// command that changed the file wrote one that loads and resolves.
/// </summary>
public sealed class MutationTests
{
    const int Rounds = 100;

    static readonly string[][] Commands =
    {
        new[] { "add", "redis" }, new[] { "add", "milvus-adapter", "--group", "vector-db-client" }, new[] { "add", "caches" },
        new[] { "add", "milvus", "--group", "caches", "--mode", "dev" }, new[] { "remove", "redis" }, new[] { "remove", "vector-db-client" },
        new[] { "remove", "milvus", "--group", "caches" }, new[] { "select", "vector-db-client", "milvus-adapter" },
        new[] { "select", "caches", "redis", "milvus" }, new[] { "mode", "redis", "dev" }, new[] { "mode", "--all", "prod" },
        new[] { "mode", "vector-db-client", "dev" }, new[] { "mode", "qdrant-adapter", "dev" },
    };

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Edits_of_a_mutated_hsm_yaml_fail_cleanly_or_write_a_file_that_loads(int seed)
    {
        using var p = new CliProject().WithStack();
        p.Ok("add", "redis", "--mode", "prod");
        p.Ok("add", "caches");
        p.Ok("mode", "qdrant-adapter", "dev");
        var path = Path.Combine(p.Dir, "hsm.yaml");
        var original = File.ReadAllText(path) + "# a trailing comment\n";
        var r = new Random(seed);
        var failures = new List<string>();
        var outcomes = new int[3];
        for (var round = 0; round < Rounds && failures.Count < 3; round++)
        {
            var mutated = Mutator.Mutate(original, r);
            File.WriteAllText(path, mutated, new UTF8Encoding(false));
            var before = File.ReadAllBytes(path);
            var args = Commands[r.Next(Commands.Length)];
            bool Changed() => !File.ReadAllBytes(path).AsSpan().SequenceEqual(before);
            // A command that changed the file wrote one that loads (a no-op writes, and checks, nothing).
            string? Written() => Changed() && Loads(p) is { } why ? $"succeeded, but what it wrote does not load: {why}\n--- after:\n{File.ReadAllText(path)}" : null;
            if (Judge(p, args, Changed, Written, outcomes) is { } problem)
                failures.Add($"round {round}: hsm {string.Join(' ', args)}: {problem}\n--- hsm.yaml:\n{mutated}");
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        // The mutations bite, and some edits still go through.
        Assert.True(outcomes[1] >= Rounds / 5 && outcomes[0] >= Rounds / 10, $"outcomes 0/1/2: {string.Join('/', outcomes)}");
    }

    static readonly (string File, string[] Args)[] RegistryCommands =
    {
        ("hsm-registry/libraries/qdrant-adapter.yaml", new[] { "registry", "implies", "add", "qdrant-adapter", "service:redis", "db=0" }),
        ("hsm-registry/libraries/qdrant-adapter.yaml", new[] { "registry", "implies", "remove", "qdrant-adapter", "service:qdrant" }),
        ("hsm-registry/library_groups/vector-db-client.yaml", new[] { "registry", "implies", "add", "vector-db-client", "service_group:vector-db-server", "milvus", "--option", "milvus-adapter" }),
        ("hsm-registry/library_groups/vector-db-client.yaml", new[] { "registry", "remove", "milvus-adapter", "--yes" }),
        ("hsm-registry/service_groups/caches.yaml", new[] { "registry", "remove", "redis", "--yes" }),
        ("hsm-registry/services/qdrant.yaml", new[] { "registry", "implies", "add", "qdrant", "service:redis" }),
    };

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void Registry_edits_of_a_mutated_registry_file_fail_cleanly_and_never_lose_bytes(int seed)
    {
        using var p = new CliProject().WithStack();
        var pristine = Path.Combine(p.Dir, "..", Path.GetFileName(p.Dir) + "-pristine");
        CopyTree(Path.Combine(p.Dir, "hsm-registry"), pristine);
        var r = new Random(seed);
        var failures = new List<string>();
        var outcomes = new int[3];
        try
        {
            for (var round = 0; round < Rounds && failures.Count < 3; round++)
            {
                Directory.Delete(Path.Combine(p.Dir, "hsm-registry"), recursive: true);
                CopyTree(pristine, Path.Combine(p.Dir, "hsm-registry"));
                var (file, args) = RegistryCommands[r.Next(RegistryCommands.Length)];
                var path = Path.Combine(p.Dir, file);
                var mutated = Mutator.Mutate(File.ReadAllText(path), r);
                File.WriteAllText(path, mutated, new UTF8Encoding(false));
                var before = Snapshot(Path.Combine(p.Dir, "hsm-registry"));
                bool Changed() => !Snapshot(Path.Combine(p.Dir, "hsm-registry")).SequenceEqual(before);
                if (Judge(p, args, Changed, () => null, outcomes) is { } problem)
                    failures.Add($"round {round}: hsm {string.Join(' ', args)} ({file} mutated): {problem}\n--- {file}:\n{mutated}");
            }
        }
        finally { Directory.Delete(pristine, recursive: true); }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        Assert.True(outcomes[1] >= Rounds / 5 && outcomes[0] >= Rounds / 10, $"outcomes 0/1/2: {string.Join('/', outcomes)}");
    }

    /// <summary>Runs one command and says what is wrong with how it ended (null: nothing, and its exit code is
    /// counted): an exit code other than 0, 1 or 2, an internal error, a failure that changed files or said
    /// nothing, or what <paramref name="success"/> finds wrong after a success.</summary>
    static string? Judge(CliProject p, string[] args, Func<bool> changed, Func<string?> success, int[] outcomes)
    {
        try
        {
            var (code, o, e) = p.Run(args);
            if (code is < 0 or > 2) return $"exited {code}\n{o}{e}";
            if (e.Contains("   at ", StringComparison.Ordinal) || e.Contains("HSM9001", StringComparison.Ordinal) || e.Contains("Exception", StringComparison.Ordinal))
                return $"an internal error\n{e}";
            if (code != 0 && changed()) return $"failed ({code}) but changed files\n{e}";
            if (code != 0 && e.Trim().Length == 0) return $"failed ({code}) without a message";
            if (code == 0 && success() is { } why) return why;
            outcomes[code]++;
            return null;
        }
        catch (Exception x)
        {
            return $"{x.GetType().Name}: {x.Message}\n{x.StackTrace?.Split('\n').FirstOrDefault()}";
        }
    }

    static void CopyTree(string from, string to)
    {
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var dest = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(f, dest);
        }
    }

    static List<string> Snapshot(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => Path.GetRelativePath(dir, f) + " " + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))).ToList();

    /// <summary>Null when hsm.yaml loads and resolves with the product's loader and resolver; else the errors.</summary>
    static string? Loads(CliProject p)
    {
        var ws = new Workspace(p.Dir, null, TextWriter.Null);
        try { ws.Validate(ws.ReadManifestText()); return null; }
        catch (CliError e) { return e.Message; }
    }
}
