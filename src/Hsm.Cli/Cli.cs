using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Invocation;
using Hsm.Cli.Commands;
using Hsm.Diagnostics;

namespace Hsm.Cli;

/// <summary>
/// The `hsm` command tree (design §11) on System.CommandLine. Exit codes: 0 success, 1 an HSM error
/// (printed as `file(line,col): error HSMnnnn: …`), 2 a usage error.
/// </summary>
public sealed class Cli
{
    public const int Ok = 0, Failed = 1, Usage = 2;

    public TextWriter Out { get; }
    public TextWriter Err { get; }
    /// <summary>The folder a command runs in when --directory is not given.</summary>
    public string WorkingDirectory { get; }
    public TextReader In { get; }
    public bool InputIsInteractive { get; }

    public static readonly Option<string?> DirectoryOption = new("--directory", "-C")
    {
        Description = "The project folder (holding hsm.yaml and hsm.proj); default: the current folder.",
        Recursive = true,
    };

    public static readonly Option<string?> RegistryOption = new("--registry")
    {
        Description = "Registry folder(s), ';'-separated, as the HsmRegistryPath property (default: HSM_REGISTRY_PATH, project.registry, hsm-registry).",
        Recursive = true,
    };

    public Cli(TextWriter? output = null, TextWriter? error = null, string? workingDirectory = null, TextReader? input = null, bool? interactive = null)
    {
        Out = output ?? Console.Out;
        Err = error ?? Console.Error;
        WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory;
        In = input ?? Console.In;
        InputIsInteractive = interactive ?? !Console.IsInputRedirected;
    }

    public Workspace Workspace(ParseResult r)
    {
        var dir = r.GetValue(DirectoryOption);
        return new Workspace(dir is null ? WorkingDirectory : Path.Combine(WorkingDirectory, dir), r.GetValue(RegistryOption), Out);
    }

    public RootCommand BuildRoot()
    {
        var root = new RootCommand("hsm: change the stack of an Hsm.Sdk project (hsm.yaml and its registry); build it with MSBuild.");
        root.Options.Add(DirectoryOption);
        root.Options.Add(RegistryOption);
        foreach (var c in ProjectCommands.Create(this)) root.Subcommands.Add(c);
        foreach (var c in BuildCommands.Create(this)) root.Subcommands.Add(c);
        root.Subcommands.Add(RegistryCommands.Create(this));
        return root;
    }

    public int Run(string[] args)
    {
        var root = BuildRoot();
        var result = root.Parse(args);
        if (result.Action is ParseErrorAction)
        {
            foreach (var e in result.Errors) Err.WriteLine("hsm: " + e.Message);
            Err.WriteLine("Run 'hsm --help' (or 'hsm <command> --help') for usage.");
            return Usage;
        }
        try
        {
            return result.Invoke(new InvocationConfiguration { Output = Out, Error = Err, EnableDefaultExceptionHandler = false });
        }
        catch (CliError e)
        {
            // A failure is never exit 0 with nothing said: an error that carries no error diagnostic is a defect.
            return e.Diagnostics.Any(x => x.Severity == Severity.Error) ? Report(e.Diagnostics)
                : Report(e.Diagnostics.Append(new Diagnostic(Codes.Internal, Severity.Error, "Internal error in hsm: a command failed without saying why. Please report it with the command line.", new SourceSpan("hsm", 0, 0))));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            // An edit whose result the parser rejects is a defect of the splice; the file was not written.
            return Report(new[] { new Diagnostic(Codes.CannotEdit, Severity.Error, $"The edit would leave the file unreadable as YAML ({e.Message}); nothing was written. Make the change by hand.", new SourceSpan("hsm.yaml", (int)e.Start.Line, (int)e.Start.Column)) });
        }
        catch (UsageException e)
        {
            Err.WriteLine("hsm: " + e.Message);
            return Usage;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Report(new[] { new Diagnostic(Codes.Internal, Severity.Error, $"Internal error in hsm ({e.GetType().Name}: {e.Message}). Please report it with this message.", new SourceSpan("hsm", 0, 0)) });
        }
    }

    /// <summary>Prints diagnostics as MSBuild does (file(line,col): error HSMnnnn: message); 1 when any is an error.</summary>
    public int Report(IEnumerable<Diagnostic> diagnostics)
    {
        bool error = false;
        foreach (var d in diagnostics)
        {
            if (d.Severity == Severity.Message) continue;
            error |= d.Severity == Severity.Error;
            // A diagnostic about no file (a property, --registry) is the tool's own, as MSBuild prints it for a task.
            (d.Severity == Severity.Error ? Err : Out).WriteLine(string.IsNullOrEmpty(d.Span.File) ? d with { Span = new SourceSpan("hsm", 0, 0) } : d);
        }
        return error ? Failed : Ok;
    }
}

/// <summary>A usage error found after parsing (e.g. a wrong combination of arguments): exit code 2.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
}
