using System.CommandLine;
using System.Diagnostics;
using Hsm.Diagnostics;

namespace Hsm.Cli.Commands;

/// <summary>
/// list, check, sync, up, down, status: `dotnet build &lt;hsm.proj&gt; -t:&lt;Target&gt;`, output streamed and exit
/// code kept, so the command line, the IDE and CI behave the same. Extra arguments (-p:Name=Value, -v:…,
/// -bl, …) pass through to MSBuild.
/// </summary>
public static class BuildCommands
{
    public static readonly (string Command, string Target, string Description)[] Map =
    {
        ("list", "HsmList", "Print the resolved stack as a tree (the HsmList target; also obj/hsm/stack.txt)."),
        ("check", "HsmCheck", "Dry run: resolve, stage and check, print what a build would change (HsmCheck; obj/hsm/plan.txt)."),
        ("sync", "HsmSync", "Apply the stack: pyproject.toml, uv.lock, docker-compose.hsm.yml, .env files, hsm.lock (HsmSync, then HsmCommit)."),
        ("up", "HsmUp", "Start the stack's services (HsmUp)."),
        ("down", "HsmDown", "Stop the stack's services (HsmDown)."),
        ("status", "HsmStatus", "Show the state of the stack's services (HsmStatus)."),
    };

    public static IEnumerable<Command> Create(Cli cli)
    {
        foreach (var (name, target, description) in Map)
        {
            var cmd = new Command(name, description + " Extra arguments (-p:Name=Value, -v:n, -bl) go to MSBuild.") { TreatUnmatchedTokensAsErrors = false };
            var extra = new Argument<string[]>("msbuild-arguments") { Arity = ArgumentArity.ZeroOrMore, Description = "Passed to dotnet build." };
            cmd.Arguments.Add(extra);
            cmd.SetAction(r =>
            {
                var ws = cli.Workspace(r);
                var args = (r.GetValue(extra) ?? Array.Empty<string>()).Concat(r.UnmatchedTokens).ToList();
                return RunTarget(ws, target, args, cli.Out, cli.Err);
            });
            yield return cmd;
        }
    }

    /// <summary>The project file to build: hsm.proj, else the only *.proj of the folder.</summary>
    public static string ProjectFile(Workspace ws)
    {
        var hsm = Path.Combine(ws.Directory, "hsm.proj");
        if (File.Exists(hsm)) return hsm;
        var projs = Directory.Exists(ws.Directory) ? Directory.GetFiles(ws.Directory, "*.proj") : Array.Empty<string>();
        if (projs.Length == 1) return projs[0];
        throw new CliError(Codes.NoProjectFile, new SourceSpan("hsm.proj", 0, 0),
            projs.Length == 0 ? $"There is no hsm.proj in '{ws.Directory}'. Run 'hsm init' (or create '<Project Sdk=\"Hsm.Sdk\" />')."
                              : $"'{ws.Directory}' has several project files ({string.Join(", ", projs.Select(Path.GetFileName))}) and no hsm.proj; pass --directory to a folder with one.");
    }

    /// <summary>
    /// A literal value as MSBuild reads a `-p:Name=value` switch: `;` and `,` would separate properties, `"` is
    /// stripped and `%XX` unescaped, so those (and MSBuild's other special characters) become `%XX`, which MSBuild
    /// unescapes into the global property's value: a registry folder named `a;b,c` stays one path.
    /// </summary>
    public static string PropertyValue(string value) => Hsm.Tasks.ProjectXml.Escape(value, Hsm.Tasks.ProjectXml.SwitchSpecial);

    /// <summary>
    /// The dotnet that runs the build: the one that started this tool (DOTNET_HOST_PATH, set under `dotnet hsm`), the
    /// one on PATH, the one under DOTNET_ROOT, else the installation whose runtime runs this tool (an `hsm` apphost
    /// started with no dotnet on PATH); "dotnet" when none is found (the start then fails with a clear error).
    /// </summary>
    public static string DotnetHost(Func<string, string?> env)
    {
        var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (env("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        foreach (var dir in (env("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, exe))) return Path.Combine(dir, exe);
        if (env("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, exe))) return Path.Combine(root, exe);
        var runtimeRoot = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        return File.Exists(Path.Combine(runtimeRoot, exe)) ? Path.Combine(runtimeRoot, exe) : "dotnet";
    }

    public static int RunTarget(Workspace ws, string target, IReadOnlyList<string> extra, TextWriter output, TextWriter error)
    {
        var project = ProjectFile(ws);
        var psi = new ProcessStartInfo(DotnetHost(Environment.GetEnvironmentVariable))
        {
            UseShellExecute = false,
            WorkingDirectory = ws.Directory,
        };
        bool redirect = !ReferenceEquals(output, Console.Out) || !ReferenceEquals(error, Console.Error);
        psi.RedirectStandardOutput = redirect;
        psi.RedirectStandardError = redirect;
        foreach (var a in new[] { "build", project, "-t:" + target, "-nologo" }) psi.ArgumentList.Add(a);
        // The fast path (FastBuild; docs/cli.md): no restore when it is provably up to date, the MSBuild server.
        var plan = FastBuild.Decide(project, extra, Environment.GetEnvironmentVariable);
        if (plan.SkipRestore) psi.ArgumentList.Add("--no-restore");
        if (plan.UseServer) psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "1";
        if (plan.NoTieredPgo) psi.Environment["DOTNET_TieredPGO"] = "0";
        if (ws.RegistryOption != null) psi.ArgumentList.Add("-p:HsmRegistryPath=" + PropertyValue(ws.RegistryOption));
        foreach (var a in extra) psi.ArgumentList.Add(a);
        var start = DateTime.UtcNow;
        Process p;
        try { p = Process.Start(psi)!; }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new CliError(Codes.NoProjectFile, new SourceSpan(ws.Label(project), 0, 0), $"Cannot start 'dotnet build' ({psi.FileName}: {e.Message}). Is the .NET SDK on PATH (or DOTNET_ROOT set)?");
        }
        using (p)
        {
            if (redirect)
            {
                // Stream line by line (the caller's writers, e.g. in tests).
                p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.WriteLine(e.Data); };
                p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) error.WriteLine(e.Data); };
                p.BeginOutputReadLine();
                p.BeginErrorReadLine();
            }
            p.WaitForExit();
            // A build that restored and succeeded: the restore is up to date with every input older than its start.
            if (p.ExitCode == 0 && !plan.SkipRestore && FastBuild.Enabled(Environment.GetEnvironmentVariable)
                && !extra.Any(a => FastBuild.SwitchName(a) is "no-restore" or "restore"))
                FastBuild.Stamp(project, extra, start);
            return p.ExitCode;
        }
    }
}
