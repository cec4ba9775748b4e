using System.Text;
using Hsm.Registry;
using Hsm.Compose;
using Hsm.Diagnostics;
using Hsm.Git;
using Hsm.Lock;
using Hsm.Model;
using Hsm.Python;
using Hsm.Resolution;
using Hsm.Uv;

namespace Hsm.Staging;

public sealed class StageRequest
{
    public string ProjectDirectory { get; init; } = "";
    public string IntermediateDirectory { get; init; } = "";
    public string PyProjectPath { get; init; } = "";
    public string ComposePath { get; init; } = "";
    public string LockPath { get; init; } = "";
    public bool Locked { get; init; }
    public string GeneratorVersion { get; init; } = "0.0.0";
    public CancellationToken Cancel { get; init; }
    /// <summary>git as the targets resolved it (null or "none": not found).</summary>
    public string? GitPath { get; init; }
    /// <summary>HsmToolTimeout and the progress lines of git runs.</summary>
    public ToolOptions Tools { get; init; } = ToolOptions.Default;
}

/// <summary>
/// Renders every artifact from the resolved stack into obj/hsm/stage/ and writes the plan
/// (create/replace/delete/unchanged per file, with the hash of the file it was derived from). Nothing
/// in the project changes here.
/// </summary>
public static class Stager
{
    public static readonly UTF8Encoding Utf8NoBom = new(false);

    public static StagePlan? Stage(ResolvedStack stack, StageRequest req, DiagnosticBag d)
    {
        var stageDir = Path.Combine(req.IntermediateDirectory, "stage");
        if (Directory.Exists(stageDir)) Directory.Delete(stageDir, recursive: true);
        Directory.CreateDirectory(stageDir);

        var run = new StageRun(stack, req, stageDir, d);
        // hsm.lock is input, not authority (design §9): an invalid lock stops here, before anything is rendered.
        if (run.OldLock.Invalid) return null;
        if (!run.Trust()) return null;
        run.StageClones();
        run.StagePythonProjects();
        run.StageCompose();
        run.StageEnv();
        run.StageLock();
        if (d.HasErrors) return null;
        var plan = run.Plan;
        plan.Version = StagePlan.CurrentVersion;
        plan.Entries = run.Diff();
        plan.Save(Path.Combine(stageDir, "plan.json"));
        return plan;
    }

    /// <summary>One staging: the old and the new hsm.lock, the plan so far, the trusted records and the clones made.</summary>
    private sealed class StageRun
    {
        private readonly ResolvedStack _stack;
        private readonly StageRequest _req;
        private readonly DiagnosticBag _d;
        private readonly HsmLock _newLock = new();
        private readonly string[] _writable;
        private readonly PlanBuilder _planner;
        private TrustedFileSet _trusted = new();
        private readonly string _clonesDir;
        private readonly Dictionary<string, string> _clonedTargets = new(StringComparer.Ordinal); // target dir → clone dir

        public StageRun(ResolvedStack stack, StageRequest req, string stageDir, DiagnosticBag d)
        {
            (_stack, _req, _d) = (stack, req, d);
            OldLock = HsmLock.Read(req.LockPath, Label(req.LockPath), d);
            _newLock.Stack.AddRange(HsmLock.StackOf(stack));
            // hsm writes and deletes only in the project directory and the folders of the configured artifact
            // paths (design §9); clones only inside the project. A target elsewhere is HSM4012, never written.
            _writable = new[] { req.ProjectDirectory, Path.GetDirectoryName(Path.GetFullPath(req.ComposePath))!,
                Path.GetDirectoryName(Path.GetFullPath(req.PyProjectPath))!, Path.GetDirectoryName(Path.GetFullPath(req.LockPath))! };
            _planner = new PlanBuilder(Plan, stageDir, Label, d);
            _clonesDir = Path.Combine(req.IntermediateDirectory, "clones");
        }

        public HsmLock OldLock { get; }
        public StagePlan Plan { get; } = new();

        private string Label(string p) => Hsm.Paths.ProjectPaths.Key(_req.ProjectDirectory, p);

        public bool Trust()
        {
            _trusted = TrustedFiles(OldLock, _req, Label(_req.ComposePath), _d);
            return !_d.HasErrors;
        }

        private bool Writable(string target, bool delete, SourceSpan span, string what) =>
            PlanBuilder.InsideWritable(_writable, target, delete, span, what, Label, _d);

        private PlannedFile Add(string target, string? content, ArtifactKind kind) =>
            Writable(target, content is null, new SourceSpan(Label(target), 0, 0), "The file") ? _planner.Add(target, content, kind)
                : new PlannedFile { Target = target, Kind = kind, Op = FileOp.Unchanged };

        // A file hsm generates (Compose, .env*): written only where no file exists or where hsm.lock records
        // that hsm wrote it (design §9); a hand edit of the Compose file (it says "Do not edit") is warned about
        // and regenerated (§5.5), refused under HsmLocked; any other file is the user's: HSM4006, nothing changes.
        private void AddGenerated(string target, string fileLabel, string? content, ArtifactKind kind)
        {
            if (content is null) { AddRemoval(target, fileLabel, kind); return; }
            var f = Add(target, content, kind);
            if (f.StagedHash is null) return; // not writable there (reported)
            _newLock.Files[fileLabel] = f.StagedHash;
            if (f.Op != FileOp.Replace) return;
            _trusted.TryGetValue(fileLabel, out var recorded);
            var header = kind == ArtifactKind.Compose && StartsWithHeader(_planner.OriginalOf(target));
            if (recorded == f.OriginalHash) return;
            if (header) { if (recorded != null) ReportHandEdit(fileLabel, _req.Locked, _d); return; }
            _d.Error(Codes.GeneratedFileTaken, new SourceSpan(fileLabel, 1, 1), recorded is null
                ? $"'{fileLabel}' exists, but hsm.lock does not record that Hsm wrote it, so Hsm will not overwrite it (it would be generated there). Move or rename your file, or delete it if it is an old generated copy; nothing was changed."
                : $"'{fileLabel}' was changed since Hsm wrote it (hsm.lock records another content), so Hsm will not overwrite it. Move your change into hsm.yaml or the registry and delete the file (Hsm then writes it again); nothing was changed.");
        }

        // A file hsm wrote before and no longer produces: deleted in the same transaction only while it still
        // holds exactly what hsm.lock recorded (and, for a Compose file, starts with the generated header);
        // otherwise it is the user's now: kept, with warning HSM4011.
        private void AddRemoval(string target, string fileLabel, ArtifactKind kind)
        {
            if (!_trusted.TryGetValue(fileLabel, out var recorded) || !File.Exists(target)) return;
            var now = _planner.CurrentHash(target);
            if (now == recorded && (kind != ArtifactKind.Compose || StartsWithHeader(_planner.OriginalOf(target)))) { Add(target, null, kind); return; }
            _d.Warning(Codes.StaleFileKept, new SourceSpan(fileLabel, 1, 1),
                $"'{fileLabel}' is no longer generated, but its content is not what Hsm wrote (hsm.lock records another hash), so it is kept. Delete it yourself if you do not need it.");
        }

        // ---- clones of missing dev folders (design §3.1), before anything reads them ----
        // Whether a folder must be cloned is decided here, from the folder as it is now, and never reaches a
        // generated file: the stack hash leaves it out (design §9), so a fresh checkout builds the same files.
        private string? CloneFor(string kind, string name, string url, string? gitRef, string target)
        {
            var staged = Path.Combine(_clonesDir, $"{kind}-{name}");
            if (!Paths.ProjectPaths.IsInside(_req.ProjectDirectory, target))
            {
                _d.Error(Codes.OutsideProject, new SourceSpan(Label(target), 0, 0), $"The clone target '{Label(target)}' of {kind} '{name}' lies outside the project directory; Hsm clones only into the project. Give a path inside it.");
                return null;
            }
            if (!GitClone.CloneAt(_req.GitPath, url, gitRef, staged, $"{kind} '{name}'", new SourceSpan(Label(target), 0, 0), _req.Cancel, _req.Tools, _d)) return null;
            GitClone.ExcludeFromEnclosingRepository(_req.GitPath, target, Label(target), _req.Cancel, _d);
            Plan.Clones.Add(new PlannedClone { Target = target, Staged = staged });
            _clonedTargets[Paths.ProjectPaths.FolderKey(target)] = staged.Replace('\\', '/');
            return staged;
        }

        public void StageClones()
        {
            foreach (var lib in _stack.Libraries.Concat(_stack.Services.SelectMany(s => s.DependencyLibraries ?? new())))
            {
                var src = lib.Source;
                if (src.Type != "local" || src.Path is null) continue;
                var target = Path.GetFullPath(Path.Combine(_req.ProjectDirectory, src.Path));
                if (_clonedTargets.ContainsKey(Paths.ProjectPaths.FolderKey(target))) continue; // two services, one library
                if (src.Url != null && !Directory.Exists(target)) CloneFor("library", lib.Name, src.Url, src.Ref, target);
                else if (src.Url != null && src.Ref != null && Directory.Exists(Path.Combine(target, ".git")))
                    WarnIfOtherRef(_req.GitPath, target, src.Ref, $"library '{lib.Name}'", Label(target), _req.Cancel, _d);
                if (src.Url != null && GitClone.IsHsmClone(target)) GitClone.ExcludeFromEnclosingRepository(_req.GitPath, target, Label(target), _req.Cancel, _d); // made before hsm excluded clones
            }
        }

        // ---- pyproject.toml: the root one, then each uv-runtime service's (design §5.1, §5.4) ----
        public void StagePythonProjects()
        {
            var rootDesired = new List<ManagedDependency>();
            foreach (var lib in _stack.Libraries)
                if (Relative(lib, Path.GetDirectoryName(_req.PyProjectPath)!, _req.ProjectDirectory, Label(_req.PyProjectPath), _d, out var rel))
                    rootDesired.Add(Requirements.FromLibrary(lib, rel));
            StagePython(_req.PyProjectPath, rootDesired, null, isService: false);

            foreach (var svc in _stack.Services.Where(s => s.Runtime == "uv" && s.ProfileMode == "managed" && s.Source != null))
                StageServicePython(svc);
        }

        private void StageServicePython(ResolvedService svc)
        {
            var dirRel = svc.Source!.Type == "git" ? $"services/{svc.Name}" : svc.Source.Path;
            if (dirRel is null) return;
            var dir = Path.GetFullPath(Path.Combine(_req.ProjectDirectory, dirRel));
            if (!Writable(Path.Combine(dir, "pyproject.toml"), false, new SourceSpan(svc.RegistryFile, 0, 0), $"The pyproject.toml of uv service '{svc.Name}'")) return;
            string? readFrom = null;
            if (svc.Source.Type == "git" && GitClone.IsHsmClone(dir)) GitClone.ExcludeFromEnclosingRepository(_req.GitPath, dir, Label(dir), _req.Cancel, _d);
            if (!Directory.Exists(dir))
            {
                if (svc.Source.Type == "git" && svc.Source.Url != null) readFrom = CloneFor("service", svc.Name, svc.Source.Url, svc.Source.Ref, dir);
                else _d.Message(Codes.LocalPathMissing, new SourceSpan(svc.RegistryFile, 0, 0), $"The folder '{dirRel}' of uv service '{svc.Name}' does not exist; its Python environment is not managed.");
                if (readFrom is null) return;
            }
            StagePython(Path.Combine(dir, "pyproject.toml"), ServiceDesired(svc, dir), readFrom, isService: true);
        }

        /// <summary>The managed dependencies of a uv-runtime service's own pyproject.toml.</summary>
        private List<ManagedDependency> ServiceDesired(ResolvedService svc, string dir)
        {
            var desired = new List<ManagedDependency>();
            foreach (var dep in svc.Dependencies)
            {
                var name = Grammars.RequirementName(dep);
                var norm = name is null ? null : Requirements.NormalizeName(name);
                var lib = norm is null ? null
                    : _stack.Libraries.FirstOrDefault(l => Requirements.NormalizeName(l.Package) == norm)
                      ?? _stack.Libraries.FirstOrDefault(l => Requirements.NormalizeName(l.Name) == norm)
                      ?? svc.DependencyLibraries?.FirstOrDefault(l => Requirements.NormalizeName(l.Name) == norm || Requirements.NormalizeName(l.Package) == norm);
                if (lib != null)
                {
                    // A registry library (of the stack, or named only here): its source as in the root — a local one
                    // is a path source relative to this pyproject.toml, never a bare name (design §5.4). A requirement
                    // written with its own specifier, extras or marker keeps them.
                    if (!Relative(lib, dir, _req.ProjectDirectory, Label(Path.Combine(dir, "pyproject.toml")), _d, out var rel)) continue;
                    var entry = Requirements.FromLibrary(lib, rel);
                    var written = dep.Trim();
                    desired.Add(written == name ? entry : entry with { Requirement = entry.Package + written[name!.Length..] });
                }
                else if (name != null)
                    desired.Add(new ManagedDependency(name, dep.Trim(), null));
                else
                    _d.Error(Codes.InvalidSource, new SourceSpan(svc.RegistryFile, 0, 0), $"'{dep}' in the dependencies of service '{svc.Name}' is not a PEP 508 requirement.");
            }
            return desired;
        }

        private void StagePython(string pyproject, List<ManagedDependency> desired, string? cloneDir, bool isService)
        {
            var pyLabel = Label(pyproject);
            var readPath = cloneDir is null ? pyproject : Path.Combine(cloneDir, "pyproject.toml");
            var originalBytes = ReadArtifact(readPath, cloneDir is null ? pyLabel : $"{pyLabel} (in the clone)", _d);
            if (originalBytes is null && _d.HasErrors && IO.GuardedFile.KindOf(readPath) != IO.FileKind.Missing) return; // not a regular file: reported
            string? original = originalBytes is null ? null : Utf8NoBom.GetString(originalBytes);
            OldLock.Owned.TryGetValue(pyLabel, out var owned);
            var py = PyProjectEditor.Apply(original, desired, owned, pyLabel, _stack.ProjectName, _stack.ProjectVersion, _d);
            if (py.Owned.Entries.Count > 0 || py.Owned.Created.Count > 0) _newLock.Owned[pyLabel] = py.Owned;
            if (desired.Count == 0 && (owned?.Entries.Count ?? 0) == 0 && !MustExist(pyproject, original, isService)) return;
            var project = new UvProject { PyProject = pyproject, CheckSource = readPath };
            foreach (var (t, c) in _clonedTargets) project.Redirects[t] = c;
            if (py.NewText != null && py.NewText != original)
            {
                if (cloneDir is null)
                {
                    var staged = Add(pyproject, py.NewText, ArtifactKind.Pyproject);
                    if (staged.Staged is null) return; // not writable there (reported)
                    project.CheckSource = staged.Staged;
                    project.CheckHash = staged.StagedHash;
                }
                else File.WriteAllBytes(readPath, Utf8NoBom.GetBytes(py.NewText)); // a fresh clone is hsm's own until the commit moves it in
            }
            Plan.UvProjects.Add(project);
        }

        /// <summary>
        /// With nothing to manage: the root is not required and not touched (false). A uv-runtime service is
        /// always locked and synced in its own folder (design §5.4), so its own pyproject.toml must exist.
        /// </summary>
        private bool MustExist(string pyproject, string? original, bool isService)
        {
            if (!isService) return false;
            if (original != null) return true;
            var pyLabel = Label(pyproject);
            _d.Error(Codes.UvServiceNotAProject, new SourceSpan(pyLabel, 0, 0), $"'{pyLabel}' does not exist, so uv cannot lock and sync the uv-runtime service that runs in '{Label(Path.GetDirectoryName(pyproject)!)}'. Add a pyproject.toml there (uv init), or give the service a docker runtime.");
            return false;
        }

        // ---- docker-compose.hsm.yml ----
        public void StageCompose()
        {
            var composeLabel = Label(_req.ComposePath);
            var userCompose = ComposeRenderer.UserComposeFile(_req.ProjectDirectory) != null;
            var ctx = new ComposeContext(_req.GeneratorVersion, CanonicalHash(_stack), userCompose, ComposeRenderer.NormalizeProjectName(_stack.ProjectName));
            var compose = ComposeRenderer.Render(_stack, ctx);
            AddGenerated(_req.ComposePath, composeLabel, compose, ArtifactKind.Compose); // null: the stack has no container service now
            if (compose != null) Plan.Compose = _req.ComposePath;
            // The Compose file of an earlier HsmComposePath: removed while it is still hsm's.
            foreach (var (key, kind) in _trusted.Kinds)
                if (kind == LockFileKind.PreviousCompose && key != composeLabel)
                    AddRemoval(Path.GetFullPath(Path.Combine(_req.ProjectDirectory, key)), key, ArtifactKind.Compose);
        }

        // ---- .env.hsm, .env.hsm.local, .env.<service> ----
        public void StageEnv()
        {
            var envs = EnvRenderer.Render(_stack, _d);
            foreach (var (name, content) in envs)
                AddGenerated(Path.Combine(_req.ProjectDirectory, name), name, content, ArtifactKind.Env);
            foreach (var (key, kind) in _trusted.Kinds)
                if (kind == LockFileKind.Env && !envs.ContainsKey(key)) AddRemoval(Path.Combine(_req.ProjectDirectory, key), key, ArtifactKind.Env);
            // Files of a publish (design §12) are not a build's business: their records are carried over unchanged.
            foreach (var (key, kind) in _trusted.Kinds)
                if (kind == LockFileKind.Publish) _newLock.Files[key] = _trusted[key];
        }

        // ---- hsm.lock ----
        public void StageLock()
        {
            var lockText = _newLock.Write();
            if (_req.Locked)
            {
                var oldText = ReadArtifact(_req.LockPath, Label(_req.LockPath), _d) is { } lockBytes ? Utf8NoBom.GetString(lockBytes) : "";
                if (StackPart(oldText) != StackPart(lockText))
                    _d.Error(Codes.LockedMismatch, new SourceSpan(Label(_req.LockPath), 1, 1),
                        "HsmLocked=true: the resolved stack or the owned pyproject entries differ from hsm.lock. Run a build without HsmLocked and commit hsm.lock.");
            }
            Add(_req.LockPath, lockText, ArtifactKind.Lock);
        }

        /// <summary>The plan's entries, from the models and the texts this staging already holds (nothing is read again).</summary>
        public List<PlannedChange> Diff() => PlanReport.Diff(new PlanReport.DiffInput
        {
            OldLock = OldLock,
            NewLock = _newLock,
            Stack = _stack,
            Plan = Plan,
            ProjectDirectory = _req.ProjectDirectory,
            Texts = _planner.Texts,
        });
    }

    /// <summary>Largest pyproject.toml, Compose, .env* or hsm.lock file Hsm reads back (far above any real one).</summary>
    public const long ArtifactMaxBytes = 64L * 1024 * 1024;

    /// <summary>
    /// Reads an artifact through the guarded opener (design §9): null when it does not exist; a FIFO,
    /// socket, device or directory in its place is HSM4030 (never opened, never replaced).
    /// </summary>
    public static byte[]? ReadArtifact(string path, string fileLabel, DiagnosticBag d)
    {
        var read = IO.GuardedFile.Read(path, ArtifactMaxBytes);
        if (read.Kind == IO.FileKind.Missing)
        {
            // A dangling link is written through (its target is created); a loop cannot be.
            try { IO.WriteTarget.Resolve(path); }
            catch (IOException e) { d.Error(Codes.ArtifactNotRegular, new SourceSpan(fileLabel, 0, 0), $"'{fileLabel}' is a symbolic link Hsm cannot follow ({e.Message}); replace it with a regular file or a working link."); }
            return null;
        }
        if (read.Kind != IO.FileKind.Regular)
            d.Error(Codes.ArtifactNotRegular, new SourceSpan(fileLabel, 0, 0), IO.GuardedFile.NotRegularMessage(fileLabel, read.Kind, "a file that Hsm reads and rewrites"));
        else if (read.TooLarge)
            d.Error(Codes.ArtifactNotRegular, new SourceSpan(fileLabel, 0, 0), $"'{fileLabel}' is {read.Size:N0} bytes; Hsm does not read back an artifact larger than {ArtifactMaxBytes:N0} bytes. Move it away and build again.");
        else if (read.Bytes is null)
            d.Error(Codes.CommitIo, new SourceSpan(fileLabel, 0, 0), $"Cannot read '{fileLabel}': {read.Error}");
        return read.Bytes;
    }

    /// <summary>The path of a local library relative to the folder of the pyproject.toml that names it ('/'-separated, never absolute).</summary>
    private static bool Relative(ResolvedLibrary lib, string pyDir, string projectDir, string pyLabel, DiagnosticBag d, out string? rel)
    {
        rel = null;
        if (lib.Source.Type != "local" || lib.Source.Path is null) return true;
        var abs = Path.GetFullPath(Path.Combine(projectDir, lib.Source.Path));
        rel = Paths.ProjectPaths.RelativeFrom(pyDir, abs);
        if (rel != null) return true;
        d.Error(Codes.NoRelativePath, SourceSpan.None, $"The path of '{lib.Name}' ({abs}) has no relative path from {pyLabel} (another drive?); Hsm never writes absolute paths into committed files.");
        return false;
    }

    /// <summary>An existing checkout is never updated: warn when it is not at the registry's ref.</summary>
    private static void WarnIfOtherRef(string? git, string dir, string gitRef, string what, string dirLabel, CancellationToken cancel, DiagnosticBag d)
    {
        var head = GitClone.Head(git, dir, cancel);
        var want = GitClone.Resolve(git, dir, gitRef, cancel);
        if (head != null && head != want)
            d.Warning(Codes.CheckoutDiffers, new SourceSpan(dirLabel, 0, 0), $"'{dirLabel}' ({what}) is checked out at {head[..Math.Min(12, head.Length)]}, not at '{gitRef}' as the registry says; Hsm never updates an existing checkout.");
    }

    /// <summary>
    /// Hash of the canonical resolved stack: its JSON without the build settings and the extra inputs. The
    /// two are set aside for the serialisation instead of cloning the stack (a JSON round trip that cost as
    /// much as the Compose rendering on large stacks); the JSON is the same.
    /// </summary>
    public static string CanonicalHash(ResolvedStack stack)
    {
        var (settings, extra) = (stack.Settings, stack.ExtraInputs);
        var cloned = stack.Libraries.Where(l => l.Source.Clone).ToList(); // whether a folder existed is not part of the stack (design §9)
        stack.Settings = new Dictionary<string, string>(StringComparer.Ordinal);
        stack.ExtraInputs = new List<string>();
        foreach (var l in cloned) l.Source.Clone = false;
        try { return stack.CanonicalSha256()[..16]; }
        finally
        {
            stack.Settings = settings; stack.ExtraInputs = extra;
            foreach (var l in cloned) l.Source.Clone = true;
        }
    }

    /// <summary>The part of hsm.lock that HsmLocked compares: stack and owned (not file hashes).</summary>
    private static string StackPart(string lockText)
    {
        var i = lockText.IndexOf("\nfiles:", StringComparison.Ordinal);
        return (i < 0 ? lockText : lockText[..i]).Replace("\r\n", "\n");
    }

    public enum LockFileKind { Compose, PreviousCompose, Env, Publish }

    /// <summary>The <c>files:</c> records of hsm.lock that may be acted on, with their kind.</summary>
    public sealed class TrustedFileSet : Dictionary<string, string>
    {
        public TrustedFileSet() : base(StringComparer.Ordinal) { }
        public List<(string Key, LockFileKind Kind)> Kinds { get; } = new();
    }

    /// <summary>Where a publish (design §12) writes by default, relative to the project directory.</summary>
    public const string PublishFolder = "deploy";

    /// <summary>
    /// Classifies hsm.lock's <c>files:</c> keys (design §9). A key is acted on only when it names a file this
    /// project's hsm could generate, inside the folder it belongs to: the configured Compose path (or an
    /// earlier one: a <c>.yml</c>/<c>.yaml</c> file in the project or in the Compose path's folder),
    /// <c>.env.hsm</c>, <c>.env.hsm.local</c>, <c>.env.&lt;service&gt;</c> for a valid, unreserved service
    /// name (in the project directory), or a file HsmPublish wrote (under <c>deploy/</c>, or in a folder with its
    /// <c>kustomization.yaml</c> or <c>docker-stack.yml</c>, inside the project). Containment is checked on real paths
    /// (no <c>..</c> out, no absolute key, no symbolic link out). Any other key is error HSM4008 at its line.
    /// </summary>
    public static TrustedFileSet TrustedFiles(HsmLock oldLock, StageRequest req, string composeLabel, DiagnosticBag d)
    {
        var result = new TrustedFileSet();
        var project = req.ProjectDirectory;
        var composeFolder = Path.GetDirectoryName(Path.GetFullPath(req.ComposePath))!;
        var publishKeys = PublishedFiles.PublishEntries(oldLock.Files.Keys, composeLabel).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, hash) in oldLock.Files)
        {
            LockFileKind? kind = null;
            string? why = null;
            if (key == composeLabel) kind = LockFileKind.Compose;
            else if (EnvRenderer.IsGeneratedFileName(key)) kind = LockFileKind.Env;
            else if (key.StartsWith(".env", StringComparison.Ordinal) && !key.Contains('/'))
                why = "no service name produces it (a reserved or invalid name)";
            else if (key.StartsWith(PublishFolder + "/", StringComparison.Ordinal) || publishKeys.Contains(key))
            {
                // HsmPublish's files: under deploy/, or in a folder of its own (HsmPublishPath) that holds its kustomization.yaml or docker-stack.yml.
                if (Paths.ProjectPaths.ResolveKey(project, key, new[] { project }) != null) kind = LockFileKind.Publish;
                else why = "it leaves the project directory";
            }
            else if (key.EndsWith(".yml", StringComparison.Ordinal) || key.EndsWith(".yaml", StringComparison.Ordinal))
            {
                var full = Paths.ProjectPaths.ResolveKey(project, key, new[] { project, composeFolder });
                if (full is null) why = "it lies outside the project and the Compose file's folder (an absolute path, '..' or a symbolic link out)";
                else if (File.Exists(full) && !StartsWithHeader(full)) why = "that file does not start with the header of a Compose file Hsm generated";
                else kind = LockFileKind.PreviousCompose;
            }
            else why = "Hsm generates no file of that name";
            if (kind is { } k) { result[key] = hash; result.Kinds.Add((key, k)); continue; }
            d.Error(Codes.LockFileKeyRejected, oldLock.FileSpans.TryGetValue(key, out var span) ? span : new SourceSpan(Hsm.Paths.ProjectPaths.Key(project, req.LockPath), 1, 1),
                $"hsm.lock lists '{HsmLock.Printable(key)}' under files:, which is not a file Hsm generates here ({why}); Hsm never acts on it. Remove that line (or delete hsm.lock) and build again.");
        }
        return result;
    }

    /// <summary>True when the bytes (of a file already read) start with the header of a Compose file Hsm generated.</summary>
    private static bool StartsWithHeader(byte[]? bytes)
    {
        if (bytes is null) return false;
        var n = Math.Min(bytes.Length, ComposeRenderer.Header.Length + 1);
        return Utf8NoBom.GetString(bytes, 0, n) == ComposeRenderer.Header + "\n";
    }

    private static bool StartsWithHeader(string path)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read);
            var buf = new byte[ComposeRenderer.Header.Length + 1];
            var n = fs.ReadAtLeast(buf, buf.Length, throwOnEndOfStream: false);
            return Utf8NoBom.GetString(buf, 0, n) == ComposeRenderer.Header + "\n";
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static void ReportHandEdit(string fileLabel, bool locked, DiagnosticBag d)
    {
        // The bytes and hsm.lock's record of them differ: the file was edited, or (a merge, a pull request) the record was.
        var msg = $"'{fileLabel}' was edited by hand since Hsm generated it (its bytes no longer match the hash hsm.lock records for it — or that record was changed); {(locked ? "HsmLocked=true forbids regenerating it." : "it is regenerated. Change hsm.yaml or the registry instead.")}";
        if (locked) d.Error(Codes.GeneratedFileEdited, new SourceSpan(fileLabel, 1, 1), msg);
        else d.Warning(Codes.GeneratedFileEdited, new SourceSpan(fileLabel, 1, 1), msg);
    }
}
