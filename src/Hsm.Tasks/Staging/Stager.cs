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
            var original = File.Exists(target) ? File.ReadAllBytes(target) : null;
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
        foreach (var lib in stack.Libraries)
        {
            var src = lib.Source;
            if (src.Type != "local" || src.Path is null) continue;
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
        StagePython(req.PyProjectPath, rootDesired, null);

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
                var lib = name is null ? null : stack.Libraries.FirstOrDefault(l => Requirements.NormalizeName(l.Package) == Requirements.NormalizeName(name));
                if (lib != null && dep.Trim() == name && Relative(lib, dir, req.ProjectDirectory, label(Path.Combine(dir, "pyproject.toml")), d, out var rel))
                    desired.Add(Requirements.FromLibrary(lib, rel)); // a library of the stack: its requirement and source, as in the root
                else if (name != null)
                    desired.Add(new ManagedDependency(name, dep.Trim(), null));
                else
                    d.Error(Codes.InvalidSource, new SourceSpan(svc.RegistryFile, 0, 0), $"'{dep}' in the dependencies of service '{svc.Name}' is not a PEP 508 requirement.");
            }
            StagePython(Path.Combine(dir, "pyproject.toml"), desired, readFrom);
        }

        void StagePython(string pyproject, List<ManagedDependency> desired, string? cloneDir)
        {
            var pyLabel = label(pyproject);
            var readPath = cloneDir is null ? pyproject : Path.Combine(cloneDir, "pyproject.toml");
            string? original = File.Exists(readPath) ? Utf8NoBom.GetString(File.ReadAllBytes(readPath)) : null;
            oldLock.Owned.TryGetValue(pyLabel, out var owned);
            var py = PyProjectEditor.Apply(original, desired, owned, pyLabel, stack.ProjectName, stack.ProjectVersion, d);
            if (py.Owned.Entries.Count > 0 || py.Owned.Created.Count > 0) newLock.Owned[pyLabel] = py.Owned;
            if (desired.Count == 0 && (owned?.Entries.Count ?? 0) == 0) return; // not required, not touched
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

        // ---- files HsmPublish wrote (spec §12): its entries are carried over as they are ----
        foreach (var key in Hsm.Publish.PublishStager.PublishEntries(oldLock.Files.Keys, composeLabel))
            newLock.Files.TryAdd(key, oldLock.Files[key]);

        // ---- hsm.lock ----
        var lockText = newLock.Write();
        if (req.Locked)
        {
            var oldText = File.Exists(req.LockPath) ? File.ReadAllText(req.LockPath) : "";
            if (StackPart(oldText) != StackPart(lockText))
                d.Error(Codes.LockedMismatch, new SourceSpan(label(req.LockPath), 1, 1),
                    "HsmLocked=true: the resolved stack or the owned pyproject entries differ from hsm.lock. Run a build without HsmLocked and commit hsm.lock.");
        }
        Add(req.LockPath, lockText, "lock");

        if (d.HasErrors) return null;
        plan.Save(Path.Combine(stageDir, "plan.json"));
        return plan;
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
