using System.Security;

namespace Hsm.Tasks;

/// <summary>MSBuild escaping (%XX for the characters MSBuild gives a meaning) and XML escaping, for generated project files.</summary>
internal static class ProjectXml
{
    /// <summary>MSBuild-escapes a literal value: % $ @ ' ; ? * and newlines (or the characters of <paramref name="special"/>) become %XX.</summary>
    public static string Escape(string value, string special = Special)
    {
        // Most values (names, modes, origins) have nothing to escape: the value itself, no copy.
        if (value.AsSpan().IndexOfAny(special) < 0) return value;
        var sb = new System.Text.StringBuilder(value.Length + 8);
        foreach (var ch in value)
            if (special.Contains(ch)) sb.Append('%').Append(((int)ch).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(ch);
        return sb.ToString();
    }

    /// <summary>The characters MSBuild gives a meaning in a project file's values.</summary>
    public const string Special = "%$@';?*\r\n";

    /// <summary>Those of a `-p:Name=value` command-line switch: also `,` (it separates properties) and `"` (stripped).</summary>
    public const string SwitchSpecial = Special + ",\"";

    /// <summary>An already MSBuild-escaped value as XML attribute text.</summary>
    public static string Attr(string escaped) => SecurityElement.Escape(escaped) ?? "";

    /// <summary>An already MSBuild-escaped value as XML element text.</summary>
    public static string Text(string escaped) => SecurityElement.Escape(escaped) ?? "";
}
