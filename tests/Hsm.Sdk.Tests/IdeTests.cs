using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Build.Logging.StructuredLogger;
using Xunit;

namespace Hsm.Sdk.Tests;

/// <summary>
/// Issue 14: what a user sees in every logger, what the binlog answers, and the IDE hosts (solutions,
/// dotnet watch, the .NET task host), on real `dotnet` runs of a project on the packed SDK.
/// </summary>
[Collection(PackedSdkCollection.Name)]
public sealed class IdeTests(PackedSdk sdk)
{
    /// <summary>The text a terminal shows: ANSI sequences (colours, cursor moves, OSC 8 links) removed.</summary>
    private static string Plain(string output) =>
        Regex.Replace(output, @"\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]", "").Replace("\r", "");

    private static string[] HsmLines(string output) =>
        Plain(output).Split('\n').Where(l => Regex.IsMatch(l, @"^\s*(hsm ->|hsm:|\+ |- |~ )") || l.Contains("hsm succeeded") || l.Contains('→')).ToArray();

    [Fact]
    public void The_build_names_each_written_file_and_each_change_under_both_loggers_and_a_no_op_prints_nothing()
    {
        using var p = new TestProject(sdk, "visible");
        var first = p.BuildOk("-tl:off");
        foreach (var f in new[] { "pyproject.toml", "docker-compose.hsm.yml", "hsm.lock", ".env.hsm" })
            Assert.Contains($"hsm -> {p.PathOf(f)}", first.Output);
        Assert.Contains("+ qdrant-adapter (selection)", first.Output);
        Assert.Contains("+ service redis (standalone)", first.Output);
        // The same lines are high-importance messages (shown by the console logger at its default verbosity).
        Assert.Contains(first.Log!.FindChildrenRecursive<Message>(), m => m.Text.StartsWith($"hsm -> {p.PathOf("pyproject.toml")}", StringComparison.Ordinal));

        // No-op: nothing from hsm in either logger.
        var noop = p.BuildOk("-tl:off");
        Assert.Empty(HsmLines(noop.Output));
        var noopTl = p.BuildOk("-tl:on");
        Assert.Empty(HsmLines(noopTl.Output));

        // A change under the terminal logger (the default of `dotnet build`): the project line links a written
        // file and lists every changed entry with its reason.
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("selection: qdrant-adapter", "selection: milvus-adapter"));
        var tl = p.BuildOk("-tl:on");
        var text = Plain(tl.Output);
        Assert.Matches(@"hsm .*succeeded.*→ .*pyproject\.toml", text);
        Assert.Contains("    + milvus-adapter>=2.4,<3 (selection)", text);
        Assert.Contains("    - qdrant-adapter (deselected, was selection)", text);
        Assert.Matches(@"    - service qdrant \(deselected, was implies from", text);
        Assert.Matches(@"    \+ service milvus \(implies from", text);
        Assert.Contains("hsm: 5 file(s) updated", text);
        Assert.False(Directory.Exists(p.PathOf("bin")), "no empty bin/ for hsm.proj");
        // hsm.proj builds no assembly: the terminal logger shows no target framework label beside its name.
        Assert.DoesNotContain("netstandard2.0", text);
        Assert.Matches(@"(?m)^\s*hsm\s+succeeded", text);
    }

    [Fact]
    public void HsmCheck_plan_and_HsmList_tree_show_under_the_terminal_logger()
    {
        using var p = new TestProject(sdk, "tl-reports");
        p.BuildOk("-tl:off");
        var list = Plain(p.BuildOk("-tl:on", "-t:HsmList").Output);
        Assert.Matches(@"hsm .*succeeded.*→ obj/hsm/stack\.txt", list);
        Assert.Contains("group vector-db-client (1-of-N): qdrant-adapter", list);
        Assert.Contains("<- services.standalone.redis", list);

        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("selection: qdrant-adapter", "selection: milvus-adapter"));
        var check = Plain(p.BuildOk("-tl:on", "-t:HsmCheck").Output);
        Assert.Matches(@"hsm .*succeeded.*→ .*obj/hsm/plan\.txt", check);
        Assert.Contains("hsm: pyproject.toml: + milvus-adapter>=2.4,<3 (selection)", check);
        Assert.Contains("hsm: docker-compose.hsm.yml: - service qdrant (deselected", check);
    }

    /// <summary>The metadata the items promise (docs/properties.md), as the build left them (`-getItem` after the targets).</summary>
    private static readonly string[] ComponentMetadata = ["Kind", "Mode", "ModeOrigin", "Source", "Group", "Origin", "Profile", "Runtime"];

    /// <summary>Builds (asserting success) and returns the HsmLibrary and HsmService items the build ended with: name → metadata.</summary>
    private static (BuildResult Build, Dictionary<string, Dictionary<string, string>> Libraries, Dictionary<string, Dictionary<string, string>> Services)
        BuildItems(TestProject p, params string[] args)
    {
        var r = p.BuildOk([.. args, "-t:Build", "-getItem:HsmLibrary", "-getItem:HsmService"]); // -getItem alone would only evaluate
        using var doc = JsonDocument.Parse(r.Output[r.Output.IndexOf('{')..(r.Output.LastIndexOf('}') + 1)]);
        Dictionary<string, Dictionary<string, string>> Of(string type) =>
            doc.RootElement.GetProperty("Items").GetProperty(type).EnumerateArray().ToDictionary(
                e => e.GetProperty("Identity").GetString()!,
                e => e.EnumerateObject().Where(m => ComponentMetadata.Contains(m.Name)).ToDictionary(m => m.Name, m => m.Value.GetString()!));
        return (r, Of("HsmLibrary"), Of("HsmService"));
    }

    [Fact]
    public void Component_items_carry_ModeOrigin_exist_on_a_no_op_build_and_the_binlog_embeds_the_inputs()
    {
        using var p = new TestProject(sdk, "why");
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("      strategy: 1-of-N              # no selection", "      mode: dev\n      strategy: 1-of-N              # no selection"));
        var (first, libs, svcs) = BuildItems(p);
        Assert.True(first.Ran("HsmResolve"));
        Assert.Equal("library", libs["qdrant-adapter"]["Kind"]);
        Assert.Equal("service", svcs["redis"]["Kind"]);
        Assert.Equal("modes.qdrant-adapter", libs["qdrant-adapter"]["ModeOrigin"]);
        Assert.Equal("dev", libs["qdrant-adapter"]["Mode"]);
        Assert.Equal("services.standalone.redis.mode", svcs["redis"]["ModeOrigin"]);
        Assert.Equal("services.groups.vector-db-server.mode", svcs["qdrant"]["ModeOrigin"]);
        Assert.Equal("vector-db-server", svcs["qdrant"]["Group"]);
        Assert.Equal("default", svcs["qdrant"]["Profile"]);

        var embedded = first.Log!.SourceFiles.Select(f => f.FullPath).ToList();
        Assert.Contains(p.PathOf("hsm.yaml"), embedded);
        Assert.Contains(p.PathOf("hsm-registry/libraries/qdrant-adapter.yaml"), embedded);
        Assert.Contains(p.PathOf("hsm-registry/library_groups/vector-db-client.yaml"), embedded);
        Assert.Contains(embedded, f => f.EndsWith("obj/hsm/resolved.json", StringComparison.Ordinal));
        Assert.Contains(embedded, f => f.EndsWith("obj/hsm/stage/plan.json", StringComparison.Ordinal));

        // No-op: HsmResolve is skipped, the task assembly is not loaded, and the items are there all the same
        // (imported by the evaluation from obj/hsm/components.props).
        var (noop, noopLibs, noopSvcs) = BuildItems(p);
        Assert.True(noop.Skipped("HsmResolve"));
        Assert.DoesNotContain(noop.Log!.FindChildrenRecursive<Microsoft.Build.Logging.StructuredLogger.Task>(), t => t.Name.StartsWith("Hsm", StringComparison.Ordinal));
        Assert.Equal(libs, noopLibs);
        Assert.Equal(svcs, noopSvcs);
        Assert.Contains(noop.Log!.SourceFiles, f => f.FullPath == p.PathOf("hsm.yaml"));
        Assert.Equal(embedded.Where(f => f.Contains("/hsm-registry/", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
            noop.Log!.SourceFiles.Select(f => f.FullPath).Where(f => f.Contains("/hsm-registry/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        // The global property wins and says so: the resolution ran in this build, and its items replace the imported ones.
        var (prod, prodLibs, _) = BuildItems(p, "-p:Mode=Prod");
        Assert.True(prod.Ran("HsmResolve"));
        Assert.Equal("the Mode property", prodLibs["qdrant-adapter"]["ModeOrigin"]);

        // A selection changed: the items are this build's (milvus-adapter, not qdrant-adapter), once each.
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("selection: qdrant-adapter", "selection: milvus-adapter"));
        var (changed, changedLibs, changedSvcs) = BuildItems(p);
        Assert.True(changed.Ran("HsmResolve"));
        Assert.Contains("milvus-adapter", changedLibs.Keys);
        Assert.DoesNotContain("qdrant-adapter", changedLibs.Keys);
        Assert.Contains("milvus", changedSvcs.Keys);
        Assert.DoesNotContain("qdrant", changedSvcs.Keys);
        var (_, afterLibs, afterSvcs) = BuildItems(p);
        Assert.Equal(changedLibs, afterLibs);
        Assert.Equal(changedSvcs, afterSvcs);

        // obj/hsm/components.props deleted: the resolution runs again to bring the items back.
        File.Delete(p.PathOf("obj/hsm/components.props"));
        var (again, againLibs, _) = BuildItems(p);
        Assert.True(again.Ran("HsmResolve"));
        Assert.Equal(changedLibs, againLibs);
        Assert.True(File.Exists(p.PathOf("obj/hsm/components.props")));
    }

    /// <summary>The help links as the terminal logger renders them (OSC 8 hyperlinks on the code): code → URI.</summary>
    private static List<(string Code, string Link)> HelpLinks(string output) =>
        Regex.Matches(output, @"\x1b\]8;;([^\x1b\x07]+)(?:\x1b\\|\x07)(HSM\d{4})").Select(m => (m.Groups[2].Value, m.Groups[1].Value)).ToList();

    [Fact]
    public void Help_links_open_the_error_pages_shipped_in_the_package_and_errors_come_in_file_line_order()
    {
        using var p = new TestProject(sdk, "help");
        p.Write("hsm.yaml", "project:\n  name: x\n  colour: red\nservices:\n  standalone:\n    - redis\n    - { name: qdrant, mode: fast }\n");
        var r = p.Build("-tl:on");
        Assert.False(r.Succeeded);
        var links = HelpLinks(r.Output);
        Assert.Contains(links, l => l.Code == "HSM1007");
        Assert.Contains(links, l => l.Code == "HSM1010");
        foreach (var (code, link) in links)
        {
            Assert.StartsWith("file://", link);
            Assert.EndsWith($"/docs/errors/{code}.md", link);
            var file = new Uri(link).LocalPath;
            Assert.True(File.Exists(file), link);
            Assert.StartsWith($"# {code}", File.ReadAllText(file));
        }
        // Logged in file/line order.
        var positions = r.Errors.Where(e => e.Code.StartsWith("HSM", StringComparison.Ordinal)).Select(e => (e.File, e.LineNumber)).ToList();
        Assert.True(positions.Count >= 2);
        Assert.Equal(positions.OrderBy(x => x.File, StringComparer.Ordinal).ThenBy(x => x.LineNumber).ToList(), positions);

        var own = p.Build("-tl:on", "-p:HsmHelpLinkBase=https://example.org/hsm/errors");
        Assert.Contains(("HSM1007", "https://example.org/hsm/errors/HSM1007.md"), HelpLinks(own.Output));
    }

    [Fact]
    public void The_package_ships_the_schemas_and_the_error_pages()
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(sdk.PackagePath);
        var entries = zip.Entries.Select(e => e.FullName.Replace('\\', '/')).ToList();
        foreach (var kind in new[] { "hsm", "library", "service", "library_group", "service_group" })
            Assert.Contains($"schemas/{kind}.schema.json", entries);
        Assert.Contains("schemas/compose-spec.json", entries);
        Assert.Contains("schemas/compose-spec.LICENSE", entries);
        foreach (var page in Directory.EnumerateFiles(Path.Combine(Hsm.Tests.SharedTools.RepoRoot, "docs", "errors"), "HSM*.md"))
            Assert.Contains("docs/errors/" + Path.GetFileName(page), entries);
    }

    [Theory]
    [InlineData("sln")]
    [InlineData("slnx")]
    public void Dotnet_sln_add_accepts_hsm_proj(string format)
    {
        using var p = new TestProject(sdk, "sln-" + format);
        var (code, output) = p.Dotnet("new", "sln", "-n", "stack", "--format", format);
        Assert.True(code == 0, output);
        (code, output) = p.Dotnet("sln", "stack." + format, "add", "hsm.proj");
        Assert.True(code == 0, output);
        var sln = p.Read("stack." + format);
        Assert.Contains("hsm.proj", sln);
        if (format == "sln") Assert.Contains("{9A19103F-16F7-4668-BE54-9A1E7A4F7556}", sln);
        (code, output) = p.Dotnet("sln", "stack." + format, "list");
        Assert.True(code == 0 && output.Contains("hsm.proj"), output);
    }

    [Fact]
    public void Watch_items_name_hsm_yaml_and_the_registry_files()
    {
        using var p = new TestProject(sdk, "watch");
        p.Write("more-registry/libraries/extra-lib.yaml", "name: extra-lib\nsources:\n  prod: { type: pypi }\n");
        // The real dotnet watch: it evaluates hsm.proj with DotNetWatchBuild=true and lists its Watch items.
        List<string> Watched()
        {
            var (code, output) = p.Dotnet("watch", "--list", "--non-interactive");
            Assert.True(code == 0, output);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        }
        var before = Watched();
        Assert.Contains(p.PathOf("hsm.yaml"), before);
        Assert.Contains(p.PathOf("hsm-registry/libraries/milvus-adapter.yaml"), before);
        Assert.Contains(p.PathOf("hsm-registry/service_groups/vector-db-server.yaml"), before);
        Assert.DoesNotContain(p.PathOf("more-registry/libraries/extra-lib.yaml"), before);
        // Every other evaluation (a build's, an IDE's) has no Watch items: the registry glob is not paid there.
        var (plainCode, plain) = p.Dotnet("msbuild", "hsm.proj", "-getItem:Watch", "-nologo");
        Assert.True(plainCode == 0, plain);
        Assert.DoesNotContain("hsm-registry", plain);

        // A registry folder given by a property is watched once a build resolved with it.
        p.BuildOk("-p:HsmRegistryPath=more-registry%3Bhsm-registry");
        var after = Watched();
        Assert.Contains(p.PathOf("more-registry/libraries/extra-lib.yaml"), after);
        Assert.Contains(p.PathOf("hsm-registry/libraries/qdrant-adapter.yaml"), after);
    }

    [Fact]
    public void The_Visual_Studio_registration_runs_the_tasks_in_a_NET_task_host()
    {
        // What MSBuild 18 on .NET Framework gets by default (Runtime="NET", TaskHostFactory), forced on the dotnet CLI.
        using var p = new TestProject(sdk, "taskhost");
        var r = p.BuildOk("-p:HsmTaskRuntime=NET", "-p:HsmTaskFactory=TaskHostFactory");
        Assert.True(r.Ran("HsmCommit"));
        Assert.Contains("qdrant-adapter", p.Read("pyproject.toml"));
        var launched = r.Log!.FindChildrenRecursive<Message>(m => m.Text.Contains("external task host", StringComparison.Ordinal)).Select(m => m.Text).ToList();
        Assert.Contains(launched, m => m.Contains("HsmResolve", StringComparison.Ordinal));
        // The default on the dotnet CLI: in process.
        p.Write("hsm.yaml", p.Read("hsm.yaml").Replace("selection: qdrant-adapter", "selection: milvus-adapter"));
        var inProc = p.BuildOk();
        Assert.True(inProc.Ran("HsmResolve"));
        Assert.DoesNotContain(inProc.Log!.FindChildrenRecursive<Message>(), m => m.Text.Contains("external task host", StringComparison.Ordinal));
    }
}
