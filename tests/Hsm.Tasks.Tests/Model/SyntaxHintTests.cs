using Hsm.Diagnostics;
using Hsm.Yaml;
using Xunit;

namespace Hsm.Tests.Model;

/// <summary>YAML syntax errors carry a hint besides the parser's words, at the parser's position (issue 14).</summary>
public class SyntaxHintTests
{
    [Theory]
    [InlineData("project:\n  name: \"x\n  version: 1\n", 2, 9, "quote opened on line 2 is not closed")]
    [InlineData("project:\n  name: 'x\n", 2, 9, "quote opened on line 2 is not closed")]
    [InlineData("project:\n  name: x\n   version: 1\n", 3, 11, "check the indentation")]
    [InlineData("project:\n  name: x\n version: 1\nlibraries: {}\n", 3, 2, "check the indentation")]
    [InlineData("a: b: c\n", 1, 5, "quote a value that holds ': '")]
    [InlineData("libraries:\n  groups: [a, b\nservices: {}\n", 2, 11, "the '[' opened here is never closed")]
    [InlineData("project:\n\tname: x\n", 2, 1, "a tab is used for indentation")]
    public void Syntax_errors_carry_a_hint(string yaml, int line, int col, string hint)
    {
        var d = new DiagnosticBag();
        Assert.Null(SafeYamlLoader.LoadText(yaml, "hsm.yaml", d));
        var e = Assert.Single(d.Items);
        Assert.Equal(Codes.YamlSyntax, e.Code);
        Assert.Equal((line, col), (e.Span.Line, e.Span.Column));
        Assert.Contains(hint, e.Message);
        Assert.StartsWith("YAML syntax error: ", e.Message);
    }
}
