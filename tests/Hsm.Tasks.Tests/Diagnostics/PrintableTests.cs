using Hsm.Diagnostics;
using Hsm.Tests.Model;
using Xunit;

namespace Hsm.Tests.Diagnostics;

/// <summary>
/// Text from files a pull request carries never drives the reader's terminal: diagnostics show control and bidi
/// characters as escapes (an ESC sequence that erases the line above could hide a risky-setting warning).
/// </summary>
public class PrintableTests
{
    [Theory]
    [InlineData("plain text, 'quoted' and ü", "plain text, 'quoted' and ü")]
    [InlineData("line one\nline two\tand a tab", "line one\nline two\tand a tab")]
    [InlineData("\u001b[1A\u001b[2Kgone", "\\x1B[1A\\x1B[2Kgone")]
    [InlineData("over\rwrite", "over\\x0Dwrite")]
    [InlineData("windows\r\nlines\r", "windows\r\nlines\\x0D")]
    [InlineData("bell\u0007 nul\0 del\u007f c1\u009b", "bell\\x07 nul\\x00 del\\x7F c1\\x9B")]
    [InlineData("admin\u202e\u2066 // x", "admin\\u202E\\u2066 // x")]
    [InlineData("a\u2028b", "a\\u2028b")]
    public void Control_and_bidi_characters_are_shown_as_escapes(string text, string shown)
    {
        Assert.Equal(shown, Printable.Text(text));
        Assert.Equal(shown, new Diagnostic(Codes.UnknownKey, Severity.Error, text, SourceSpan.None).Message);
    }

    [Fact]
    public void A_registry_key_with_an_escape_sequence_is_reported_without_it()
    {
        var dir = ModelKit.Project("base");
        try
        {
            var redis = Path.Combine(dir, "hsm-registry", "services", "redis.yaml");
            File.AppendAllText(redis, "\"x\\e[1A\\e[2K\\rprivileged\": true\n");
            var (_, d) = ModelKit.Resolve(dir);
            var e = Assert.Single(d.Items, x => x.Code == Codes.UnknownKey);
            Assert.Contains("x\\x1B[1A\\x1B[2K\\x0Dprivileged", e.Message);
            Assert.DoesNotContain(d.Items, x => x.Message.Any(c => char.IsControl(c) && c is not ('\n' or '\t')));
        }
        finally { ModelKit.TryDelete(dir); }
    }
}
