using Hsm.Cli.Commands;
using Xunit;

namespace Hsm.Cli.Tests;

/// <summary>The fast path's decisions (FastBuild): when the restore is skipped, when the MSBuild server is used.</summary>
public sealed class FastBuildTests : IDisposable
{
    /// <summary>The build's dotnet: DOTNET_HOST_PATH, then PATH, then DOTNET_ROOT, then the installation whose
    /// runtime runs the tool — so an `hsm` apphost started with no dotnet on PATH still builds.</summary>
    [Fact]
    public void The_dotnet_that_builds_is_found_without_PATH()
    {
        var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var installed = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", exe));
        Assert.True(File.Exists(installed), installed);
        var dir = Path.Combine(Path.GetTempPath(), "hsm-dotnet-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var fake = Path.Combine(dir, exe);
            File.WriteAllText(fake, "");
            Assert.Equal(fake, BuildCommands.DotnetHost(n => n == "DOTNET_HOST_PATH" ? fake : n == "PATH" ? "/nonexistent" : null));
            Assert.Equal(fake, BuildCommands.DotnetHost(n => n == "PATH" ? "/nonexistent" + Path.PathSeparator + dir : null));
            Assert.Equal(fake, BuildCommands.DotnetHost(n => n == "DOTNET_ROOT" ? dir : null));
            Assert.Equal(installed, BuildCommands.DotnetHost(n => n == "PATH" ? "/nonexistent" : null));
            Assert.Equal(installed, BuildCommands.DotnetHost(n => n == "DOTNET_HOST_PATH" ? Path.Combine(dir, "missing") : null));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private readonly string _root = Path.Combine(Path.GetTempPath(), "hsm-fast-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _dir;
    private readonly string _proj;
    // Times far from now, so files of the machine above the temporary folder (/tmp/global.json, ~/.nuget) never decide.
    private static readonly DateTime Past = DateTime.UtcNow.AddDays(-30);
    private static readonly DateTime Restored = DateTime.UtcNow.AddDays(30);
    private static readonly DateTime Later = DateTime.UtcNow.AddDays(31);

    public FastBuildTests()
    {
        _dir = Path.Combine(_root, "app");
        Directory.CreateDirectory(Path.Combine(_dir, "obj"));
        _proj = Write("app/hsm.proj", "<Project Sdk=\"Hsm.Sdk\" />");
        Write("global.json", "{}");
        Write("nuget.config", "<configuration />");
        Write("Directory.Build.props", "<Project />");
        Write("app/hsm.proj.user", "<Project />");
        Write("app/obj/project.assets.json", "{}");
        FastBuild.Stamp(_proj, Array.Empty<string>(), Restored);
    }

    private string Write(string rel, string text, DateTime? time = null)
    {
        var path = Path.Combine(_root, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        File.SetLastWriteTimeUtc(path, time ?? Past);
        return path;
    }

    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    private FastBuild.Plan Decide(params string[] args) => FastBuild.Decide(_proj, args, Env());

    [Fact]
    public void An_up_to_date_restore_is_skipped_and_the_server_is_used()
    {
        var plan = Decide("-p:HsmPythonSync=none", "-v:n", "-bl");
        Assert.True(plan.SkipRestore, plan.RestoreReason);
        Assert.True(plan.UseServer, plan.ServerReason);
    }

    [Theory]
    [InlineData("app/hsm.proj")]
    [InlineData("app/hsm.proj.user")]
    [InlineData("global.json")]
    [InlineData("nuget.config")]
    [InlineData("NuGet.Config")]
    [InlineData("Directory.Build.props")]
    [InlineData("Directory.Build.targets")]
    [InlineData("Directory.Build.rsp")]
    [InlineData("app/Directory.Packages.props")]
    public void An_input_written_after_the_last_restore_restores(string rel)
    {
        var text = rel.EndsWith(".proj") ? "<Project Sdk=\"Hsm.Sdk\" />" : "<Project />";
        Write(rel, text, Later);
        var plan = Decide();
        Assert.False(plan.SkipRestore);
        Assert.Contains(Path.GetFileName(rel), plan.RestoreReason);
    }

    [Fact]
    public void An_input_as_old_as_the_restore_restores()
    {
        Write("global.json", "{}", Restored);
        Assert.False(Decide().SkipRestore);
    }

    [Fact]
    public void A_missing_assets_file_restores()
    {
        File.Delete(Path.Combine(_dir, "obj", "project.assets.json"));
        Assert.False(Decide().SkipRestore);
    }

    [Fact]
    public void Without_the_stamp_of_a_restore_by_hsm_it_restores()
    {
        File.Delete(Path.Combine(_dir, "obj", FastBuild.StampName));
        Assert.False(Decide().SkipRestore);
    }

    [Fact]
    public void An_assets_file_rewritten_by_another_restore_restores()
    {
        // e.g. `dotnet build -p:TargetFramework=…` since the stamp: newer than every input, but not the stamped one.
        File.SetLastWriteTimeUtc(Path.Combine(_dir, "obj", "project.assets.json"), Past.AddHours(1));
        var plan = Decide();
        Assert.False(plan.SkipRestore);
        Assert.Contains("another restore", plan.RestoreReason);
    }

    [Fact]
    public void A_project_that_imports_files_restores()
    {
        Write("app/hsm.proj", "<Project><Import Project=\"../x.props\" /></Project>");
        Assert.False(Decide().SkipRestore);
    }

    [Theory]
    [InlineData("-p:TargetFramework=net8.0")]
    [InlineData("-p:RestoreSources=/feed")]
    [InlineData("/p:NuGetAudit=false")]
    [InlineData("-property:HsmMode=dev;RestoreForce=true")]
    [InlineData("--runtime", "linux-x64")]
    [InlineData("-rp:X=1")]
    public void Arguments_that_change_the_restore_restore(params string[] args)
    {
        Assert.False(Decide(args).SkipRestore);
        // …and do not stamp: the next build without them must not trust that restore.
        File.Delete(Path.Combine(_dir, "obj", FastBuild.StampName));
        FastBuild.Stamp(_proj, args, Restored);
        Assert.False(File.Exists(Path.Combine(_dir, "obj", FastBuild.StampName)));
    }

    [Theory]
    [InlineData("--no-restore")]
    [InlineData("-restore")]
    [InlineData("/restore:false")]
    public void The_users_restore_switch_is_left_alone(string arg)
    {
        var plan = Decide(arg);
        Assert.False(plan.SkipRestore); // nothing added: the user's switch decides
    }

    [Theory]
    [InlineData("DOTNET_CLI_USE_MSBUILD_SERVER", "0")]
    [InlineData("DOTNET_CLI_USE_MSBUILD_SERVER", "false")]
    [InlineData("DOTNET_CLI_USE_MSBUILD_SERVER", "1")]
    [InlineData("MSBUILDDISABLENODEREUSE", "1")]
    public void The_users_environment_keeps_the_server_choice(string name, string value)
    {
        var plan = FastBuild.Decide(_proj, Array.Empty<string>(), Env((name, value)));
        Assert.False(plan.UseServer); // not set by hsm (an explicit 1 is passed on as it is)
        Assert.True(plan.SkipRestore);
    }

    [Fact]
    public void Tiered_PGO_is_turned_off_only_for_a_cold_MSBuild_and_only_when_the_user_has_not_set_it()
    {
        Assert.False(Decide().NoTieredPgo); // the server: its steady state keeps PGO
        Assert.True(FastBuild.Decide(_proj, Array.Empty<string>(), Env(("DOTNET_CLI_USE_MSBUILD_SERVER", "0"))).NoTieredPgo);
        Assert.True(Decide("-nodeReuse:false").NoTieredPgo);
        Assert.False(FastBuild.Decide(_proj, Array.Empty<string>(), Env(("DOTNET_CLI_USE_MSBUILD_SERVER", "0"), ("DOTNET_TieredPGO", "1"))).NoTieredPgo);
        Assert.False(FastBuild.Decide(_proj, Array.Empty<string>(), Env(("MSBUILDDISABLENODEREUSE", "1"), ("HSM_CLI_FAST", "0"))).NoTieredPgo);
    }

    [Theory]
    [InlineData("-nodeReuse:false")]
    [InlineData("/nr:false")]
    [InlineData("--disable-build-servers")]
    public void The_users_node_reuse_switch_keeps_the_server_off(string arg) =>
        Assert.False(Decide(arg).UseServer);

    [Theory]
    [InlineData("0")]
    [InlineData("false")]
    [InlineData("off")]
    public void HSM_CLI_FAST_0_turns_the_fast_path_off(string value)
    {
        var plan = FastBuild.Decide(_proj, Array.Empty<string>(), Env(("HSM_CLI_FAST", value)));
        Assert.False(plan.SkipRestore);
        Assert.False(plan.UseServer);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Theory]
    [InlineData("/r/plain", "/r/plain")]
    [InlineData("r1;r2", "r1%3Br2")] // --registry's list separator reaches HsmRegistryPath as one value
    [InlineData("/r/a,b \"c\" 100% $(X) @(Y) it's *?", "/r/a%2Cb %22c%22 100%25 %24(X) %40(Y) it%27s %2A%3F")]
    public void A_registry_option_is_one_msbuild_property_value(string option, string switchValue) =>
        Assert.Equal(switchValue, BuildCommands.PropertyValue(option));
}
