using System.Text.RegularExpressions;
using Hsm.Diagnostics;
using Hsm.Resolution;
using Xunit;

namespace Hsm.Cli.Tests;

/// <summary>A temporary project folder and the `hsm` command line run in process on it.</summary>
public sealed class CliProject : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "hsm-cli-" + Guid.NewGuid().ToString("N")[..8]);

    public CliProject() => Directory.CreateDirectory(Dir);

    public (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter { NewLine = "\n" };
        var e = new StringWriter { NewLine = "\n" };
        var code = new Cli(o, e, Dir, new StringReader(""), interactive: false).Run(args);
        return (code, o.ToString(), e.ToString());
    }

    public string Ok(params string[] args)
    {
        var (code, o, e) = Run(args);
        Assert.True(code == 0, $"hsm {string.Join(' ', args)} exited {code}:\n{o}\n{e}");
        return o;
    }

    public string Read(string rel) => File.ReadAllText(Path.Combine(Dir, rel));
    public byte[] Bytes(string rel) => File.ReadAllBytes(Path.Combine(Dir, rel));

    /// <summary>init plus a small registry written by the registry commands.</summary>
    public CliProject WithStack()
    {
        Ok("init", "--name", "my-rag-app");
        Directory.CreateDirectory(Path.Combine(Dir, "packages", "qdrant-adapter"));
        File.WriteAllText(Path.Combine(Dir, "packages", "qdrant-adapter", "pyproject.toml"), "[project]\nname = \"qdrant-adapter\"\nversion = \"0.1.0\"\n");
        Ok("registry", "add", "library", "qdrant-adapter", "-d", "Client for the Qdrant vector database", "--pypi-version", ">=1.0,<2", "--dev-path", "packages/qdrant-adapter");
        Ok("registry", "add", "library", "milvus-adapter", "-d", "Client for Milvus", "--pypi-version", ">=2.4");
        Ok("registry", "add", "service", "qdrant", "-d", "Vector database", "--image", "qdrant/qdrant:v1.12.0", "--port", "6333:6333", "--env", "COLLECTION=${HSM_MERGED_PARAMS.collection}");
        Ok("registry", "add", "service", "milvus", "-d", "Another vector database", "--image", "milvusdb/milvus:v2.4.0");
        Ok("registry", "add", "service", "redis", "-d", "Cache", "--image", "redis:7");
        Ok("registry", "add", "group", "vector-db-client", "-o", "qdrant-adapter", "-o", "milvus-adapter", "--default", "qdrant-adapter", "-c", "Group for vector database clients");
        Ok("registry", "add", "group", "vector-db-server", "-t", "service_group", "-o", "qdrant", "-o", "milvus");
        Ok("registry", "add", "group", "caches", "-t", "service_group", "-s", "M-of-N", "-o", "redis", "-o", "milvus");
        Ok("registry", "implies", "add", "qdrant-adapter", "service:qdrant", "collection=docs");
        return this;
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public class CommandTests
{
    private static readonly Regex ErrorLine = new(@"^(?<file>[^\s()]+)\((?<line>\d+),(?<col>\d+)\): error (?<code>HSM\d{4}): ", RegexOptions.Multiline);

    [Fact]
    public void Init_writes_the_files_of_the_template_and_refuses_a_second_time()
    {
        using var p = new CliProject();
        p.Ok("init", "--name", "demo");
        Assert.Contains("name: demo", p.Read("hsm.yaml"));
        Assert.Equal("<!-- The stack of this folder: `dotnet build` applies hsm.yaml (the SDK version is pinned in global.json). -->\n<Project Sdk=\"Hsm.Sdk\" />\n", p.Read("hsm.proj"));
        Assert.Contains($"\"Hsm.Sdk\": \"{Templates.SdkVersion}\"", p.Read("global.json"));
        foreach (var d in new[] { "libraries", "services", "library_groups", "service_groups" }) Assert.True(Directory.Exists(Path.Combine(p.Dir, "hsm-registry", d)), d);
        Assert.Contains(".env.hsm.local", p.Read(".gitignore"));
        Assert.Contains("hsm.lock text eol=lf", p.Read(".gitattributes"));
        Assert.Contains("\"hsm.yaml\"", p.Read(".vscode/settings.json"));
        Assert.Equal(File.ReadAllText(Path.Combine(Hsm.Tests.SharedTools.RepoRoot, "docs", "schemas", "hsm.schema.json")), p.Read(".vscode/schemas/hsm.schema.json"));
        // One source: every file of the template's content is written by init.
        var content = Path.Combine(Hsm.Tests.SharedTools.RepoRoot, "src", "Hsm.Templates", "content", "hsm");
        foreach (var f in Directory.EnumerateFiles(content, "*", SearchOption.AllDirectories).Where(f => !f.Contains(".template.config")))
        {
            var rel = Path.GetRelativePath(content, f).Replace('\\', '/') switch { "gitignore.txt" => ".gitignore", "gitattributes.txt" => ".gitattributes", var r => r };
            Assert.True(File.Exists(Path.Combine(p.Dir, rel)), rel);
        }

        var (code, _, err) = p.Run("init");
        Assert.Equal(1, code);
        Assert.Matches(@"^hsm\.yaml\(1,1\): error HSM8006: ", err);
    }

    [Fact]
    public void Init_keeps_an_existing_gitignore_and_adds_only_missing_lines()
    {
        using var p = new CliProject();
        File.WriteAllText(Path.Combine(p.Dir, ".gitignore"), "# mine\nobj/\n");
        p.Ok("init");
        var text = p.Read(".gitignore");
        Assert.StartsWith("# mine\nobj/\nbin/\n", text);
        Assert.Single(Regex.Matches(text, "^obj/$", RegexOptions.Multiline));
        // A last line without its line break gets one before the added lines.
        File.WriteAllText(Path.Combine(p.Dir, ".gitattributes"), "*.png binary");
        File.Delete(Path.Combine(p.Dir, "hsm.yaml"));
        p.Ok("init");
        Assert.StartsWith("*.png binary\n", p.Read(".gitattributes"));
        Assert.Empty(Directory.GetFiles(p.Dir, "*.tmp"));
    }

    [Fact]
    public void An_edit_writes_through_a_symlinked_manifest_and_refuses_a_read_only_one()
    {
        if (OperatingSystem.IsWindows()) return; // symbolic links need a privilege there
        using var p = new CliProject().WithStack();
        var shared = Path.Combine(p.Dir, "shared");
        Directory.CreateDirectory(shared);
        var target = Path.Combine(shared, "hsm.yaml");
        File.Move(Path.Combine(p.Dir, "hsm.yaml"), target);
        File.CreateSymbolicLink(Path.Combine(p.Dir, "hsm.yaml"), Path.Combine("shared", "hsm.yaml"));

        p.Ok("add", "redis");
        Assert.NotNull(new FileInfo(Path.Combine(p.Dir, "hsm.yaml")).LinkTarget); // still a link
        Assert.Contains("- redis", File.ReadAllText(target));
        Assert.Empty(Directory.GetFiles(shared, "*.tmp").Concat(Directory.GetFiles(p.Dir, "*.tmp")));

        File.SetAttributes(target, FileAttributes.ReadOnly);
        try
        {
            var before = File.ReadAllBytes(target);
            var (code, _, err) = p.Run("add", "vector-db-client");
            Assert.Equal(1, code);
            Assert.Contains("error HSM4031", err);
            Assert.Equal(before, File.ReadAllBytes(target));
            Assert.NotNull(new FileInfo(Path.Combine(p.Dir, "hsm.yaml")).LinkTarget);
        }
        finally { File.SetAttributes(target, FileAttributes.Normal); }
    }

    [Fact]
    public void A_new_users_edits_keep_the_file_and_resolve()
    {
        using var p = new CliProject().WithStack();
        Assert.Contains("0 warning(s)", p.Ok("registry", "validate"));
        p.Ok("add", "vector-db-client");
        p.Ok("select", "vector-db-client", "Qdrant_Adapter");
        p.Ok("add", "Redis", "--mode", "prod"); // the registry's spelling goes into hsm.yaml
        Assert.Contains("'redis' is already in hsm.yaml", p.Ok("add", "REDIS"));
        p.Ok("add", "Milvus", "--group", "caches");
        p.Ok("add", "redis", "--group", "caches");
        p.Ok("mode", "qdrant-adapter", "dev");
        Assert.Equal("""
            # The stack of this project. Change it with `hsm add`, `hsm select`, `hsm mode` (or by hand),
            # then `dotnet build` (or `hsm sync`). Reference: docs/manifest.md of Hsm.Sdk.
            project:
              name: my-rag-app
              version: 0.1.0
            libraries:
              groups:
                # Group for vector database clients
                vector-db-client:
                  selection: qdrant-adapter
            services:
              standalone:
                - { name: redis, mode: prod }
              groups:
                caches:
                  selection:
                    - milvus
                    - redis
            modes:
              qdrant-adapter: dev

            """.Replace("\r\n", "\n"), p.Read("hsm.yaml"));

        // Selecting again replaces (1-of-N), the group keeps its comment; remove undoes add exactly.
        p.Ok("select", "vector-db-client", "milvus-adapter");
        Assert.Contains("    vector-db-client:\n      selection: milvus-adapter\n", p.Read("hsm.yaml"));
        var before = p.Bytes("hsm.yaml");
        p.Ok("add", "qdrant-adapter");
        Assert.Contains("  standalone:\n    - qdrant-adapter\n", p.Read("hsm.yaml"));
        p.Ok("remove", "qdrant-adapter");
        Assert.Equal(before, p.Bytes("hsm.yaml"));
        p.Ok("remove", "redis", "--group", "caches");
        Assert.Contains("      selection:\n        - milvus\nmodes:", p.Read("hsm.yaml"));
        // The last option of an M-of-N block selection: nothing selected (not the group's default); adding it back, and
        // adding it again, which says so and changes nothing.
        p.Ok("remove", "milvus", "--group", "caches");
        Assert.Contains("      selection: []\nmodes:", p.Read("hsm.yaml"));
        p.Ok("add", "milvus", "--group", "caches");
        var once = p.Bytes("hsm.yaml");
        Assert.Contains("Group 'caches' already selects 'milvus'; nothing changed.", p.Ok("add", "milvus", "--group", "caches"));
        Assert.Equal(once, p.Bytes("hsm.yaml"));
        // An option given twice is a usage error (a flow list was refused by the resolver, a block list silently deduplicated).
        var (twice, _, twiceErr) = p.Run("select", "caches", "redis", "redis");
        Assert.Equal(2, twice);
        Assert.Contains("'redis' is given twice", twiceErr);
        Assert.Equal(once, p.Bytes("hsm.yaml"));
        p.Ok("remove", "vector-db-client");
        Assert.DoesNotContain("vector-db-client", p.Read("hsm.yaml"));
        Assert.DoesNotContain("# Group for vector database clients", p.Read("hsm.yaml"));
    }

    [Fact]
    public void Errors_come_as_file_line_col_HSMnnnn_with_exit_1_and_the_file_unchanged()
    {
        using var p = new CliProject().WithStack();
        p.Ok("add", "vector-db-client");
        var before = p.Bytes("hsm.yaml");

        var (code, _, err) = p.Run("select", "vector-db-client", "milvus-adaptr");
        Assert.Equal(1, code);
        var m = ErrorLine.Match(err);
        Assert.True(m.Success, err);
        Assert.Equal("hsm.yaml", m.Groups["file"].Value);
        Assert.Equal("HSM1016", m.Groups["code"].Value);
        Assert.Equal("10", m.Groups["line"].Value);
        Assert.Contains("Did you mean 'milvus-adapter'?", err);
        Assert.Equal(before, p.Bytes("hsm.yaml"));

        (code, _, err) = p.Run("add", "qdrant-adaptr");
        Assert.Equal(1, code);
        Assert.Contains("error HSM8002: No library, service or group 'qdrant-adaptr' in the registry. Did you mean 'qdrant-adapter'?", err);
        (code, _, err) = p.Run("remove", "milvus");
        Assert.Equal(1, code);
        Assert.Matches(@"^hsm\.yaml\(1,1\): error HSM8001: ", err);
        (code, _, err) = p.Run("registry", "add", "library", "qdrant-adapter");
        Assert.Equal(1, code);
        Assert.Matches(@"^hsm-registry/libraries/qdrant-adapter\.yaml\(1,1\): error HSM8004: ", err);
        (code, _, err) = p.Run("registry", "remove", "redis");
        Assert.Equal(1, code);
        Assert.Contains("error HSM8005", err);
        Assert.True(File.Exists(Path.Combine(p.Dir, "hsm-registry", "services", "redis.yaml")));
        (code, _, err) = p.Run("registry", "add", "library", "bad", "--prod-type", "git", "--prod-url", "https://example.org/x.git", "--prod-ref", "-x");
        Assert.Equal(1, code);
        Assert.Contains("error HSM8008", err);
        Assert.Contains("error HSM1021", err);
        Assert.False(File.Exists(Path.Combine(p.Dir, "hsm-registry", "libraries", "bad.yaml")));
        Assert.Equal(before, p.Bytes("hsm.yaml"));
        Assert.DoesNotContain("   at ", err); // never a stack trace
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("add")]
    [InlineData("add", "x", "--mode", "maybe")]
    [InlineData("mode", "x")]
    [InlineData("mode", "x", "fast")]
    [InlineData("mode", "--all", "x", "dev")]
    [InlineData("select", "g")]
    [InlineData("registry", "add", "group", "g", "-s", "2-of-N")]
    public void Usage_errors_exit_2(params string[] args)
    {
        using var p = new CliProject();
        p.Ok("init");
        var before = p.Bytes("hsm.yaml");
        var (code, _, err) = p.Run(args);
        Assert.Equal(2, code);
        Assert.StartsWith("hsm: ", err);
        Assert.Equal(before, p.Bytes("hsm.yaml"));
    }

    [Theory]
    [InlineData("x: y")]
    [InlineData("# not a comment")]
    [InlineData("a\"b\\c")]
    [InlineData("line\nbreak")]
    [InlineData("true")]
    [InlineData("[flow]")]
    [InlineData("my-app")]
    public void Init_writes_any_name_as_that_name(string name)
    {
        using var p = new CliProject();
        p.Ok("init", "--name", name);
        var d = new Hsm.Diagnostics.DiagnosticBag();
        var root = Hsm.Yaml.SafeYamlLoader.LoadText(p.Read("hsm.yaml"), "hsm.yaml", d);
        var manifest = Hsm.Manifest.ManifestReader.Read(root!, "hsm.yaml", d);
        Assert.False(d.HasErrors, string.Join("\n", d.Items));
        Assert.Equal(name, manifest!.Name!.Value);
        if (name == "my-app") Assert.Contains("\n  name: my-app\n", p.Read("hsm.yaml")); // plain, as `dotnet new hsm -n my-app` writes it
    }

    [Fact]
    public void Dry_run_prints_a_unified_diff_and_writes_nothing()
    {
        using var p = new CliProject().WithStack();
        var before = p.Bytes("hsm.yaml");
        var diff = p.Ok("add", "milvus-adapter", "--group", "vector-db-client", "--dry-run");
        Assert.Equal("""
            --- a/hsm.yaml
            +++ b/hsm.yaml
            @@ -3,3 +3,8 @@
             project:
               name: my-rag-app
               version: 0.1.0
            +libraries:
            +  groups:
            +    # Group for vector database clients
            +    vector-db-client:
            +      selection: milvus-adapter

            """.Replace("\r\n", "\n"), diff);
        Assert.Equal(before, p.Bytes("hsm.yaml"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("null\n")]
    [InlineData("---\n...\n")]
    public void An_empty_hsm_yaml_is_HSM1023_for_every_editing_command_never_a_silent_success(string text)
    {
        using var p = new CliProject().WithStack();
        File.WriteAllText(Path.Combine(p.Dir, "hsm.yaml"), text);
        foreach (var args in new[] { new[] { "add", "redis" }, new[] { "select", "vector-db-client", "milvus-adapter" }, new[] { "mode", "--all", "prod" }, new[] { "remove", "redis" } })
        {
            var (code, _, err) = p.Run(args);
            Assert.Equal(1, code);
            Assert.Contains("error HSM1023: 'hsm.yaml' is empty", err);
            Assert.Equal(text, p.Read("hsm.yaml"));
        }
    }

    [Fact]
    public void Dry_run_of_an_edit_that_changes_nothing_says_so_and_a_changed_line_reads_minus_then_plus()
    {
        using var p = new CliProject().WithStack();
        p.Ok("add", "milvus-adapter", "--group", "vector-db-client");
        var before = p.Bytes("hsm.yaml");
        Assert.Equal("hsm.yaml already says so; nothing would change.\n", p.Ok("select", "vector-db-client", "milvus-adapter", "--dry-run").Replace("\r\n", "\n"));
        var diff = p.Ok("select", "vector-db-client", "qdrant-adapter", "--dry-run").Replace("\r\n", "\n");
        Assert.Contains("-      selection: milvus-adapter\n+      selection: qdrant-adapter\n", diff);
        Assert.Equal(before, p.Bytes("hsm.yaml"));
    }

    [Fact]
    public void Search_finds_by_name_and_description_and_show_prints_an_entry()
    {
        using var p = new CliProject().WithStack();
        var byName = p.Ok("search", "milvus");
        Assert.Matches(new Regex(@"^library\s+milvus-adapter\s+Client for Milvus$", RegexOptions.Multiline), byName);
        Assert.Matches(new Regex(@"^service\s+milvus\s+Another vector database$", RegexOptions.Multiline), byName);
        var byDescription = p.Ok("search", "VECTOR DATABASE");
        Assert.Contains("qdrant-adapter", byDescription);
        Assert.Contains("vector-db-client", byDescription); // its comment
        Assert.DoesNotContain("redis", byDescription);
        Assert.Contains("Nothing in the registry matches 'nothing-like-it'.", p.Ok("search", "nothing-like-it"));

        var show = p.Ok("show", "vector-db-client");
        Assert.Contains("library group vector-db-client  (hsm-registry/library_groups/vector-db-client.yaml)", show);
        Assert.Contains("qdrant-adapter  Client for the Qdrant vector database", show);
        Assert.Contains("strategy: 1-of-N, default: qdrant-adapter", show);
        var (code, _, err) = p.Run("show", "qdrnt");
        Assert.Equal(1, code);
        Assert.Contains("Did you mean 'qdrant'?", err);
    }

    [Fact]
    public void Completion_returns_registry_names_for_add_and_group_options_for_select()
    {
        using var p = new CliProject().WithStack();
        var add = p.Ok("[suggest:5]", "add q").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { "qdrant", "qdrant-adapter" }, add);
        var select = p.Ok("[suggest:24]", "select vector-db-client ").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("qdrant-adapter", select);
        Assert.Contains("milvus-adapter", select);
        Assert.DoesNotContain("redis", select);
        var selectM = p.Ok("[suggest:25]", "select vector-db-client m").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { "milvus-adapter" }, selectM);
        var group = p.Ok("[suggest:14]", "add x --group ").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("caches", group);
        Assert.Contains("vector-db-server", group);
    }

    [Fact]
    public void Registry_implies_edits_keep_the_file()
    {
        using var p = new CliProject().WithStack();
        var file = "hsm-registry/libraries/qdrant-adapter.yaml";
        Assert.EndsWith("implies:\n  service:qdrant: { params: { collection: docs } }\n", p.Read(file));
        p.Ok("registry", "implies", "add", "vector-db-client", "service_group:vector-db-server", "qdrant", "--option", "qdrant-adapter");
        p.Ok("registry", "implies", "add", "vector-db-client", "service_group:vector-db-server", "milvus", "--option", "milvus-adapter");
        Assert.Contains("  - name: qdrant-adapter\n    implies:\n      service_group:vector-db-server: qdrant\n  - name: milvus-adapter\n    implies:\n      service_group:vector-db-server: milvus\n", p.Read("hsm-registry/library_groups/vector-db-client.yaml"));
        var before = p.Bytes(file);
        p.Ok("registry", "implies", "add", "qdrant-adapter", "service:redis");
        Assert.Contains("  service:redis: {}\n", p.Read(file));
        p.Ok("registry", "implies", "remove", "qdrant-adapter", "service:redis");
        Assert.Equal(before, p.Bytes(file));
        Assert.Contains("0 warning(s)", p.Ok("registry", "validate"));
        p.Ok("registry", "remove", "milvus", "--yes", "--kind", "service");
        Assert.False(File.Exists(Path.Combine(p.Dir, "hsm-registry", "services", "milvus.yaml")));
        var (code, _, err) = p.Run("registry", "validate");
        Assert.Equal(1, code); // the group still names it
        Assert.Contains("vector-db-server.yaml", err);
    }

    [Fact]
    public void Mode_local_writes_hsm_proj_user_and_leaves_hsm_yaml_alone()
    {
        using var p = new CliProject().WithStack();
        p.Ok("add", "vector-db-client");
        var before = p.Bytes("hsm.yaml");
        p.Ok("mode", "qdrant-adapter", "dev", "--local");
        Assert.Equal(before, p.Bytes("hsm.yaml"));
        Assert.Equal("<Project>\n  <ItemGroup>\n    <HsmComponentMode Include=\"qdrant-adapter\" Mode=\"dev\" />\n  </ItemGroup>\n</Project>\n", p.Read("hsm.proj.user"));
        p.Ok("mode", "redis", "prod", "--local");
        p.Ok("mode", "qdrant-adapter", "prod", "--local");
        Assert.Equal("<Project>\n  <ItemGroup>\n    <HsmComponentMode Include=\"qdrant-adapter\" Mode=\"prod\" />\n    <HsmComponentMode Include=\"redis\" Mode=\"prod\" />\n  </ItemGroup>\n</Project>\n", p.Read("hsm.proj.user"));
        p.Ok("mode", "--all", "dev", "--local");
        Assert.Contains("<HsmMode>Dev</HsmMode>", p.Read("hsm.proj.user"));
        var (code, _, err) = p.Run("mode", "qdrant-adaptr", "dev", "--local");
        Assert.Equal(1, code);
        Assert.Contains("Did you mean 'qdrant-adapter'?", err);
    }

    [Fact]
    public void Mode_local_keeps_the_declaration_and_comments_around_the_root_and_refuses_a_broken_or_special_file()
    {
        using var p = new CliProject().WithStack();
        var user = Path.Combine(p.Dir, "hsm.proj.user");
        File.WriteAllText(user, "\uFEFF<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- top -->\n<Project>\n  <!-- mine -->\n</Project>\n<!-- after -->\n");
        p.Ok("mode", "redis", "dev", "--local");
        Assert.Equal("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- top -->\n<Project>\n  <!-- mine -->\n  <ItemGroup>\n    <HsmComponentMode Include=\"redis\" Mode=\"dev\" />\n  </ItemGroup>\n</Project>\n<!-- after -->\n", p.Read("hsm.proj.user"));

        // A DTD is refused, not expanded into the file written back (nested entities would be an expansion bomb).
        var dtd = "<?xml version=\"1.0\"?>\n<!DOCTYPE p [<!ENTITY a \"x\"><!ENTITY b \"&a;&a;&a;&a;\">]>\n<Project><PropertyGroup><X>&b;</X></PropertyGroup></Project>\n";
        foreach (var broken in new[] { "<Project><ItemGroup>", "<Foo />", "", dtd })
        {
            File.WriteAllText(user, broken);
            var (code, _, err) = p.Run("mode", "redis", "prod", "--local");
            Assert.Equal(1, code);
            Assert.Contains("error HSM8003: 'hsm.proj.user' is not an MSBuild file hsm can edit", err);
            Assert.Equal(broken, p.Read("hsm.proj.user"));
        }
    }

    /// <summary>Design §9: a FIFO (or other special file) where a command reads is HSM1035 at once, never a blocking read.</summary>
    [Theory]
    [InlineData("hsm.yaml", "add", "redis")]
    [InlineData("hsm-registry/services/redis.yaml", "registry", "implies", "add", "redis", "service:qdrant")]
    [InlineData("hsm-registry/services/redis.yaml", "show", "redis")]
    [InlineData("hsm.proj.user", "mode", "redis", "dev", "--local")]
    public void A_fifo_where_a_command_reads_is_HSM1035_never_a_hang(string file, params string[] args)
    {
        if (OperatingSystem.IsWindows()) return;
        using var p = new CliProject().WithStack();
        var path = Path.Combine(p.Dir, file);
        File.Delete(path);
        using (var mk = System.Diagnostics.Process.Start("mkfifo", new[] { path })) mk.WaitForExit();
        // Hang guard (generous): a blocking open of the FIFO never returns.
        var run = Task.Run(() => p.Run(args));
        Assert.True(run.Wait(TimeSpan.FromMinutes(2)), $"hsm {string.Join(' ', args)} blocked on the FIFO {file}");
        var (code, _, err) = run.Result;
        Assert.Equal(1, code);
        Assert.Contains("error HSM1035", err);
    }

    /// <summary>
    /// Design §9 (hsm writes only inside the project and the folders it manages): a file a command writes that is a
    /// symbolic link leading out of the project (and, for registry commands, the registry folders) — committed in a
    /// pull request, dangling or not — is HSM4012 and nothing is written; the link and its target stay as they were.
    /// </summary>
    [Theory]
    [InlineData("hsm.yaml", true, "add", "redis")]
    [InlineData("hsm-registry/services/redis.yaml", true, "registry", "implies", "add", "redis", "service:qdrant")]
    [InlineData("hsm-registry/services/postgres.yaml", false, "registry", "add", "service", "postgres", "--image", "postgres:16", "--force")]
    [InlineData("hsm.proj.user", true, "mode", "redis", "dev", "--local")]
    [InlineData("hsm.proj.user", false, "mode", "redis", "dev", "--local")]
    public void A_written_file_linked_out_of_the_project_is_HSM4012_and_nothing_changes(string file, bool targetExists, params string[] args)
    {
        if (OperatingSystem.IsWindows()) return; // symbolic links need a privilege there
        using var p = new CliProject().WithStack();
        using var outside = new CliProject();
        var path = Path.Combine(p.Dir, file);
        var target = Path.Combine(outside.Dir, "elsewhere.yaml");
        if (targetExists) File.WriteAllText(target, file.EndsWith(".user") ? "<Project>\n</Project>\n" : File.ReadAllText(path));
        File.Delete(path);
        File.CreateSymbolicLink(path, target);
        var before = targetExists ? File.ReadAllBytes(target) : null;
        var manifest = File.Exists(Path.Combine(p.Dir, "hsm.yaml")) ? p.Bytes("hsm.yaml") : null;

        var (code, _, err) = p.Run(args);
        Assert.Equal(1, code);
        Assert.Contains("error HSM4012", err);
        Assert.Contains("symbolic link", err);
        Assert.Equal(before, File.Exists(target) ? File.ReadAllBytes(target) : null);
        Assert.Equal(target, new FileInfo(path).LinkTarget);
        if (file != "hsm.yaml") Assert.Equal(manifest, p.Bytes("hsm.yaml"));
        Assert.Empty(Directory.GetFiles(outside.Dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("registry", "validate")]
    [InlineData("add", "redis")]
    [InlineData("search", "redis")]
    public void A_registry_folder_that_does_not_exist_is_HSM1025_from_hsm(params string[] args)
    {
        using var p = new CliProject().WithStack();
        var (code, _, err) = p.Run(args.Concat(new[] { "--registry", Path.Combine(p.Dir, "nowhere") }).ToArray());
        Assert.Equal(1, code);
        Assert.StartsWith("hsm: error HSM1025: The registry folder 'nowhere' (from HsmRegistryPath) does not exist.", err);
    }

    /// <summary>
    /// A registry group's comment (a pull request's text) inserted above the group by `hsm add`: every line break YAML
    /// knows (a bare CR, U+2028) stays inside the comment, so it cannot add YAML to hsm.yaml; `show` and `search`
    /// print its control characters as escapes, never to the terminal.
    /// </summary>
    [Theory]
    [InlineData("\\r")]
    [InlineData("\\u2028")]
    [InlineData("\\x85")]
    public void A_registry_comment_cannot_add_yaml_to_hsm_yaml_nor_drive_the_terminal(string lineBreak)
    {
        using var p = new CliProject().WithStack();
        File.WriteAllText(Path.Combine(p.Dir, "hsm-registry", "library_groups", "vector-db-client.yaml"),
            $"type: library_group\nstrategy: 1-of-N\ncomment: \"Vector clients{lineBreak}modes: {{ qdrant-adapter: prod }}{lineBreak}\\e[2K\"\ndefault: qdrant-adapter\noptions:\n  - name: qdrant-adapter\n  - name: milvus-adapter\n");
        p.Ok("add", "vector-db-client");
        var yaml = p.Read("hsm.yaml");
        Assert.DoesNotMatch(@"(?m)^modes:", yaml);
        Assert.Matches(@"(?m)^    # modes: \{ qdrant-adapter: prod \}$", yaml);
        Assert.DoesNotContain(yaml, c => c is '\r' or '\u2028' or '\u0085' or '\u001b');
        foreach (var output in new[] { p.Ok("show", "vector-db-client"), p.Ok("search", "vector") })
        {
            Assert.DoesNotContain(output, c => char.IsControl(c) && c is not ('\n' or '\t') || c is '\u2028');
            Assert.Contains("\\x1B[2K", output);
        }
    }

    /// <summary>
    /// Nothing lost when commands run at once (an agent's parallel `hsm add`s): each one's edit lands, or it says
    /// HSM8009 and writes nothing — never exit 0 with its edit overwritten by another's.
    /// </summary>
    [Fact]
    public void Commands_run_at_once_never_lose_an_edit()
    {
        using var p = new CliProject().WithStack();
        var empty = p.Read("hsm.yaml");
        var components = new[] { "redis", "milvus", "qdrant-adapter", "milvus-adapter", "caches" };
        int landed = 0, refused = 0;
        for (int round = 0; round < 4; round++)
        {
            File.WriteAllText(Path.Combine(p.Dir, "hsm.yaml"), empty);
            // Threads of their own, released together, so the commands' read-validate-write really overlap.
            using var start = new Barrier(components.Length);
            var runs = components.Select(c => Task.Factory.StartNew(() => { start.SignalAndWait(); return p.Run("add", c); }, TaskCreationOptions.LongRunning)).ToArray();
            Assert.True(Task.WaitAll(runs, TimeSpan.FromMinutes(5)), "hang guard");
            var names = Hsm.Cli.Commands.ProjectCommands.ManifestNames(new Workspace(p.Dir, null, TextWriter.Null)).ToHashSet();
            for (int i = 0; i < components.Length; i++)
            {
                var (code, _, err) = runs[i].Result;
                if (code == 0) { Assert.Contains(components[i], names); landed++; }
                else { Assert.Contains("error HSM8009", err); Assert.DoesNotContain(components[i], names); refused++; }
            }
        }
        Assert.True(landed > 0, $"landed {landed}, refused {refused}");
    }

    [Theory]
    [InlineData("con")]
    [InlineData("AUX")]
    [InlineData("lpt9.tools")]
    public void Registry_add_refuses_a_name_Windows_reserves(string name)
    {
        using var p = new CliProject().WithStack();
        var (code, _, err) = p.Run("registry", "add", "library", name, "--pypi-version", ">=1");
        Assert.Equal(1, code);
        Assert.Contains("error HSM1044", err);
        Assert.False(File.Exists(Path.Combine(p.Dir, "hsm-registry", "libraries", name + ".yaml")));
        p.Ok("registry", "add", "library", "my-" + name, "--pypi-version", ">=1"); // only the device name itself
    }

    [Fact]
    public void A_registry_file_linked_inside_the_registry_is_written_through()
    {
        if (OperatingSystem.IsWindows()) return;
        using var p = new CliProject().WithStack();
        var path = Path.Combine(p.Dir, "hsm-registry", "services", "redis.yaml");
        var shared = Path.Combine(p.Dir, "hsm-registry", "shared-redis.yml");
        File.Move(path, shared);
        File.CreateSymbolicLink(path, Path.Combine("..", "shared-redis.yml"));
        p.Ok("registry", "implies", "add", "redis", "service:qdrant");
        Assert.Contains("service:qdrant", File.ReadAllText(shared));
        Assert.NotNull(new FileInfo(path).LinkTarget);
    }

    /// <summary>`hsm init` adds its lines to an existing .gitignore/.gitattributes: never through a link out of the
    /// folder (HSM4012), never by blocking on a FIFO (HSM1035), the file replaced atomically.</summary>
    [Theory]
    [InlineData(".gitignore", "link")]
    [InlineData(".gitattributes", "link")]
    [InlineData(".gitignore", "fifo")]
    public void Init_never_appends_through_a_link_out_of_the_folder_or_blocks_on_a_fifo(string file, string kind)
    {
        if (OperatingSystem.IsWindows()) return;
        using var p = new CliProject();
        using var outside = new CliProject();
        var target = Path.Combine(outside.Dir, "profile");
        File.WriteAllText(target, "export X=1\n");
        if (kind == "link") File.CreateSymbolicLink(Path.Combine(p.Dir, file), target);
        else using (var mk = System.Diagnostics.Process.Start("mkfifo", new[] { Path.Combine(p.Dir, file) })) mk.WaitForExit();
        var run = Task.Run(() => p.Run("init"));
        Assert.True(run.Wait(TimeSpan.FromMinutes(2)), "hsm init blocked");
        var (code, _, err) = run.Result;
        Assert.Equal(1, code);
        Assert.Contains(kind == "link" ? "error HSM4012" : "error HSM1035", err);
        Assert.Equal("export X=1\n", File.ReadAllText(target));
    }

    [Fact]
    public void HsmComponentMode_comes_after_the_Mode_property_and_before_hsm_yaml()
    {
        using var p = new CliProject().WithStack();
        p.Ok("add", "vector-db-client");
        p.Ok("mode", "qdrant-adapter", "prod"); // modes.qdrant-adapter: prod in hsm.yaml
        var ws = new Workspace(p.Dir, null, TextWriter.Null);
        ResolveRequest Request(string? forced, params string[] items)
        {
            var d = new DiagnosticBag();
            var r = ws.Request(ws.ManifestPath);
            return new ResolveRequest
            {
                ManifestPath = r.ManifestPath, ProjectDirectory = r.ProjectDirectory, PropertyBaseDirectory = r.PropertyBaseDirectory,
                RegistryEnvironment = r.RegistryEnvironment, Settings = r.Settings, ForcedMode = forced,
                ComponentModes = ResolvePipeline.ParseComponentModes(items, d),
            };
        }
        (string Mode, string? From) Lib(ResolveRequest req)
        {
            var d = new DiagnosticBag();
            var (stack, _) = ResolvePipeline.Run(req, d);
            Assert.False(d.HasErrors, string.Join("\n", d.Items));
            var l = stack!.Libraries.Single(x => x.Name == "qdrant-adapter");
            return (l.Mode, l.ModeOrigin);
        }
        Assert.Equal(("prod", "modes.qdrant-adapter"), Lib(Request(null)));
        Assert.Equal(("dev", "HsmComponentMode"), Lib(Request(null, "qdrant-adapter=Dev")));
        Assert.Equal(("prod", "the Mode property"), Lib(Request("prod", "qdrant-adapter=dev")));
        var tree = StackReport.Tree(ResolvePipeline.Run(Request(null, "qdrant-adapter=dev"), new DiagnosticBag()).Stack!);
        Assert.Contains("qdrant-adapter  dev, local packages/qdrant-adapter (editable)\n      mode from HsmComponentMode\n", tree);

        var bad = new DiagnosticBag();
        ResolvePipeline.ParseComponentModes(new[] { "qdrant-adapter=fast" }, bad);
        Assert.Contains(bad.Items, x => x.Code == Codes.InvalidModeProperty && x.Message.Contains("HsmComponentMode 'qdrant-adapter'"));
    }

    [Fact]
    public void Commands_keep_a_BOM_and_CRLF_and_undo_exactly()
    {
        using var p = new CliProject().WithStack();
        var text = "\uFEFF# mine\r\nproject:\r\n  name: 'my-rag-app'   # quoted\r\n\r\nservices:\r\n  standalone: [redis]\r\n";
        File.WriteAllBytes(Path.Combine(p.Dir, "hsm.yaml"), System.Text.Encoding.UTF8.GetBytes(text));
        var before = p.Bytes("hsm.yaml");
        Assert.Equal(0xEF, before[0]);
        p.Ok("add", "milvus");
        p.Ok("add", "vector-db-client");
        var edited = p.Read("hsm.yaml");
        Assert.Equal("# mine\r\nproject:\r\n  name: 'my-rag-app'   # quoted\r\n\r\nlibraries:\r\n  groups:\r\n    # Group for vector database clients\r\n    vector-db-client:\r\nservices:\r\n  standalone: [redis, milvus]\r\n", edited.TrimStart('\uFEFF'));
        Assert.Equal(0xEF, p.Bytes("hsm.yaml")[0]);
        p.Ok("remove", "vector-db-client");
        p.Ok("remove", "milvus");
        Assert.Equal(before, p.Bytes("hsm.yaml"));
    }

    [Fact]
    public void Build_commands_report_a_missing_project_file()
    {
        using var p = new CliProject();
        var (code, _, err) = p.Run("check");
        Assert.Equal(1, code);
        Assert.Matches(@"^hsm\.proj: error HSM8007: ", err);
    }
}
