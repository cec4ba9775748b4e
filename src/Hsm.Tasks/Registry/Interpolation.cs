namespace Hsm.Registry;

/// <summary>
/// Compose's '$' rule, in one place: a '$' starts an interpolation when <c>{</c>, '_' or an ASCII letter
/// follows it (<c>${…}</c>, <c>$NAME</c>); <c>$$</c> is a literal '$'; a '$' before anything else is a
/// literal too. The Compose writer, the env writer, the publishers and the risky-setting check all decide by it.
/// </summary>
public static class Interpolation
{
    private const char OpenBrace = '{';

    /// <summary>True when <paramref name="next"/>, the character after a '$', makes the '$' start an interpolation.</summary>
    public static bool StartsAfterDollar(char next) => next == OpenBrace || next == '_' || char.IsAsciiLetter(next);

    /// <summary>The character after position <paramref name="i"/> of <paramref name="s"/>, or '\0' at the end.</summary>
    public static char NextOf(string s, int i) => i + 1 < s.Length ? s[i + 1] : '\0';

    /// <summary>
    /// True when a value holds Compose interpolation (<c>${…}</c> or <c>$NAME</c>) that only Compose resolves;
    /// <c>$$</c> (a literal '$') and a '$' before anything else are not interpolation.
    /// </summary>
    public static bool HasInterpolation(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '$') continue;
            var next = NextOf(value, i);
            if (next == '$') { i++; continue; }
            if (StartsAfterDollar(next)) return true;
        }
        return false;
    }

    /// <summary>A Compose value without interpolation as the literal text it means (<c>$$</c> → <c>$</c>).</summary>
    public static string Unescape(string value) => value.Replace("$$", "$", StringComparison.Ordinal);

    /// <summary>
    /// What Compose makes of <paramref name="value"/> when no variable is set except those in
    /// <paramref name="set"/>: <c>${NAME:-default}</c> and <c>${NAME-default}</c> give their default (itself
    /// interpolated), <c>${NAME:+alt}</c>, <c>${NAME:?err}</c>, <c>${NAME}</c> and <c>$NAME</c> give the empty
    /// text, <c>$$</c> gives '$'. Used to see the host path a registry's volume really names (a
    /// <c>${DATA:-/}</c> is the host's root when DATA is unset).
    /// </summary>
    public static string AsIfUnset(string value, IReadOnlyDictionary<string, string>? set = null)
    {
        var sb = new System.Text.StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var next = NextOf(value, i);
            if (c != '$' || !(next == '$' || StartsAfterDollar(next))) { sb.Append(c); continue; }
            if (next == '$') { sb.Append('$'); i++; continue; }
            if (next != OpenBrace)
            {
                var end = i + 1;
                while (end < value.Length && (value[end] == '_' || char.IsAsciiLetterOrDigit(value[end]))) end++;
                sb.Append(Lookup(value.Substring(i + 1, end - i - 1)));
                i = end - 1;
                continue;
            }
            // ${...}: find the matching brace (defaults may nest).
            var depth = 0;
            var close = -1;
            for (var j = i + 1; j < value.Length; j++)
            {
                if (value[j] == OpenBrace) depth++;
                else if (value[j] == '}' && --depth == 0) { close = j; break; }
            }
            if (close < 0) { sb.Append(value, i, value.Length - i); break; }
            var body = value.Substring(i + 2, close - i - 2);
            var nameEnd = 0;
            while (nameEnd < body.Length && (body[nameEnd] == '_' || char.IsAsciiLetterOrDigit(body[nameEnd]))) nameEnd++;
            var name = body.Substring(0, nameEnd);
            var op = body.Substring(nameEnd);
            var known = set != null && set.ContainsKey(name);
            if (known) sb.Append(op.StartsWith(":+", StringComparison.Ordinal) || op.StartsWith('+') ? AsIfUnset(op.TrimStart(':').Substring(1), set) : set![name]);
            else if (op.StartsWith(":-", StringComparison.Ordinal)) sb.Append(AsIfUnset(op.Substring(2), set));
            else if (op.StartsWith('-')) sb.Append(AsIfUnset(op.Substring(1), set));
            i = close;
        }
        return sb.ToString();

        string Lookup(string name) => set != null && set.TryGetValue(name, out var v) ? v : "";
    }
}
