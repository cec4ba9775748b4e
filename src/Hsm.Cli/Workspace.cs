using Hsm.Cli.Editing;
using Hsm.Diagnostics;
using Hsm.Manifest;
using Hsm.Pipeline;
using Hsm.Registry;
using Hsm.Resolution;
using Hsm.Yaml;

namespace Hsm.Cli;

/// <summary>Raised for a problem the command reports as `file(line,col): error HSMnnnn: …` and exit code 1.</summary>
public sealed class CliError : Exception
{
    public IReadOnlyList<Diagnostic> Diagnostics { get; }
    public CliError(IEnumerable<Diagnostic> diagnostics) : base(string.Join("\n", diagnostics)) => Diagnostics = diagnostics.ToList();
    public CliError(string code, SourceSpan span, string message) : this(new[] { new Diagnostic(code, Severity.Error, message, span) }) { }
}

/// <summary>
/// The project a command works on: its folder, hsm.yaml and registry (located as the build locates
/// them: --registry as HsmRegistryPath, then HSM_REGISTRY_PATH, project.registry, hsm-registry), and
/// the validate-then-write-atomically step every edit goes through. Loading and resolving go through
/// <see cref="HsmPipeline"/>, as in the build.
/// </summary>
public sealed class Workspace
{
    public string Directory { get; }
    public string ManifestPath => Path.Combine(Directory, "hsm.yaml");
    public string? RegistryOption { get; }
    public TextWriter Out { get; }

    public Workspace(string directory, string? registryOption, TextWriter output)
    {
        Directory = Path.GetFullPath(directory);
        RegistryOption = registryOption;
        Out = output;
        Pipeline = new HsmPipeline(new PipelineContext { ProjectDirectory = Directory, IntermediateDirectory = Path.Combine(Directory, "obj", "hsm") });
    }

    /// <summary>The build's pipeline for this project (the command line only loads and resolves with it; the build stages and commits).</summary>
    public HsmPipeline Pipeline { get; }

    public string Label(string path) => Pipeline.Label(path);

    /// <summary>The load and resolve inputs of a manifest: --registry as HsmRegistryPath, then HSM_REGISTRY_PATH, the default settings.</summary>
    public ResolveInputs Inputs(string manifestPath) => new()
    {
        ManifestPath = manifestPath,
        RegistryProperty = RegistryOption,
        RegistryEnvironment = Environment.GetEnvironmentVariable("HSM_REGISTRY_PATH"),
    };

    /// <summary>The Resolution layer's request of <see cref="Inputs"/>.</summary>
    public ResolveRequest Request(string manifestPath) => Pipeline.Request(Inputs(manifestPath));

    /// <summary>The registry folders of this project, located as the build locates them (nothing indexed).</summary>
    public IReadOnlyList<string> RegistryFolders(ProjectManifest? manifest, DiagnosticBag d) => Pipeline.LocateRegistry(Inputs(ManifestPath), manifest, d);

    /// <summary>hsm.yaml as text with positions; HSM1024 when it is missing, the loader's error when it is not YAML.</summary>
    public YamlText ReadManifestText()
    {
        if (Hsm.IO.GuardedFile.KindOf(ManifestPath) == Hsm.IO.FileKind.Missing)
            throw new CliError(Codes.ManifestMissing, new SourceSpan("hsm.yaml", 0, 0), $"There is no hsm.yaml in '{Directory}'. Run 'hsm init' (or 'dotnet new hsm') first, or pass --directory.");
        return ReadYaml(ManifestPath, "hsm.yaml", empty: ManifestReader.ReportEmpty);
    }

    /// <summary>
    /// A YAML file the command edits, as text with positions: read through the guarded reader (a FIFO, socket,
    /// device or directory is HSM1035 at once, never a blocking read; over 1 MiB is HSM1002) and checked by the
    /// loader the build uses (its syntax error, with the hint, instead of an editor failure).
    /// </summary>
    public static YamlText ReadYaml(string path, string label, Action<string, DiagnosticBag>? empty = null)
    {
        var bytes = ReadGuarded(path, label, "a YAML file") ?? throw new CliError(Codes.CommitIo, new SourceSpan(label, 0, 0), $"Cannot read '{label}': it does not exist.");
        var d = new DiagnosticBag();
        if (SafeYamlLoader.LoadBytes(bytes, label, d) is null && !d.HasErrors) empty?.Invoke(label, d);
        if (d.HasErrors) throw new CliError(d.Items.Where(x => x.Severity == Severity.Error));
        return YamlText.FromBytes(bytes);
    }

    /// <summary>A text file the command reads (a registry file to show, hsm.proj.user), through the guarded reader; null when it does not exist.</summary>
    public static string? ReadText(string path, string label, string what) =>
        ReadGuarded(path, label, what) is { } bytes ? new System.Text.UTF8Encoding(false).GetString(bytes).TrimStart('\uFEFF') : null;

    /// <summary>
    /// The bytes of a file a command reads, through the build's guarded reader: a FIFO, socket, device or directory
    /// is HSM1035 at once (never a blocking read), over 1 MiB HSM1002, a read error HSM4003; null when it is missing.
    /// </summary>
    private static byte[]? ReadGuarded(string path, string label, string what)
    {
        var read = Hsm.IO.GuardedFile.Read(path, SafeYamlLoader.MaxBytes);
        if (read.Kind == Hsm.IO.FileKind.Missing) return null;
        if (read.Kind != Hsm.IO.FileKind.Regular)
            throw new CliError(Codes.NotRegularFile, new SourceSpan(label, 0, 0), Hsm.IO.GuardedFile.NotRegularMessage(label, read.Kind, what));
        if (read.TooLarge)
            throw new CliError(Codes.FileTooLarge, new SourceSpan(label, 1, 1), $"'{label}' is {read.Size:N0} bytes; Hsm reads files of at most {SafeYamlLoader.MaxBytes:N0} bytes (1 MiB).");
        return read.Bytes ?? throw new CliError(Codes.CommitIo, new SourceSpan(label, 0, 0), $"Cannot read '{label}': {read.Error}");
    }

    /// <summary>The manifest of a text (no resolution); throws the loader's errors.</summary>
    public ProjectManifest ParseManifest(YamlText doc, DiagnosticBag d)
    {
        var root = SafeYamlLoader.LoadText(doc.Text, "hsm.yaml", d);
        if (root is null && !d.HasErrors) ManifestReader.ReportEmpty("hsm.yaml", d);
        var m = root is null ? null : ManifestReader.Read(root, "hsm.yaml", d);
        if (m is null || d.HasErrors) throw new CliError(d.Items.Where(x => x.Severity == Severity.Error));
        return m;
    }

    /// <summary>The registry folders of this project (no file parsed yet).</summary>
    public RegistryLoader Registry(ProjectManifest? manifest, DiagnosticBag d)
    {
        var registry = Pipeline.OpenRegistry(Inputs(ManifestPath), manifest, d);
        // A registry folder that does not exist is the cause of every lookup that follows: say that, not "no 'redis' in the registry".
        if (d.Items.Any(x => x.Code == Codes.RegistryMissing)) throw new CliError(d.Items.Where(x => x.Code == Codes.RegistryMissing));
        return registry;
    }

    /// <summary>The registry of the project as it is on disk (for search, show, completion and add).</summary>
    public (RegistryLoader Registry, ProjectManifest? Manifest) LoadRegistry()
    {
        var d = new DiagnosticBag();
        ProjectManifest? manifest = null;
        if (File.Exists(ManifestPath))
        {
            var root = SafeYamlLoader.LoadFile(ManifestPath, "hsm.yaml", d);
            manifest = root is null ? null : ManifestReader.Read(root, "hsm.yaml", new DiagnosticBag());
        }
        return (Registry(manifest, d), manifest);
    }

    /// <summary>
    /// Loads and resolves an edited hsm.yaml with the product's loader and resolver (the same HSM errors
    /// and "did you mean" as the build); throws every error, the file untouched.
    /// </summary>
    public void Validate(YamlText edited)
    {
        var d = new DiagnosticBag();
        try
        {
            var manifest = ParseManifest(edited, d);
            var registry = Registry(manifest, d);
            if (!d.HasErrors) Pipeline.Resolve(manifest, registry, d);
        }
        catch (HsmException e) { d.Add(e.Diagnostic); }
        // A missing local path of a dev source is a build-time problem (the build may clone it), not the edit's.
        var errors = d.Items.Where(x => x.Severity == Severity.Error && x.Code != Codes.LocalPathMissing).ToList();
        if (errors.Count > 0) throw new CliError(errors);
    }

    /// <summary>Validates, then writes atomically (or prints the diff with --dry-run). Returns true when the file changed.</summary>
    public bool Commit(YamlText original, YamlText edited, bool dryRun, string path = "", bool validate = true)
    {
        path = path.Length == 0 ? ManifestPath : path;
        if (edited.Text == original.Text) return false;
        if (validate) Validate(edited);
        if (dryRun)
        {
            Out.Write(UnifiedDiff.Create(original.Text, edited.Text, Label(path)));
            return true;
        }
        Replace(path, original.Text, edited.ToBytes(), Directory);
        return true;
    }

    /// <summary>
    /// The write of a read-modify-write: under the project's edit lock (obj/hsm/edit.lock), the file must still hold
    /// the text the command read (<paramref name="read"/>; null: it did not exist), else HSM8009 and nothing is
    /// written — another hsm command or an editor changed it meanwhile, and writing would drop that change. Two
    /// commands run at once (an agent's parallel `hsm add`s) therefore both land, or one says to run it again.
    /// </summary>
    public void Replace(string path, string? read, byte[] bytes, params string[] within)
    {
        using var editLock = AcquireEditLock(Path.Combine(Directory, "obj", "hsm", "edit.lock"));
        var label = Label(path);
        if (ReadText(path, label, "a file") != read)
            throw new CliError(Codes.ChangedMeanwhile, new SourceSpan(label, 0, 0),
                $"'{label}' changed while the command ran (another hsm command, or an editor); nothing was written, so that change is kept. Run the command again.");
        WriteAtomically(path, bytes, within);
    }

    /// <summary>An exclusive lock between hsm commands (a lock file that stays; obj/ is not committed); waits up to a minute.</summary>
    private static FileStream AcquireEditLock(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            try
            {
                System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline && File.Exists(path)) { Thread.Sleep(20); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliError(Codes.CommitIo, new SourceSpan(path, 0, 0), $"Cannot take the edit lock '{path}': {e.Message}");
            }
        }
    }

    /// <summary>
    /// Writes a file through a temporary file in the same folder and a rename (no half-written file). As the build's
    /// commit does (design §9): a symlinked file is written through to its final target (the link stays a link), and
    /// a read-only file is refused (HSM4031), never replaced behind the user's back by the rename. Where the bytes
    /// land (the real path, after every link) must lie inside one of <paramref name="within"/> — the project
    /// directory, and for registry commands the registry folders — else HSM4012 and nothing is written: a link
    /// committed in a pull request (hsm.yaml, a registry file, .gitignore) cannot make a command write elsewhere.
    /// </summary>
    public static void WriteAtomically(string path, byte[] bytes, params string[] within)
    {
        var d = new DiagnosticBag();
        if (!Hsm.Staging.PlanBuilder.InsideWritable(within, path, delete: false, new SourceSpan(Path.GetFileName(path), 0, 0), "The file", p => p, d,
                within.Length == 1 ? $"'{within[0]}'" : "the project directory and the registry folders", "Replace the link with the file itself.")
            || !Hsm.IO.WriteTarget.CheckWritable(path, delete: false, p => p, d))
            throw new CliError(d.Items);
        path = Hsm.IO.WriteTarget.Resolve(path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        System.IO.Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(path) + ".hsm-" + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                fs.Write(bytes);
                fs.Flush(true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw new CliError(Codes.CommitIo, new SourceSpan(Path.GetFileName(path), 0, 0), $"Cannot write '{path}': {e.Message}");
        }
    }
}
