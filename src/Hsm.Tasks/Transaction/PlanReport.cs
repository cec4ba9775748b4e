using System.Text;
using Hsm.Lock;
using Hsm.Model;
using Hsm.Python;

namespace Hsm.Transaction;

/// <summary>
/// HsmCheck's plan (spec §7): per artifact, the entries and services a build would add (+), remove (-)
/// or change (~), one line each — <c>hsm: &lt;artifact&gt;: + | - | ~ &lt;entry&gt; (&lt;reason&gt;)</c>. The
/// reasons come from diffing the old hsm.lock against the new one: the rule that selected a component
/// (selection | default | standalone | implies from X), <c>mode</c> when only its mode changed,
/// <c>source</c> when its source changed (registry edit), <c>deselected, was …</c> for removals.
/// </summary>
public static class PlanReport
{
    public sealed class Input
    {
        public HsmLock OldLock { get; init; } = new();
        public HsmLock NewLock { get; init; } = new();
        public ResolvedStack Stack { get; init; } = new();
        public StagePlan Plan { get; init; } = new();
        public string ProjectDirectory { get; init; } = "";
    }

    public static List<string> Lines(Input x)
    {
        string label(string p) => Resolution.ResolvePipeline.Label(x.ProjectDirectory, p);
        var lines = new List<string>();
        void Line(string artifact, char op, string entry, string reason) => lines.Add($"hsm: {artifact}: {op} {entry} ({reason})");

        var oldStack = x.OldLock.Stack.ToDictionary(e => e.Kind + ":" + e.Name);
        var newStack = x.NewLock.Stack.ToDictionary(e => e.Kind + ":" + e.Name);
        string ReasonNew(string kind, string name)
        {
            newStack.TryGetValue(kind + ":" + name, out var n);
            oldStack.TryGetValue(kind + ":" + name, out var o);
            if (n is null) return "changed";
            if (o != null && o.Mode != n.Mode) return "mode";
            if (o != null && o.Source != n.Source) return "source";
            if (o != null && o.Profile != n.Profile) return "profile";
            return Rule(n.Origin);
        }
        string ReasonOld(string kind, string name) =>
            oldStack.TryGetValue(kind + ":" + name, out var o) ? "deselected, was " + Rule(o.Origin) : "no longer generated";
        // The first library (then the first old lock entry) whose package or name normalises to the package's name:
        // two lookups, not a scan of the stack per owned entry (issue 16).
        Dictionary<string, string>? libraryByName = null, lockedByName = null;
        string? LibraryOf(string package)
        {
            if (libraryByName is null)
            {
                libraryByName = new(StringComparer.Ordinal);
                foreach (var l in x.Stack.Libraries) { libraryByName.TryAdd(Requirements.NormalizeName(l.Package), l.Name); libraryByName.TryAdd(Requirements.NormalizeName(l.Name), l.Name); }
                lockedByName = new(StringComparer.Ordinal);
                foreach (var e in x.OldLock.Stack.Where(e => e.Kind == "library")) lockedByName.TryAdd(Requirements.NormalizeName(e.Name), e.Name);
            }
            var n = Requirements.NormalizeName(package);
            return libraryByName.TryGetValue(n, out var lib) ? lib : lockedByName!.TryGetValue(n, out var locked) ? locked : null;
        }

        // ---- pyproject.toml files: owned entries ----
        foreach (var file in x.OldLock.Owned.Keys.Union(x.NewLock.Owned.Keys).OrderBy(k => k, StringComparer.Ordinal))
        {
            var olds = x.OldLock.Owned.TryGetValue(file, out var op) ? op.Entries.ToDictionary(e => Requirements.NormalizeName(e.Name)) : new();
            var news = x.NewLock.Owned.TryGetValue(file, out var np) ? np.Entries.ToDictionary(e => Requirements.NormalizeName(e.Name)) : new();
            foreach (var k in olds.Keys.Union(news.Keys).OrderBy(k => k, StringComparer.Ordinal))
            {
                var lib = LibraryOf(k) ?? k;
                if (!olds.ContainsKey(k)) Line(file, '+', news[k].Requirement, ReasonNew("library", lib));
                else if (!news.ContainsKey(k)) Line(file, '-', olds[k].Requirement, ReasonOld("library", lib));
                else if (olds[k].Requirement != news[k].Requirement || olds[k].Source != news[k].Source)
                    Line(file, '~', news[k].Requirement + (news[k].Source is null ? "" : " = " + news[k].Source), ReasonNew("library", lib));
            }
        }
        foreach (var f in x.Plan.Files.Where(f => f.Kind == "pyproject" && f.Op != "unchanged"))
            Line(label(Path.Combine(Path.GetDirectoryName(f.Target)!, "uv.lock")), '~', "uv.lock", $"uv lock after the {label(f.Target)} change");
        foreach (var c in x.Plan.Clones)
            Line(label(c.Target), '+', label(c.Target), "cloned on demand");

        // ---- the Compose file: services ----
        foreach (var f in x.Plan.Files.Where(f => f.Kind == "compose" && f.Op != "unchanged"))
        {
            var artifact = label(f.Target);
            var olds = ServiceBlocks(ReadOrEmpty(f.Target));
            var news = ServiceBlocks(f.Staged is null ? "" : ReadOrEmpty(f.Staged));
            int before = lines.Count;
            foreach (var k in olds.Keys.Union(news.Keys).OrderBy(k => k, StringComparer.Ordinal))
            {
                if (!olds.ContainsKey(k)) Line(artifact, '+', "service " + k, ReasonNew("service", k));
                else if (!news.ContainsKey(k)) Line(artifact, '-', "service " + k, ReasonOld("service", k));
                else if (olds[k] != news[k]) Line(artifact, '~', "service " + k, ReasonNew("service", k));
            }
            if (lines.Count == before)
                Line(artifact, f.Op == "create" ? '+' : f.Op == "delete" ? '-' : '~', artifact,
                    f.Op == "delete" ? "no managed container service" : "generated content");
        }

        // ---- .env files: keys ----
        foreach (var f in x.Plan.Files.Where(f => f.Kind == "env" && f.Op != "unchanged").OrderBy(f => f.Target, StringComparer.Ordinal))
        {
            var artifact = label(f.Target);
            var olds = EnvKeys(ReadOrEmpty(f.Target));
            var news = EnvKeys(f.Staged is null ? "" : ReadOrEmpty(f.Staged));
            var fileService = Path.GetFileName(f.Target) is var n && n.StartsWith(".env.", StringComparison.Ordinal) && n is not (".env.hsm" or ".env.hsm.local") ? n[5..] : null;
            // The service whose variable prefix starts the key, the longest name first (a prefix is as long as its
            // name), the first such name on a tie: one lookup per '_' of the key, not a scan of every service (issue 16).
            var byPrefix = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var s in x.Stack.Services.Select(s => s.Name).Concat(x.OldLock.Stack.Where(e => e.Kind == "service").Select(e => e.Name)))
                byPrefix.TryAdd(Hsm.Compose.EnvRenderer.VariablePrefix(s) + "_", s);
            string ServiceOf(string key)
            {
                if (fileService != null) return fileService;
                for (int i = key.Length - 1; i >= 0; i--)
                    if (key[i] == '_' && byPrefix.TryGetValue(key[..(i + 1)], out var s)) return s;
                return "";
            }
            int before = lines.Count;
            foreach (var k in olds.Keys.Union(news.Keys).OrderBy(k => k, StringComparer.Ordinal))
            {
                if (!olds.ContainsKey(k)) Line(artifact, '+', k, ReasonNew("service", ServiceOf(k)));
                else if (!news.ContainsKey(k)) Line(artifact, '-', k, ReasonOld("service", ServiceOf(k)));
                else if (olds[k] != news[k]) Line(artifact, '~', k, ReasonNew("service", ServiceOf(k)));
            }
            if (lines.Count == before)
                Line(artifact, f.Op == "create" ? '+' : f.Op == "delete" ? '-' : '~', artifact, f.Op == "delete" ? "no longer generated" : "generated content");
        }

        // ---- hsm.lock: the stack ----
        var lockFile = x.Plan.Files.FirstOrDefault(f => f.Kind == "lock");
        var lockLabel = lockFile is null ? "hsm.lock" : label(lockFile.Target);
        foreach (var k in oldStack.Keys.Union(newStack.Keys).OrderBy(k => k, StringComparer.Ordinal))
        {
            var kind = k[..k.IndexOf(':')];
            var name = k[(k.IndexOf(':') + 1)..];
            var entry = $"{kind} {name}";
            if (!oldStack.ContainsKey(k)) Line(lockLabel, '+', $"{entry} [{newStack[k].Mode}, {newStack[k].Source}]", ReasonNew(kind, name));
            else if (!newStack.ContainsKey(k)) Line(lockLabel, '-', entry, ReasonOld(kind, name));
            else if (!Same(oldStack[k], newStack[k]))
            {
                var r = ReasonNew(kind, name);
                Line(lockLabel, '~', $"{entry} [{newStack[k].Mode}, {newStack[k].Source}]", r == Rule(newStack[k].Origin) ? "origin now " + r : r);
            }
        }
        if (lockFile is { Op: not "unchanged" } && !lines.Any(l => l.StartsWith($"hsm: {lockLabel}:", StringComparison.Ordinal)))
            Line(lockLabel, lockFile.Op == "create" ? '+' : '~', lockLabel, lockFile.Op == "create" ? "first build" : "owned entries or file hashes");
        return lines;
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

    private static string ReadOrEmpty(string path) =>
        IO.GuardedFile.Read(path, Staging.Stager.ArtifactMaxBytes).Bytes is { } b ? Staging.Stager.Utf8NoBom.GetString(b) : ""; // never opens a FIFO

    /// <summary>The service blocks of a Compose file in Hsm's own layout (two-space indent under `services:`).</summary>
    public static Dictionary<string, string> ServiceBlocks(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        bool inServices = false;
        string? current = null;
        var sb = new StringBuilder();
        foreach (var raw in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (raw.Length > 0 && raw[0] != ' ' && raw[0] != '#')
            {
                if (current != null) { result[current] = sb.ToString(); current = null; }
                inServices = raw.TrimEnd() == "services:";
                continue;
            }
            if (!inServices) continue;
            if (raw.StartsWith("  ", StringComparison.Ordinal) && raw.Length > 2 && raw[2] != ' ' && raw.TrimEnd().EndsWith(':'))
            {
                if (current != null) result[current] = sb.ToString();
                current = raw.Trim().TrimEnd(':').Trim('"');
                sb.Clear();
                continue;
            }
            if (current != null) sb.Append(raw).Append('\n');
        }
        if (current != null) result[current] = sb.ToString();
        return result;
    }

    /// <summary>KEY → VALUE of an env file hsm wrote (KEY=VALUE lines).</summary>
    public static Dictionary<string, string> EnvKeys(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var i = line.IndexOf('=');
            if (i > 0) result[line[..i]] = line[(i + 1)..];
        }
        return result;
    }
}
