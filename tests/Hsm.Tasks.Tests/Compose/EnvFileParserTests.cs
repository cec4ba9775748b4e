using Hsm.Compose;
using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Registry;
using Xunit;

namespace Hsm.Tests.Compose;

public class EnvFileParserTests
{
    static (List<EnvFileEntry> Entries, DiagnosticBag Diagnostics) Parse(string text)
    {
        var d = new DiagnosticBag();
        return (EnvFileParser.Parse(text, "config/app.env", d), d);
    }

    [SkippableFact]
    public void Grammar_AcceptsWhatComposeAccepts()
    {
        var text = "# comment\n\nA=1\nexport B=2\n  C = 3 # inline\nD=\"x\\\"y\\ny\" # after\nE='s\\n'\nF\nG=a#b\nH=\"multi\nline\"\nI.J-K[0]=dots\nL: yaml style\nexportM=1\nN=\nO=\"${X:-d}\"\n";
        var (entries, d) = Parse(text);
        Assert.False(d.HasErrors, string.Join("\n", d.Items));
        var map = entries.ToDictionary(e => e.Key, e => (e.Value, e.Line));
        Assert.Equal(("1", 3), map["A"]);
        Assert.Equal(("2", 4), map["B"]);
        Assert.Equal(("3", 5), map["C"]);
        Assert.Equal(("x\"y\ny", 6), map["D"]);
        Assert.Equal(("s\\n", 7), map["E"]);
        Assert.Equal(((string?)null, 8), map["F"]);
        Assert.Equal(("a#b", 9), map["G"]);
        Assert.Equal(("multi\nline", 10), map["H"]);
        Assert.Equal(("dots", 12), map["I.J-K[0]"]);
        Assert.Equal(("yaml style", 13), map["L"]);
        Assert.Equal(("1", 14), map["exportM"]);
        Assert.Equal(("", 15), map["N"]);
        Assert.Equal(("${X:-d}", 16), map["O"]);
    }

    [SkippableFact]
    public void Keys_AgreeWithTheRealComposeParser()
    {
        // The same text through Compose: the set of keys it defines must be ours (bare keys pass through only when set).
        var text = "A=1\nexport B=2\n  C = 3 # c\nD=\"x\\\"y\" # z\nE='s'\nG=a#b\nH=\"m\nl\"\nI.J=1\nL: y\nQ=\"q\" R=r\n";
        var (entries, d) = Parse(text);
        Assert.False(d.HasErrors);
        var tool = SharedTools.RequireTool("compose");
        using var dir = new TempDir();
        dir.Write("app.env", text);
        var f = dir.Write("c.yml", "services:\n  a:\n    image: busybox\n    env_file: [app.env]\n");
        var (code, output) = SharedTools.Run(tool, new[] { "--project-directory", dir.Path, "-f", f, "config", "--format", "json" }, dir.Path);
        Assert.Equal(0, code);
        var env = System.Text.Json.Nodes.JsonNode.Parse(output.Substring(output.IndexOf('{')))!["services"]!["a"]!["environment"]!.AsObject();
        Assert.Equal(env.Select(kv => kv.Key).OrderBy(k => k, StringComparer.Ordinal), entries.Select(e => e.Key).OrderBy(k => k, StringComparer.Ordinal));
        foreach (var e in entries) Assert.Equal(((string?)env[e.Key])?.Replace("$$", "$"), e.Value);
    }

    [SkippableTheory]
    [InlineData("A=1\nB C=2\n", 2, "space")]
    [InlineData("A=1\n\nA$=1\n", 3, "unexpected character in the variable name at column 2")]
    [InlineData("A=1\nB=\"open\nC=2\n", 2, "unterminated quoted value")]
    [InlineData("A='open\n", 1, "unterminated")]
    [InlineData("=1\n", 1, "empty")]
    [InlineData("A=1\nB=${X\n", 2, "invalid template")]
    [InlineData("# c\nB=\"${X\"\n", 2, "invalid template")]
    public void LineComposeRejects_IsErrorAtFileAndLine(string text, int line, string fragment)
    {
        var (_, d) = Parse(text);
        var error = Assert.Single(d.Items, i => i.Severity == Severity.Error);
        Assert.Equal(Codes.EnvFileProblem, error.Code);
        Assert.Equal("config/app.env", error.Span.File);
        Assert.Equal(line, error.Span.Line);
        Assert.Contains(fragment, error.Message);
        Assert.Contains($"config/app.env:{line}", error.Message);
    }

    [SkippableFact]
    public void SingleQuotedTemplate_IsLiteral_NoError()
    {
        var (entries, d) = Parse("A='${X'\n");
        Assert.False(d.HasErrors);
        Assert.Equal("${X", entries[0].Value);
    }

    [SkippableFact]
    public void KeyTwiceInOneFile_IsErrorNamingBothLines()
    {
        var (_, d) = Parse("A=1\nB=2\n# c\nexport A=3\n");
        var error = Assert.Single(d.Items);
        Assert.Equal(Codes.EnvFileProblem, error.Code);
        Assert.Equal(4, error.Span.Line);
        Assert.Contains("lines 1 and 4", error.Message);
    }

    [SkippableFact]
    public void BareKeyAtEndWithoutNewline_IsAPassThroughWithWarning()
    {
        var (entries, d) = Parse("A=1\nB");
        Assert.Null(entries.Single(e => e.Key == "B").Value);
        Assert.Contains(d.Items, i => i.Severity == Severity.Warning && i.Span.Line == 2);
    }

    [SkippableFact]
    public void CrLfAndBom_AreRead()
    {
        var (entries, d) = Parse("\uFEFFA=1\r\nB=\"two\"\r\n");
        Assert.False(d.HasErrors);
        Assert.Equal(new[] { ("A", "1"), ("B", "two") }, entries.Select(e => (e.Key, e.Value!)));
    }
}
