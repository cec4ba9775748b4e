using Hsm.Tests;
using Xunit;

namespace Hsm.Sdk.Tests;

/// <summary>
/// A project or registry folder may be named with any character its file system allows, and a cloned
/// repository chooses its folder names. Each name here is built as a user would (first build, no-op, a selection
/// change, no-op again): the files are right, the no-op skips the chain, and no part of a path is ever read as
/// something else by MSBuild (`;` splitting a path in two, `$(...)` a property) or by a shell (`$(...)`, backticks,
/// quotes running a command). Names that the .NET SDK itself cannot build in (`%41`, `@(x)`, `"`, and on Linux
/// `\`) are not ours to test.
/// </summary>
[Collection(PackedSdkCollection.Name)]
public sealed class PathCharacterTests(PackedSdk sdk)
{
    private static readonly string[] Chain = { "HsmResolve", "HsmStage", "HsmSync", "HsmCommit" };

    public static TheoryData<string> FolderNames => new()
    {
        "a b;c,d it's (é) #1 &x",                     // MSBuild's separators, spaces, quotes, markup
        "x$(touch SUBST1)`touch SUBST2`$(X)y",        // shell command substitution and an MSBuild property
    };

    [SkippableTheory]
    [MemberData(nameof(FolderNames))]
    public void A_project_folder_with_any_name_builds_settles_and_runs_nothing_it_names(string folderName)
    {
        using var p = TestProject.InFolder(sdk, folderName);
        var root = Path.GetDirectoryName(p.Dir)!;
        p.BinlogDirectory = root;

        p.BuildOk();
        AssertGenerated(p, "qdrant");
        var noop = p.BuildOk();
        foreach (var t in Chain) NoOpBinlogTests.AssertUpToDate(noop, t);
        Assert.True(p.Build("-question").Succeeded, "a no-op build is not up to date under -question");

        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("selection: qdrant-adapter", "selection: milvus-adapter").Replace("qdrant-adapter: dev", "milvus-adapter: dev"));
        Assert.True(p.BuildOk().Ran("HsmCommit"));
        AssertGenerated(p, "milvus");
        var settled = p.BuildOk();
        foreach (var t in Chain) NoOpBinlogTests.AssertUpToDate(settled, t);

        AssertNothingRan(root);
    }

    [SkippableFact]
    public void A_registry_folder_with_any_name_is_one_path_through_the_environment_and_the_command_line()
    {
        using var p = new TestProject(sdk, "registry-name");
        var root = Path.GetDirectoryName(p.Dir)!;
        // Not `;`: HsmRegistryPath is a `;`-separated list (the project folder test has a `;` in the default registry's path).
        var registry = Path.Combine(root, "reg " + Guid.NewGuid().ToString("N")[..6] + " ,%3B 100% $(touch SUBST3)`touch SUBST4`");
        Directory.Move(p.PathOf("hsm-registry"), registry);
        var env = new Dictionary<string, string> { ["HSM_REGISTRY_PATH"] = registry };

        p.BuildOk(Array.Empty<string>(), env);
        AssertGenerated(p, "qdrant");
        var noop = p.BuildOk(Array.Empty<string>(), env);
        foreach (var t in Chain) NoOpBinlogTests.AssertUpToDate(noop, t);

        // An edited registry file runs the resolution again; the build then settles.
        File.AppendAllText(Path.Combine(registry, "services", "redis.yaml"), "# edited\n");
        Assert.True(p.BuildOk(Array.Empty<string>(), env).Ran("HsmResolve"));
        var settled = p.BuildOk(Array.Empty<string>(), env);
        foreach (var t in Chain) NoOpBinlogTests.AssertUpToDate(settled, t);

        // The same folder as a property, escaped as the hsm command line passes it (BuildCommands.PropertyValue).
        var escaped = new System.Text.StringBuilder();
        foreach (var ch in registry) escaped.Append("%;,\"'$@*?".Contains(ch) ? $"%{(int)ch:X2}" : ch.ToString());
        var property = "-p:HsmRegistryPath=" + escaped;
        var first = p.BuildOk(property); // another property: the resolution runs, finds the same stack
        Assert.True(first.Ran("HsmResolve") && !first.Ran("HsmCommit"), "the same registry through the property changed the stack");
        var again = p.BuildOk(property);
        foreach (var t in Chain) NoOpBinlogTests.AssertUpToDate(again, t);

        AssertNothingRan(root);
    }

    /// <summary>The sample's files with <paramref name="server"/> as the vector database, valid for Compose and Python tooling.</summary>
    private static void AssertGenerated(TestProject p, string server)
    {
        var compose = p.Read("docker-compose.hsm.yml");
        Assert.Contains($"  {server}:\n", compose);
        Assert.DoesNotContain(p.Dir, compose); // relative paths only
        Assert.Contains($"{server}-adapter = {{ path = \"packages/{server}-adapter\", editable = true }}", p.Read("pyproject.toml"));
        Assert.True(SharedTools.ComposeConfig(p.Dir, p.PathOf("docker-compose.hsm.yml")).Ok);
        Assert.True(SharedTools.CheckPyProject(p.PathOf("pyproject.toml")).Ok);
    }

    /// <summary>No command named in a folder name ran: none of the files it would have made exists.</summary>
    private static void AssertNothingRan(string root)
    {
        var made = Directory.EnumerateFiles(root, "SUBST*", SearchOption.AllDirectories).ToList();
        Assert.True(made.Count == 0, "a command in a folder name ran: " + string.Join(", ", made));
    }
}
