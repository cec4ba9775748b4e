using Hsm.Diagnostics;
using Xunit;

namespace Hsm.Tests.Model;

/// <summary>Design §5.2: user env files are read at resolve time for fail-fast checks naming both origins; values are never kept.</summary>
public sealed class EnvFileResolutionTests
{
    private static string Project(string serviceYaml, params (string Path, string Text)[] files)
    {
        var dir = ModelKit.NewTempDir();
        void Write(string rel, string text)
        {
            var p = Path.Combine(dir, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(p)!);
            File.WriteAllText(p, text);
        }
        Write("hsm.yaml", "project:\n  name: envs\nservices:\n  standalone:\n    - app\n");
        Write("hsm-registry/services/app.yaml", serviceYaml);
        foreach (var (path, text) in files) Write(path, text);
        return dir;
    }

    [Fact]
    public void Conflicts_across_env_files_and_inline_layers_name_both_origins()
    {
        var dir = Project("""
            name: app
            env: { INLINE: x }
            env_file: [a.env, b.env, missing.env]
            sources:
              prod:
                type: docker-image
                image: "app:1"
                env: { SOURCE_KEY: y }
            """, ("a.env", "SHARED=1\nONLY_A=1\nINLINE=x\n"), ("b.env", "# b\nSHARED=2\nSOURCE_KEY=3\n"));
        try
        {
            var (stack, d) = ModelKit.Resolve(dir);
            Assert.Null(stack);
            var twice = Assert.Single(d.Items, i => i.Message.Contains("'SHARED'"));
            Assert.Equal(Codes.EnvConflict, twice.Code);
            Assert.Contains("env_file:a.env:1", twice.Message);
            Assert.Contains("env_file:b.env:2", twice.Message);
            Assert.Equal(("b.env", 2), (twice.Span.File, twice.Span.Line));

            var inline = Assert.Single(d.Items, i => i.Message.Contains("'INLINE'"));
            Assert.Equal(Codes.EnvConflict, inline.Code);
            Assert.Contains("env_file:a.env:3", inline.Message);
            Assert.Contains("service.env", inline.Message);
            Assert.Equal("hsm-registry/services/app.yaml", inline.Span.File);

            var source = Assert.Single(d.Items, i => i.Message.Contains("'SOURCE_KEY'"));
            Assert.Contains("source.env", source.Message);

            var missing = Assert.Single(d.Items, i => i.Message.Contains("missing.env"));
            Assert.Equal(Codes.EnvFileProblem, missing.Code);
            Assert.Equal("hsm-registry/services/app.yaml", missing.Span.File);
        }
        finally { ModelKit.TryDelete(dir); }
    }

    [Fact]
    public void A_line_compose_would_reject_is_an_error_at_its_line_and_values_are_not_kept()
    {
        var dir = Project("""
            name: app
            env_file: config/app.env
            sources:
              prod: { type: docker-image, image: "app:1" }
            """, ("config/app.env", "GOOD=secret-value\n\"unterminated=1\n"));
        try
        {
            var (stack, d) = ModelKit.Resolve(dir);
            Assert.Null(stack);
            var bad = Assert.Single(d.Items, i => i.Severity == Severity.Error);
            Assert.Equal(Codes.EnvFileProblem, bad.Code);
            Assert.Equal(("config/app.env", 2), (bad.Span.File, bad.Span.Line));
            Assert.DoesNotContain(d.Items, i => i.Message.Contains("secret-value"));

            File.WriteAllText(Path.Combine(dir, "config/app.env"), "GOOD=secret-value\n");
            var (ok, d2) = ModelKit.Resolve(dir);
            Assert.NotNull(ok);
            Assert.Equal(new[] { "config/app.env" }, ok!.Services.Single().EnvFiles);
            Assert.DoesNotContain("secret-value", ok.ToJson());
            Assert.Contains("config/app.env", ok.ExtraInputs);
        }
        finally { ModelKit.TryDelete(dir); }
    }
}
