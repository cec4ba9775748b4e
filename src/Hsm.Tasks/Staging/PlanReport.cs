using Hsm.Compose;
using Hsm.Diagnostics;
using Hsm.Lock;
using Hsm.Model;
using Hsm.Python;
using Hsm.Registry;

namespace Hsm.Staging;

/// <summary>
/// HsmCheck's plan (design §7): per artifact, the entries and services a build would add (+), remove (-)
/// or change (~), one line each — <c>hsm: &lt;artifact&gt;: + | - | ~ &lt;entry&gt; (&lt;reason&gt;)</c>. The
/// staging records them in the plan (<see cref="StagePlan.Entries"/>, from <see cref="Diff"/>): the reasons
/// come from diffing the old hsm.lock against the new one: the rule that selected a component
/// (selection | default | standalone | implies from X), <c>mode</c> when only its mode changed,
/// <c>source</c> when its source changed (registry edit), <c>deselected, was …</c> for removals.
/// </summary>
public static class PlanReport
{
    /// <summary>The plan's lines, as the staging recorded them (nothing is read again).</summary>
    public static List<string> Lines(StagePlan plan) => plan.Entries.Select(e => e.Line).ToList();

    /// <summary>What the staging holds when it has planned every file: both locks, the stack, the plan and each target's old bytes and new text.</summary>
    public sealed class DiffInput
    {
        public HsmLock OldLock { get; init; } = new();
        public HsmLock NewLock { get; init; } = new();
        public ResolvedStack Stack { get; init; } = new();
        public StagePlan Plan { get; init; } = new();
        public string ProjectDirectory { get; init; } = "";
        public IReadOnlyDictionary<string, (byte[]? Original, string? Content)> Texts { get; init; } = new Dictionary<string, (byte[]?, string?)>();
    }

    /// <summary>The model-level changes of a staged plan.</summary>
    public static List<PlannedChange> Diff(DiffInput x) => new Differ(x).Run();

    private sealed class Differ
    {
        private readonly DiffInput _x;
        private readonly List<PlannedChange> _changes = new();
        private readonly Dictionary<string, HsmLock.StackEntry> _oldStack;
        private readonly Dictionary<string, HsmLock.StackEntry> _newStack;

        public Differ(DiffInput x)
        {
            _x = x;
            _oldStack = x.OldLock.Stack.ToDictionary(e => e.Kind + ":" + e.Name);
            _newStack = x.NewLock.Stack.ToDictionary(e => e.Kind + ":" + e.Name);
        }

        public List<PlannedChange> Run()
        {
            OwnedEntries();
            UvLocksAndClones();
            ComposeServices();
            EnvKeysOfFiles();
            LockStack();
            return _changes;
        }

        private string Label(string p) => Hsm.Paths.ProjectPaths.Key(_x.ProjectDirectory, p);

        private void Add(string artifact, ArtifactKind kind, char op, string entry, string reason) =>
            _changes.Add(new PlannedChange { Artifact = artifact, Kind = kind, Op = op.ToString(), Entry = entry, Reason = reason });

        private string ReasonNew(string kind, string name)
        {
            _newStack.TryGetValue(kind + ":" + name, out var n);
            _oldStack.TryGetValue(kind + ":" + name, out var o);
            if (n is null) return "changed";
            if (o != null && o.Mode != n.Mode) return "mode";
            if (o != null && o.Source != n.Source) return "source";
            if (o != null && o.Profile != n.Profile) return "profile";
            return Rule(n.Origin);
        }

        private string ReasonOld(string kind, string name) =>
            _oldStack.TryGetValue(kind + ":" + name, out var o) ? "deselected, was " + Rule(o.Origin) : "no longer generated";

        // The first library (then the first old lock entry) whose package or name normalises to the package's name,
        // and the service whose variable prefix starts an env key: lookups built once, not a scan per entry (issue 16).
        private Dictionary<string, string>? _libraryByName, _lockedByName, _serviceByPrefix;

        private string? LibraryOf(string package)
        {
            if (_libraryByName is null)
            {
                _libraryByName = new(StringComparer.Ordinal);
                foreach (var l in _x.Stack.Libraries) { _libraryByName.TryAdd(Requirements.NormalizeName(l.Package), l.Name); _libraryByName.TryAdd(Requirements.NormalizeName(l.Name), l.Name); }
                _lockedByName = new(StringComparer.Ordinal);
                foreach (var e in _x.OldLock.Stack.Where(e => e.Kind == "library")) _lockedByName.TryAdd(Requirements.NormalizeName(e.Name), e.Name);
            }
            var n = Requirements.NormalizeName(package);
            return _libraryByName.TryGetValue(n, out var lib) ? lib : _lockedByName!.TryGetValue(n, out var locked) ? locked : null;
        }

        // ---- pyproject.toml files: owned entries ----
        private void OwnedEntries()
        {
            foreach (var file in _x.OldLock.Owned.Keys.Union(_x.NewLock.Owned.Keys).OrderBy(k => k, StringComparer.Ordinal))
            {
                var olds = _x.OldLock.Owned.TryGetValue(file, out var op) ? op.Entries.ToDictionary(e => Requirements.NormalizeName(e.Name)) : new();
                var news = _x.NewLock.Owned.TryGetValue(file, out var np) ? np.Entries.ToDictionary(e => Requirements.NormalizeName(e.Name)) : new();
                foreach (var k in olds.Keys.Union(news.Keys).OrderBy(k => k, StringComparer.Ordinal))
                {
                    var lib = LibraryOf(k) ?? k;
                    if (!olds.ContainsKey(k)) Add(file, ArtifactKind.Pyproject, '+', news[k].Requirement, ReasonNew("library", lib));
                    else if (!news.ContainsKey(k)) Add(file, ArtifactKind.Pyproject, '-', olds[k].Requirement, ReasonOld("library", lib));
                    else if (olds[k].Requirement != news[k].Requirement || olds[k].Source != news[k].Source)
                        Add(file, ArtifactKind.Pyproject, '~', news[k].Requirement + (news[k].Source is null ? "" : " = " + news[k].Source), ReasonNew("library", lib));
                }
            }
        }

        private void UvLocksAndClones()
        {
            foreach (var f in _x.Plan.Files.Where(f => f.Kind == ArtifactKind.Pyproject && f.Op != FileOp.Unchanged))
                Add(Label(Path.Combine(Path.GetDirectoryName(f.Target)!, "uv.lock")), ArtifactKind.Uvlock, '~', "uv.lock", $"uv lock after the {Label(f.Target)} change");
            foreach (var c in _x.Plan.Clones)
                Add(Label(c.Target), ArtifactKind.Clone, '+', Label(c.Target), "cloned on demand");
        }

        /// <summary>The old bytes (as read when staged) and the new text (as rendered) of a planned file.</summary>
        private (string Old, string New) TextsOf(PlannedFile f)
        {
            _x.Texts.TryGetValue(f.Target, out var t);
            return (t.Original is null ? "" : Staging.Stager.Utf8NoBom.GetString(t.Original), f.Staged is null ? "" : t.Content ?? "");
        }

        // ---- the Compose file: services ----
        private void ComposeServices()
        {
            foreach (var f in _x.Plan.Files.Where(f => f.Kind == ArtifactKind.Compose && f.Op != FileOp.Unchanged))
            {
                var artifact = Label(f.Target);
                var (oldText, newText) = TextsOf(f);
                var (oldNorm, olds) = BlockSpans(oldText);
                var (newNorm, news) = BlockSpans(newText);
                int before = _changes.Count;
                foreach (var k in olds.Keys.Union(news.Keys).OrderBy(k => k, StringComparer.Ordinal))
                {
                    if (!olds.ContainsKey(k)) Add(artifact, ArtifactKind.Compose, '+', "service " + k, ReasonNew("service", k));
                    else if (!news.ContainsKey(k)) Add(artifact, ArtifactKind.Compose, '-', "service " + k, ReasonOld("service", k));
                    else if (!SameBlock(oldNorm, olds[k], newNorm, news[k])) Add(artifact, ArtifactKind.Compose, '~', "service " + k, ReasonNew("service", k));
                }
                if (_changes.Count == before)
                    Add(artifact, ArtifactKind.Compose, OpChar(f), artifact, f.Op == FileOp.Delete ? "no managed container service" : "generated content");
            }
        }

        private static char OpChar(PlannedFile f) => f.Op == FileOp.Create ? '+' : f.Op == FileOp.Delete ? '-' : '~';

        // ---- .env files: keys ----
        private void EnvKeysOfFiles()
        {
            foreach (var f in _x.Plan.Files.Where(f => f.Kind == ArtifactKind.Env && f.Op != FileOp.Unchanged).OrderBy(f => f.Target, StringComparer.Ordinal))
            {
                var artifact = Label(f.Target);
                var (oldText, newText) = TextsOf(f);
                var olds = EnvKeys(oldText);
                var news = EnvKeys(newText);
                var fileService = Path.GetFileName(f.Target) is var n && n.StartsWith(".env.", StringComparison.Ordinal) && n is not (".env.hsm" or ".env.hsm.local") ? n[5..] : null;
                int before = _changes.Count;
                foreach (var k in olds.Keys.Union(news.Keys).OrderBy(k => k, StringComparer.Ordinal))
                {
                    if (!olds.ContainsKey(k)) Add(artifact, ArtifactKind.Env, '+', k, ReasonNew("service", fileService ?? ServiceOfKey(k)));
                    else if (!news.ContainsKey(k)) Add(artifact, ArtifactKind.Env, '-', k, ReasonOld("service", fileService ?? ServiceOfKey(k)));
                    else if (olds[k] != news[k]) Add(artifact, ArtifactKind.Env, '~', k, ReasonNew("service", fileService ?? ServiceOfKey(k)));
                }
                if (_changes.Count == before)
                    Add(artifact, ArtifactKind.Env, OpChar(f), artifact, f.Op == FileOp.Delete ? "no longer generated" : "generated content");
            }
        }

        /// <summary>The service whose connection variable a key of .env.hsm is (the longest prefix that matches; a prefix
        /// is as long as its name, the first such name on a tie), or "": one lookup per '_' of the key.</summary>
        private string ServiceOfKey(string key)
        {
            if (_serviceByPrefix is null)
            {
                _serviceByPrefix = new(StringComparer.Ordinal);
                foreach (var s in _x.Stack.Services.Select(s => s.Name).Concat(_x.OldLock.Stack.Where(e => e.Kind == "service").Select(e => e.Name)))
                    _serviceByPrefix.TryAdd(EnvRenderer.VariablePrefix(s) + "_", s);
            }
            for (int i = key.Length - 1; i >= 0; i--)
                if (key[i] == '_' && _serviceByPrefix.TryGetValue(key[..(i + 1)], out var s)) return s;
            return "";
        }

        // ---- hsm.lock: the stack ----
        private void LockStack()
        {
            var lockFile = _x.Plan.Files.FirstOrDefault(f => f.Kind == ArtifactKind.Lock);
            var lockLabel = lockFile is null ? "hsm.lock" : Label(lockFile.Target);
            foreach (var k in _oldStack.Keys.Union(_newStack.Keys).OrderBy(k => k, StringComparer.Ordinal))
            {
                var kind = k[..k.IndexOf(':')];
                var name = k[(k.IndexOf(':') + 1)..];
                var entry = $"{kind} {name}";
                if (!_oldStack.ContainsKey(k)) Add(lockLabel, ArtifactKind.Lock, '+', $"{entry} [{_newStack[k].Mode}, {_newStack[k].Source}]", ReasonNew(kind, name));
                else if (!_newStack.ContainsKey(k)) Add(lockLabel, ArtifactKind.Lock, '-', entry, ReasonOld(kind, name));
                else if (!Same(_oldStack[k], _newStack[k]))
                {
                    var r = ReasonNew(kind, name);
                    Add(lockLabel, ArtifactKind.Lock, '~', $"{entry} [{_newStack[k].Mode}, {_newStack[k].Source}]", r == Rule(_newStack[k].Origin) ? "origin now " + r : r);
                }
            }
            if (lockFile is { Op: not FileOp.Unchanged } && !_changes.Any(c => c.Artifact == lockLabel))
                Add(lockLabel, ArtifactKind.Lock, lockFile.Op == FileOp.Create ? '+' : '~', lockLabel, lockFile.Op == FileOp.Create ? "first build" : "owned entries or file hashes");
        }
    }

    private static bool Same(HsmLock.StackEntry a, HsmLock.StackEntry b) =>
        a.Mode == b.Mode && a.Source == b.Source && a.Profile == b.Profile && a.Origin.SequenceEqual(b.Origin);

    /// <summary>The reason of a component's selection from its origin paths (the first one that applies).</summary>
    public static string Rule(IReadOnlyList<string> origins)
    {
        if (origins.Count == 0) return "unknown";
        foreach (var o in origins.Where(o => o.EndsWith(".selection", StringComparison.Ordinal))) return "selection";
        // standalone origins are `<section>.standalone.<name>` (hsm.lock of earlier versions: `.standalone[i]`)
        foreach (var o in origins.Where(o => o.Contains(".standalone.", StringComparison.Ordinal) || o.Contains(".standalone[", StringComparison.Ordinal))) return "standalone";
        foreach (var o in origins.Where(o => o.EndsWith(" default", StringComparison.Ordinal))) return "default";
        return origins[0];
    }

    /// <summary>
    /// The service blocks of a Compose file in Hsm's own layout (two-space indent under `services:`), without copying:
    /// each block as the span of its lines in the text (CRLF made LF), the block being those lines each followed by
    /// '\n' (Start -1: no line). Two blocks are equal when their spans hold the
    /// same characters (the plan report compares them; a large Compose file is not split into thousands of strings).
    /// </summary>
    internal static (string Text, Dictionary<string, (int Start, int End)> Blocks) BlockSpans(string text)
    {
        var t = text.Replace("\r\n", "\n");
        var result = new Dictionary<string, (int Start, int End)>(StringComparer.Ordinal);
        bool inServices = false;
        string? current = null;
        int start = -1, end = -1;
        for (int pos = 0; ; )
        {
            var nl = t.IndexOf('\n', pos);
            var lineEnd = nl < 0 ? t.Length : nl;
            var raw = t.AsSpan(pos, lineEnd - pos);
            if (raw.Length > 0 && raw[0] != ' ' && raw[0] != '#')
            {
                if (current != null) { result[current] = (start, end); current = null; }
                inServices = raw.TrimEnd().SequenceEqual("services:");
            }
            else if (inServices)
            {
                if (raw.StartsWith("  ") && raw.Length > 2 && raw[2] != ' ' && raw.TrimEnd().EndsWith(":"))
                {
                    if (current != null) result[current] = (start, end);
                    current = raw.Trim().TrimEnd(':').Trim('"').ToString();
                    start = -1;
                }
                else if (current != null)
                {
                    if (start < 0) start = pos;
                    end = lineEnd;
                }
            }
            if (nl < 0) break;
            pos = nl + 1;
        }
        if (current != null) result[current] = (start, end);
        return (t, result);
    }

    private static bool SameBlock(string a, (int Start, int End) x, string b, (int Start, int End) y) =>
        x.Start < 0 || y.Start < 0 ? x.Start < 0 && y.Start < 0 : a.AsSpan(x.Start, x.End - x.Start).SequenceEqual(b.AsSpan(y.Start, y.End - y.Start));

    /// <summary>KEY → value of an env file, read with Compose's grammar (<see cref="EnvFileParser"/>); a bare KEY is "".</summary>
    public static Dictionary<string, string> EnvKeys(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in EnvFileParser.Parse(text, ".env", new DiagnosticBag())) result[e.Key] = e.Value ?? "";
        return result;
    }
}
