using Hsm.Compose;
using Hsm.Registry;
using Hsm.Diagnostics;
using Hsm.Model;
using Xunit;

namespace Hsm.Tests.Compose;

public class EnvRendererTests
{
    [SkippableTheory]
    [InlineData("plain", "K=plain")]
    [InlineData("", "K=")]
    [InlineData("two words", "K=\"two words\"")]
    [InlineData("a#b", "K=\"a#b\"")]
    [InlineData("say \"hi\"", "K=\"say \\\"hi\\\"\"")]
    [InlineData("it's", "K=\"it's\"")]
    [InlineData(@"C:\new", "K=\"C:\\\\new\"")]
    [InlineData("line1\nline2", "K=\"line1\\nline2\"")]
    [InlineData("http://${HOST}:${PORT:-80}", "K=http://${HOST}:${PORT:-80}")]
    [InlineData("$HOME/x", "K=$HOME/x")]
    [InlineData("5$", "K=\"5\\$\"")]
    [InlineData("pa$$word", "K=\"pa\\$word\"")]
    public void FormatLine_QuotesPerSpec(string value, string expected) => Assert.Equal(expected, EnvRenderer.FormatLine("K", value));

    [SkippableFact]
    public void FormatLine_RoundTripsThroughComposeGrammar()
    {
        var values = new[] { "plain", "two words", "a#b", "say \"hi\"", "it's", @"C:\new x", "line1\nline2", "tab\there", "5$ off" };
        var text = string.Concat(values.Select((v, i) => EnvRenderer.FormatLine("K" + i, v) + "\n"));
        var d = new DiagnosticBag();
        var entries = EnvFileParser.Parse(text, ".env.hsm", d);
        Assert.False(d.HasErrors);
        // Our parser keeps "\$" for Compose's interpolation step, which turns it into "$".
        Assert.Equal(values, entries.Select(e => e.Value!.Replace("\\$", "$")));

        var tool = SharedTools.RequireTool("compose");
        using var dir = new TempDir();
        dir.Write(".env.hsm", text);
        var f = dir.Write("c.yml", "services:\n  a:\n    image: busybox\n    env_file: [.env.hsm]\n");
        var (code, output) = SharedTools.Run(tool, new[] { "--project-directory", dir.Path, "-f", f, "config", "--format", "json" }, dir.Path);
        Assert.Equal(0, code);
        var env = System.Text.Json.Nodes.JsonNode.Parse(output.Substring(output.IndexOf('{')))!["services"]!["a"]!["environment"]!;
        for (var i = 0; i < values.Length; i++) Assert.Equal(values[i], ((string?)env["K" + i])!.Replace("$$", "$"));
    }

    [SkippableFact]
    public void ConnectionVariables_ManagedExternalAndUv()
    {
        var stack = Stacks.ProdStack();
        stack.Services.Add(Stacks.Image("noports", "busybox"));
        var d = new DiagnosticBag();
        var files = EnvRenderer.Render(stack, d);
        Assert.False(d.HasErrors);
        Assert.Equal(new[] { ".env.hsm", ".env.hsm.local" }, files.Keys);
        Assert.Equal("NOPORTS_HOST=noports\nPOSTGRES_HOST=10.0.0.50\nPOSTGRES_PASSWORD=\"pa\\$w ord#1\"\nPOSTGRES_PORT=5432\nQDRANT_HOST=qdrant\nQDRANT_PORT=6333\nREDIS_HOST=redis\nREDIS_PORT=6379\n", files[".env.hsm"]);
        Assert.Equal("POSTGRES_HOST=10.0.0.50\nPOSTGRES_PASSWORD=\"pa\\$w ord#1\"\nPOSTGRES_PORT=5432\nQDRANT_HOST=localhost\nQDRANT_PORT=6333\nREDIS_HOST=localhost\nREDIS_PORT=6379\n", files[".env.hsm.local"]);
        Assert.Contains(d.Items, i => i.Severity == Severity.Message && i.Message.Contains("noports") && i.Message.Contains(".env.hsm.local"));
    }

    [SkippableFact]
    public void LocalFile_UsesBoundHostIp()
    {
        var stack = new ResolvedStack { Services = { Stacks.Image("db", "x").With(s => s.Ports.Add("127.0.0.2:15432:5432")) } };
        var files = EnvRenderer.Render(stack, new DiagnosticBag());
        Assert.Equal("DB_HOST=127.0.0.2\nDB_PORT=15432\n", files[".env.hsm.local"]);
        Assert.Equal("DB_HOST=db\nDB_PORT=5432\n", files[".env.hsm"]);
    }

    [SkippableFact]
    public void ExternalKeyCollidingWithAnotherServicesVariable_IsError()
    {
        var ext = Stacks.PostgresExternal().With(s => { s.Name = "a"; s.External!["b_host"] = "h"; });
        var stack = new ResolvedStack { Services = { ext, Stacks.Image("a-b", "x") } };
        var d = new DiagnosticBag();
        EnvRenderer.Render(stack, d);
        Assert.Contains(d.Items, i => i.Code == Codes.ConnectionVarClash && i.Severity == Severity.Error && i.Message.Contains("A_B_HOST"));
    }
}
