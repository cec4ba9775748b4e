namespace Hsm.Compose;

/// <summary>
/// Compose's '$' rule, in one place: a '$' starts an interpolation when <c>{</c>, '_' or an ASCII letter
/// follows it (<c>${…}</c>, <c>$NAME</c>); <c>$$</c> is a literal '$'; a '$' before anything else is a
/// literal too. The Compose writer, the env writer and the publishers all decide by it.
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
}
