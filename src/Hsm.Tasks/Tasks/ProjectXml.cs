using System.Security;

namespace Hsm.Tasks;

/// <summary>MSBuild escaping (%XX for the characters MSBuild gives a meaning) and XML escaping, for generated project files.</summary>
internal static class ProjectXml
{
    /// <summary>MSBuild-escapes a literal value: % $ @ ' ; ? * and newlines become %XX.</summary>
    public static string Escape(string value)
    {
        var sb = new System.Text.StringBuilder(value.Length);
        foreach (var ch in value)
            sb.Append(ch is '%' or '$' or '@' or '\'' or ';' or '?' or '*' or '\r' or '\n' ? $"%{(int)ch:X2}" : ch.ToString());
        return sb.ToString();
    }

    /// <summary>An already MSBuild-escaped value as XML attribute text.</summary>
    public static string Attr(string escaped) => SecurityElement.Escape(escaped) ?? "";

    /// <summary>An already MSBuild-escaped value as XML element text.</summary>
    public static string Text(string escaped) => SecurityElement.Escape(escaped) ?? "";
}
