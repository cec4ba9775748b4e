using System.Text;
using Hsm.Compose;
using Hsm.Diagnostics;
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
        void Add(string target, string? content, string kind)
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
        }

        // ---- pyproject.toml ----
        var pyLabel = label(req.PyProjectPath);
        var pyDir = Path.GetDirectoryName(req.PyProjectPath)!;
        var desired = new List<ManagedDependency>();
        foreach (var lib in stack.Libraries)
        {
            string? rel = null;
            if (lib.Source.Type == "local" && lib.Source.Path != null)
            {
                var abs = Path.GetFullPath(Path.Combine(req.ProjectDirectory, lib.Source.Path));
                rel = Path.GetRelativePath(pyDir, abs).Replace('\\', '/');
                if (Path.IsPathRooted(rel))
                {
                    d.Error(Codes.NoRelativePath, SourceSpan.None, $"The path of '{lib.Name}' ({abs}) has no relative path from {pyLabel} (another drive?); Hsm never writes absolute paths into committed files.");
                    continue;
                }
            }
            desired.Add(Requirements.FromLibrary(lib, rel));
        }
        string? originalPy = File.Exists(req.PyProjectPath) ? Utf8NoBom.GetString(File.ReadAllBytes(req.PyProjectPath)) : null;
        oldLock.Owned.TryGetValue(pyLabel, out var owned);
        var py = PyProjectEditor.Apply(originalPy, desired, owned, pyLabel, stack.ProjectName, stack.ProjectVersion, d);
        if (py.Owned.Entries.Count > 0 || py.Owned.Created.Count > 0) newLock.Owned[pyLabel] = py.Owned;
        if (py.NewText != null && py.NewText != originalPy) Add(req.PyProjectPath, py.NewText, "pyproject");
        plan.HasPython = desired.Count > 0 || (owned?.Entries.Count ?? 0) > 0;
        plan.PyProject = plan.HasPython ? req.PyProjectPath : null;

        // ---- docker-compose.hsm.yml ----
        var composeLabel = label(req.ComposePath);
        var userCompose = new[] { "docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml" }
            .Any(f => File.Exists(Path.Combine(req.ProjectDirectory, f)));
        var ctx = new ComposeContext(req.GeneratorVersion, CanonicalHash(stack), userCompose, ComposeRenderer.NormalizeProjectName(stack.ProjectName));
        var compose = ComposeRenderer.Render(stack, ctx);
        CheckHandEdit(req.ComposePath, composeLabel, oldLock, req.Locked, d);
        if (compose != null)
        {
            newLock.Files[composeLabel] = StagePlan.Hash(Utf8NoBom.GetBytes(compose));
            Add(req.ComposePath, compose, "compose");
            plan.Compose = req.ComposePath;
        }
        else if (oldLock.Files.ContainsKey(composeLabel))
        {
            Add(req.ComposePath, null, "compose"); // hsm wrote it; the stack has no container service now
        }

        // ---- .env.hsm, .env.hsm.local, .env.<service> ----
        var envs = EnvRenderer.Render(stack, d);
        foreach (var (name, content) in envs)
        {
            var path = Path.Combine(req.ProjectDirectory, name);
            CheckHandEdit(path, name, oldLock, req.Locked, d);
            newLock.Files[name] = StagePlan.Hash(Utf8NoBom.GetBytes(content));
            Add(path, content, "env");
        }
        foreach (var old in oldLock.Files.Keys.Where(k => k.StartsWith(".env", StringComparison.Ordinal) && !envs.ContainsKey(k)))
            Add(Path.Combine(req.ProjectDirectory, old), null, "env");

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

    private static void CheckHandEdit(string path, string fileLabel, HsmLock oldLock, bool locked, DiagnosticBag d)
    {
        if (!File.Exists(path) || !oldLock.Files.TryGetValue(fileLabel, out var expected)) return;
        if (StagePlan.HashFile(path) == expected) return;
        var msg = $"'{fileLabel}' was edited by hand since Hsm generated it; {(locked ? "HsmLocked=true forbids regenerating it." : "it is regenerated. Change hsm.yaml or the registry instead.")}";
        if (locked) d.Error(Codes.GeneratedFileEdited, new SourceSpan(fileLabel, 1, 1), msg);
        else d.Warning(Codes.GeneratedFileEdited, new SourceSpan(fileLabel, 1, 1), msg);
    }
}
