using System.Text.Json.Nodes;
using Hsm.Diagnostics;

namespace Hsm.Yaml;

/// <summary>
/// Reads one YAML map into a model: typed getters that report wrong types at the node, and a
/// <see cref="Finish"/> that reports unknown keys with a "did you mean".
/// </summary>
public sealed class MapReader
{
    // Plain arrays, searched in order (a map has a few dozen known keys at most): one HashSet per map read was a
    // large share of a registry file's allocations (issue 16).
    private readonly string[] _known;
    private List<string>? _ignored;
    private readonly string _what;

    public YMapping Map { get; }
    public DiagnosticBag Diagnostics { get; }

    public MapReader(YMapping map, string what, DiagnosticBag diagnostics, params string[] known)
    {
        Map = map; _what = what; Diagnostics = diagnostics;
        _known = known;
    }

    /// <summary>Wraps a node that must be a map; reports and returns null otherwise (null node: null, no error).</summary>
    public static MapReader? For(YNode? node, string what, DiagnosticBag diagnostics, params string[] known)
    {
        if (node is null || node is YScalar { IsNull: true }) return null;
        if (node is YMapping m) return new MapReader(m, what, diagnostics, known);
        diagnostics.Error(Codes.WrongType, node.Span, $"{what} must be a map, not {node.KindName}.");
        return null;
    }

    /// <summary>Keys of the original tool's model that load with a warning "ignored".</summary>
    public void Ignore(params string[] keys) { (_ignored ??= new()).AddRange(keys); }

    public bool Has(string key) => Map[key] is not null and not YScalar { IsNull: true };

    public YNode? Node(string key) => Map[key] is var n and not YScalar { IsNull: true } ? n : null;

    public YScalar? KeyNode(string key)
    {
        foreach (var e in Map.Entries)
            if (e.Key.Value == key) return e.Key;
        return null;
    }

    public YScalar? Scalar(string key)
    {
        var n = Map[key];
        if (n is null || n is YScalar { IsNull: true }) return null;
        if (n is YScalar s) return s;
        Diagnostics.Error(Codes.WrongType, n.Span, $"'{key}' in {_what} must be a single value, not {n.KindName}.");
        return null;
    }

    public string? String(string key) => Scalar(key)?.Value;

    public bool? Bool(string key)
    {
        var s = Scalar(key);
        if (s is null) return null;
        if (s.AsBool() is bool b) return b;
        Diagnostics.Error(Codes.WrongType, s.Span, $"'{key}' in {_what} must be true or false, not '{s.Value}'.");
        return null;
    }

    /// <summary>A list of scalars; a single scalar counts as a one-item list when <paramref name="allowSingle"/>.</summary>
    public List<YScalar>? ScalarList(string key, bool allowSingle = false)
    {
        var n = Map[key];
        if (n is null || n is YScalar { IsNull: true }) return null;
        if (n is YScalar s1)
        {
            if (allowSingle) return new List<YScalar> { s1 };
            Diagnostics.Error(Codes.WrongType, n.Span, $"'{key}' in {_what} must be a list.");
            return null;
        }
        if (n is not YSequence seq)
        {
            Diagnostics.Error(Codes.WrongType, n.Span, $"'{key}' in {_what} must be a list, not {n.KindName}.");
            return null;
        }
        var result = new List<YScalar>();
        foreach (var item in seq.Items)
        {
            if (item is YScalar s && !s.IsNull) result.Add(s);
            else Diagnostics.Error(Codes.WrongType, item.Span, $"Items of '{key}' in {_what} must be single values, not {item.KindName}.");
        }
        return result;
    }

    /// <summary>A map of scalar values (env, params, external). Values keep their text; nulls become "".</summary>
    public List<(YScalar Key, YScalar Value)>? ScalarMap(string key)
    {
        var r = For(Map[key], $"'{key}' in {_what}", Diagnostics);
        if (r is null) return null;
        var result = new List<(YScalar, YScalar)>();
        foreach (var (k, v) in r.Map.Entries)
        {
            if (v is YScalar s) result.Add((k, s.IsNull ? new YScalar { File = s.File, Line = s.Line, Column = s.Column, Value = "" } : s));
            else Diagnostics.Error(Codes.WrongType, v.Span, $"'{key}.{k.Value}' in {_what} must be a single value, not {v.KindName}.");
        }
        return result;
    }

    public JsonNode? Json(string key) => Node(key)?.ToJson();

    /// <summary>Reports every key that is neither known nor ignored.</summary>
    public void Finish()
    {
        foreach (var (k, _) in Map.Entries)
        {
            if (_ignored is not null && _ignored.Contains(k.Value, StringComparer.Ordinal))
            {
                Diagnostics.Warning(Codes.IgnoredField, k.Span, $"'{k.Value}' in {_what} is a field of the original hsm that Hsm.Sdk does not use; it is ignored.");
                continue;
            }
            if (Array.IndexOf(_known, k.Value) >= 0) continue;
            var hint = Suggest.Closest(k.Value, _known);
            Diagnostics.Error(Codes.UnknownKey, k.Span, $"Unknown key '{k.Value}' in {_what}.{(hint != null ? $" Did you mean '{hint}'?" : $" Known keys: {string.Join(", ", _known.Distinct(StringComparer.Ordinal).OrderBy(x => x, StringComparer.Ordinal))}.")}");
        }
    }
}

public static class Suggest
{
    /// <summary>The candidate closest to <paramref name="value"/> by edit distance, if close enough.</summary>
    public static string? Closest(string value, IEnumerable<string> candidates)
    {
        string? best = null; int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            var d = Distance(value.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance) { bestDistance = d; best = c; }
        }
        if (best == null) return null;
        var limit = Math.Max(1, Math.Min(3, (value.Length + 2) / 4));
        return bestDistance <= limit || (best.Contains(value, StringComparison.OrdinalIgnoreCase) && value.Length >= 3) ? best : null;
    }

    public static string DidYouMean(string value, IEnumerable<string> candidates)
    {
        var c = Closest(value, candidates);
        return c != null ? $" Did you mean '{c}'?" : "";
    }

    private static int Distance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 8) return int.MaxValue / 2;
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
