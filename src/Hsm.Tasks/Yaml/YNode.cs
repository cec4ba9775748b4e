using System.Text.Json.Nodes;
using Hsm.Diagnostics;

namespace Hsm.Yaml;

/// <summary>A YAML node that remembers where it came from (file, 1-based line and column).</summary>
public abstract class YNode
{
    public string File { get; init; } = "";
    public int Line { get; init; }
    public int Column { get; init; }
    public SourceSpan Span => new(File, Line, Column);
    public abstract string KindName { get; }

    /// <summary>Converts to a JSON tree with YAML 1.2 core-schema typing of plain scalars.</summary>
    public abstract JsonNode? ToJson();
}

public sealed class YScalar : YNode
{
    public string Value { get; init; } = "";
    /// <summary>True for a plain (unquoted) scalar; only plain scalars can be null, bool or numbers.</summary>
    public bool Plain { get; init; }
    public override string KindName => IsNull ? "null" : "a scalar";
    public bool IsNull => Plain && (Value is "" or "~" or "null" or "Null" or "NULL");

    public bool? AsBool() => Plain ? Value switch
    {
        "true" or "True" or "TRUE" => true,
        "false" or "False" or "FALSE" => false,
        _ => null,
    } : null;

    public override JsonNode? ToJson()
    {
        if (IsNull) return null;
        if (!Plain) return JsonValue.Create(Value);
        if (AsBool() is bool b) return JsonValue.Create(b);
        if (System.Text.RegularExpressions.Regex.IsMatch(Value, "^[-+]?[0-9]+$") && long.TryParse(Value, out var l)) return JsonValue.Create(l);
        if (System.Text.RegularExpressions.Regex.IsMatch(Value, @"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
            && double.TryParse(Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d))
            return JsonValue.Create(d);
        return JsonValue.Create(Value);
    }
}

public sealed class YSequence : YNode
{
    public YSequence() { Items = new(); }
    /// <summary>With the list of its items (the fast path builds it at its final size).</summary>
    internal YSequence(List<YNode> items) { Items = items; }
    public List<YNode> Items { get; }
    public override string KindName => "a list";
    public override JsonNode ToJson() => new JsonArray(Items.Select(i => i.ToJson()).ToArray());
}

public sealed class YMapping : YNode
{
    public YMapping() { Entries = new(); }
    /// <summary>With the list of its entries (the fast path builds it at its final size).</summary>
    internal YMapping(List<KeyValuePair<YScalar, YNode>> entries) { Entries = entries; }
    public List<KeyValuePair<YScalar, YNode>> Entries { get; }
    public override string KindName => "a map";

    /// <summary>The value of the first entry with this key, or null (a loop: no closure or boxed enumerator per lookup, issue 16).</summary>
    public YNode? this[string key]
    {
        get
        {
            var entries = Entries;
            for (int i = 0; i < entries.Count; i++)
                if (entries[i].Key.Value == key) return entries[i].Value;
            return null;
        }
    }

    public override JsonNode ToJson()
    {
        var o = new JsonObject();
        foreach (var (k, v) in Entries) o[k.Value] = v.ToJson();
        return o;
    }
}
