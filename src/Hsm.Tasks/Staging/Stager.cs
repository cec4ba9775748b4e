using System.Text;
using Hsm.Compose;
using Hsm.Diagnostics;
using Hsm.Git;
using Hsm.Lock;
using Hsm.Model;
using Hsm.Python;
using Hsm.Resolution;
using Hsm.Transaction;

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
        string label(string p) => ResolvePipeline.Label(req.ProjectDirectory, p);
        var stageDir = Path.Combine(req.IntermediateDirectory, "stage");
        if (Directory.Exists(stageDir)) Directory.Delete(stageDir, recursive: true);
        Directory.CreateDirectory(stageDir);

        var oldLock = HsmLock.Read(req.LockPath, label(req.LockPath), d);
        var newLock = new HsmLock();
        newLock.Stack.AddRange(HsmLock.StackOf(stack));
        var plan = new StagePlan();
        int n = 0;
        PlannedFile Add(string target, string? content, string kind)
        {
            var original = ReadArtifact(target, label(target), d);
            var f = new PlannedFile { Target = target, Kind = kind, OriginalHash = original is null ? null : StagePlan.Hash(original) };
            if (content is null)
            {
                f.Op = original is null ? "unchanged" : "delete";
            }
            else
            {
                var bytes = Utf8NoBom.GetBytes(content);
                f.StagedHash = StagePlan.Hash(bytes);
                f.Op = original is null ? "create" : f.StagedHash == f.OriginalHash ? "unchanged" : "replace";
                f.Staged = Path.Combine(stageDir, $"{n++}-{Path.GetFileName(target)}");
                File.WriteAllBytes(f.Staged, bytes);
            }
            plan.Files.Add(f);
            if (f.Op != "unchanged") plan.Changes.Add($"hsm: {label(target)}: {(f.Op == "create" ? "+" : f.Op == "delete" ? "-" : "~")} {label(target)}");
            return f;
        }

        // A file hsm generates (Compose, .env*): staged, checked against the hash hsm.lock recorded for it
        // (a hand edit is warned about, or refused under HsmLocked), and recorded in the new lock.
        void AddGenerated(string target, string fileLabel, string? content, string kind)
        {
            var f = Add(target, content, kind);
            if (f.OriginalHash != null && oldLock.Files.TryGetValue(fileLabel, out var expected) && f.OriginalHash != expected)
                ReportHandEdit(fileLabel, req.Locked, d);
            if (f.StagedHash != null) newLock.Files[fileLabel] = f.StagedHash;
        }

        // ---- clones of missing dev folders (spec §3.1), before anything reads them ----
        var clonesDir = Path.Combine(req.IntermediateDirectory, "clones");
        var clonedTargets = new Dictionary<string, string>(StringComparer.Ordinal); // target dir → clone dir
        string? CloneFor(string kind, string name, string url, string? gitRef, string target)
        {
            var staged = Path.Combine(clonesDir, $"{kind}-{name}");
            if (!GitClone.CloneAt(url, gitRef, staged, $"{kind} '{name}'", new SourceSpan(label(target), 0, 0), req.Cancel, d)) return null;
            plan.Clones.Add(new PlannedClone { Target = target, Staged = staged });
            clonedTargets[Path.GetFullPath(target).Replace('\\', '/').TrimEnd('/')] = staged.Replace('\\', '/');
            return staged;
        }
        foreach (var lib in stack.Libraries.Concat(stack.Services.SelectMany(s => s.DependencyLibraries ?? new())))
        {
            var src = lib.Source;
            if (src.Type != "local" || src.Path is null) continue;
            if (clonedTargets.ContainsKey(Path.GetFullPath(Path.Combine(req.ProjectDirectory, src.Path)).Replace('\\', '/').TrimEnd('/'))) continue; // two services, one library
            var target = Path.GetFullPath(Path.Combine(req.ProjectDirectory, src.Path));
            if (src.Clone && src.Url != null) CloneFor("library", lib.Name, src.Url, src.Ref, target);
            else if (src.Url != null && src.Ref != null && Directory.Exists(Path.Combine(target, ".git")))
                WarnIfOtherRef(target, src.Ref, $"library '{lib.Name}'", label(target), req.Cancel, d);
        }

        // ---- pyproject.toml: the root one, then each uv-runtime service's (spec §5.1, §5.4) ----
        var rootDesired = new List<ManagedDependency>();
        foreach (var lib in stack.Libraries)
            if (Relative(lib, Path.GetDirectoryName(req.PyProjectPath)!, req.ProjectDirectory, label(req.PyProjectPath), d, out var rel))
                rootDesired.Add(Requirements.FromLibrary(lib, rel));
        StagePython(req.PyProjectPath, rootDesired, null, isService: false);

        foreach (var svc in stack.Services.Where(s => s.Runtime == "uv" && s.ProfileMode == "managed" && s.Source != null))
        {
            var dirRel = svc.Source!.Type == "git" ? $"services/{svc.Name}" : svc.Source.Path;
            if (dirRel is null) continue;
            var dir = Path.GetFullPath(Path.Combine(req.ProjectDirectory, dirRel));
            string? readFrom = null;
            if (!Directory.Exists(dir))
            {
                if (svc.Source.Type == "git" && svc.Source.Url != null) readFrom = CloneFor("service", svc.Name, svc.Source.Url, svc.Source.Ref, dir);
                else d.Message(Codes.LocalPathMissing, new SourceSpan(svc.RegistryFile, 0, 0), $"The folder '{dirRel}' of uv service '{svc.Name}' does not exist; its Python environment is not managed.");
                if (readFrom is null) continue;
            }
            var desired = new List<ManagedDependency>();
            foreach (var dep in svc.Dependencies)
            {
                var name = Requirements.NameOf(dep);
                var norm = name is null ? null : Requirements.NormalizeName(name);
                var lib = norm is null ? null
                    : stack.Libraries.FirstOrDefault(l => Requirements.NormalizeName(l.Package) == norm)
                      ?? stack.Libraries.FirstOrDefault(l => Requirements.NormalizeName(l.Name) == norm)
                      ?? svc.DependencyLibraries?.FirstOrDefault(l => Requirements.NormalizeName(l.Name) == norm || Requirements.NormalizeName(l.Package) == norm);
                if (lib != null)
                {
                    // A registry library (of the stack, or named only here): its source as in the root — a local one
                    // is a path source relative to this pyproject.toml, never a bare name (spec §5.4). A requirement
                    // written with its own specifier, extras or marker keeps them.
                    if (!Relative(lib, dir, req.ProjectDirectory, label(Path.Combine(dir, "pyproject.toml")), d, out var rel)) continue;
                    var entry = Requirements.FromLibrary(lib, rel);
                    var written = dep.Trim();
                    desired.Add(written == name ? entry : entry with { Requirement = entry.Package + written[name!.Length..] });
                }
                else if (name != null)
                    desired.Add(new ManagedDependency(name, dep.Trim(), null));
                else
                    d.Error(Codes.InvalidSource, new SourceSpan(svc.RegistryFile, 0, 0), $"'{dep}' in the dependencies of service '{svc.Name}' is not a PEP 508 requirement.");
            }
            StagePython(Path.Combine(dir, "pyproject.toml"), desired, readFrom, isService: true);
        }

        void StagePython(string pyproject, List<ManagedDependency> desired, string? cloneDir, bool isService)
        {
            var pyLabel = label(pyproject);
            var readPath = cloneDir is null ? pyproject : Path.Combine(cloneDir, "pyproject.toml");
            var originalBytes = ReadArtifact(readPath, cloneDir is null ? pyLabel : $"{pyLabel} (in the clone)", d);
            if (originalBytes is null && d.HasErrors && IO.GuardedFile.KindOf(readPath) != IO.FileKind.Missing) return; // not a regular file: reported
            string? original = originalBytes is null ? null : Utf8NoBom.GetString(originalBytes);
            oldLock.Owned.TryGetValue(pyLabel, out var owned);
            var py = PyProjectEditor.Apply(original, desired, owned, pyLabel, stack.ProjectName, stack.ProjectVersion, d);
            if (py.Owned.Entries.Count > 0 || py.Owned.Created.Count > 0) newLock.Owned[pyLabel] = py.Owned;
            if (desired.Count == 0 && (owned?.Entries.Count ?? 0) == 0)
            {
                // The root with nothing to manage is not required and not touched. A uv-runtime service is
                // always locked and synced in its own folder (spec §5.4), so its own pyproject.toml must exist.
                if (!isService) return;
                if (original is null)
                {
                    d.Error(Codes.UvServiceNotAProject, new SourceSpan(pyLabel, 0, 0), $"'{pyLabel}' does not exist, so uv cannot lock and sync the uv-runtime service that runs in '{label(Path.GetDirectoryName(pyproject)!)}'. Add a pyproject.toml there (uv init), or give the service a docker runtime.");
                    return;
                }
            }
            var project = new UvProject { PyProject = pyproject, CheckSource = readPath };
            foreach (var (t, c) in clonedTargets) project.Redirects[t] = c;
            if (py.NewText != null && py.NewText != original)
            {
                if (cloneDir is null)
                {
                    Add(pyproject, py.NewText, "pyproject");
                    project.CheckSource = plan.Files[^1].Staged!;
                }
                else File.WriteAllBytes(readPath, Utf8NoBom.GetBytes(py.NewText)); // a fresh clone is hsm's own until the commit moves it in
            }
            plan.UvProjects.Add(project);
        }

        // ---- docker-compose.hsm.yml ----
        var composeLabel = label(req.ComposePath);
        var userCompose = ComposeRenderer.UserComposeFile(req.ProjectDirectory) != null;
        var ctx = new ComposeContext(req.GeneratorVersion, CanonicalHash(stack), userCompose, ComposeRenderer.NormalizeProjectName(stack.ProjectName));
        var compose = ComposeRenderer.Render(stack, ctx);
        if (compose != null)
        {
            AddGenerated(req.ComposePath, composeLabel, compose, "compose");
            plan.Compose = req.ComposePath;
        }
        else if (oldLock.Files.ContainsKey(composeLabel))
        {
            AddGenerated(req.ComposePath, composeLabel, null, "compose"); // hsm wrote it; the stack has no container service now
        }

        // ---- .env.hsm, .env.hsm.local, .env.<service> ----
        var envs = EnvRenderer.Render(stack, d);
        foreach (var (name, content) in envs)
            AddGenerated(Path.Combine(req.ProjectDirectory, name), name, content, "env");
        foreach (var old in oldLock.Files.Keys.Where(k => k.StartsWith(".env", StringComparison.Ordinal) && !envs.ContainsKey(k)))
            Add(Path.Combine(req.ProjectDirectory, old), null, "env");

        // ---- hsm.lock ----
        var lockText = newLock.Write();
        if (req.Locked)
        {
            var oldText = ReadArtifact(req.LockPath, label(req.LockPath), d) is { } lockBytes ? Utf8NoBom.GetString(lockBytes) : "";
            if (StackPart(oldText) != StackPart(lockText))
                d.Error(Codes.LockedMismatch, new SourceSpan(label(req.LockPath), 1, 1),
                    "HsmLocked=true: the resolved stack or the owned pyproject entries differ from hsm.lock. Run a build without HsmLocked and commit hsm.lock.");
        }
        Add(req.LockPath, lockText, "lock");

        if (d.HasErrors) return null;
        plan.Save(Path.Combine(stageDir, "plan.json"));
        return plan;
    }

    /// <summary>Largest pyproject.toml, Compose, .env* or hsm.lock file Hsm reads back (far above any real one).</summary>
    public const long ArtifactMaxBytes = 64L * 1024 * 1024;

    /// <summary>
    /// Reads an artifact through the guarded opener (spec §9): null when it does not exist; a FIFO,
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
        rel = Path.GetRelativePath(pyDir, abs).Replace('\\', '/');
        if (!Path.IsPathRooted(rel)) return true;
        d.Error(Codes.NoRelativePath, SourceSpan.None, $"The path of '{lib.Name}' ({abs}) has no relative path from {pyLabel} (another drive?); Hsm never writes absolute paths into committed files.");
        return false;
    }

    /// <summary>An existing checkout is never updated: warn when it is not at the registry's ref.</summary>
    private static void WarnIfOtherRef(string dir, string gitRef, string what, string dirLabel, CancellationToken cancel, DiagnosticBag d)
    {
        var head = GitClone.Head(dir, cancel);
        var want = GitClone.Resolve(dir, gitRef, cancel);
        if (head != null && head != want)
            d.Warning(Codes.CheckoutDiffers, new SourceSpan(dirLabel, 0, 0), $"'{dirLabel}' ({what}) is checked out at {head[..Math.Min(12, head.Length)]}, not at '{gitRef}' as the registry says; Hsm never updates an existing checkout.");
    }

    /// <summary>
    /// Hash of the canonical resolved stack: its JSON without the build settings and the extra inputs. The
    /// two are set aside for the serialisation instead of cloning the stack (a JSON round trip that cost as
    /// much as the Compose rendering on large stacks); the JSON is the same.
    /// </summary>
    private static string CanonicalHash(ResolvedStack stack)
    {
        var (settings, extra) = (stack.Settings, stack.ExtraInputs);
        stack.Settings = new Dictionary<string, string>(StringComparer.Ordinal);
        stack.ExtraInputs = new List<string>();
        try { return StagePlan.Hash(stack.ToJson())[..16]; }
        finally { stack.Settings = settings; stack.ExtraInputs = extra; }
    }

    /// <summary>The part of hsm.lock that HsmLocked compares: stack and owned (not file hashes).</summary>
    private static string StackPart(string lockText)
    {
        var i = lockText.IndexOf("\nfiles:", StringComparison.Ordinal);
        return (i < 0 ? lockText : lockText[..i]).Replace("\r\n", "\n");
    }

    private static void ReportHandEdit(string fileLabel, bool locked, DiagnosticBag d)
    {
        var msg = $"'{fileLabel}' was edited by hand since Hsm generated it; {(locked ? "HsmLocked=true forbids regenerating it." : "it is regenerated. Change hsm.yaml or the registry instead.")}";
        if (locked) d.Error(Codes.GeneratedFileEdited, new SourceSpan(fileLabel, 1, 1), msg);
        else d.Warning(Codes.GeneratedFileEdited, new SourceSpan(fileLabel, 1, 1), msg);
    }
}
