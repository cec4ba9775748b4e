using System.Diagnostics;
using System.Text;
using Hsm.Diagnostics;
using Hsm.Tests;
using Xunit;

namespace Hsm.Tests.Model;

/// <summary>Hostile files that cannot live in the text corpus: sizes, bytes, generated depth (design §8).</summary>
public class LoaderLimitsTests
{
    private static (List<Diagnostic> Items, TimeSpan Elapsed) RunWith(string relPath, byte[] bytes)
    {
        var dir = ModelKit.Project("base");
        try
        {
            var full = Path.Combine(dir, relPath);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, bytes);
            var sw = Stopwatch.StartNew();
            var (_, d) = ModelKit.Resolve(dir, wholeRegistry: true);
            return (d.Items.ToList(), sw.Elapsed);
        }
        finally { ModelKit.TryDelete(dir); }
    }

    private static void AssertOnly(List<Diagnostic> items, string code, string file, int line, int col)
    {
        var errors = items.Where(x => x.Severity == Severity.Error).ToList();
        Assert.True(errors.Count == 1 && errors[0].Code == code && errors[0].Span.File == file && errors[0].Span.Line == line && errors[0].Span.Column == col,
            $"expected only {code} {file}({line},{col}), got:\n{ModelKit.Format(items)}");
    }

    [Fact]
    public void File_just_over_one_MiB_is_refused_quickly()
    {
        var text = "project:\n  name: x\n# " + new string('a', 1024 * 1024) + "\n";
        var (items, elapsed) = RunWith("hsm.yaml", Encoding.UTF8.GetBytes(text));
        AssertOnly(items, Codes.FileTooLarge, "hsm.yaml", 1, 1);
        Assert.True(elapsed < HangGuard.Limit, elapsed.ToString());
    }

    [Fact]
    public void Ten_MB_registry_file_is_refused_without_reading_it()
    {
        var bytes = new byte[10 * 1024 * 1024];
        Array.Fill(bytes, (byte)'a');
        var (items, elapsed) = RunWith("hsm-registry/libraries/langchain.yaml", bytes);
        AssertOnly(items, Codes.FileTooLarge, "hsm-registry/libraries/langchain.yaml", 1, 1);
        Assert.True(elapsed < HangGuard.Limit, elapsed.ToString());
    }

    [Fact]
    public void Large_but_legal_file_under_one_MiB_loads_in_bounded_time()
    {
        // ~900 KB of plain list items: not an alias bomb, no error (a long list is not "expansions").
        var sb = new StringBuilder("project:\n  name: x\nlibraries:\n  standalone:\n    - langchain\nmodes:\n");
        int i = 0;
        while (sb.Length < 900 * 1024) sb.Append($"  m{i++}: prod\n");
        var (items, elapsed) = RunWith("hsm.yaml", Encoding.UTF8.GetBytes(sb.ToString()));
        Assert.DoesNotContain(items, x => x.Severity == Severity.Error);
        Assert.True(elapsed < HangGuard.Limit, elapsed.ToString());
    }

    [Fact]
    public void Invalid_utf8_is_reported_at_the_byte()
    {
        var bytes = Encoding.UTF8.GetBytes("project:\n  name: ab\n").ToList();
        bytes.Insert(17, 0xC3); // a lead byte followed by 'b' (not a continuation byte)
        var (items, _) = RunWith("hsm.yaml", bytes.ToArray());
        AssertOnly(items, Codes.InvalidUtf8, "hsm.yaml", 2, 9);
    }

    [Fact]
    public void Invalid_utf8_in_a_registry_file()
    {
        var bytes = Encoding.UTF8.GetBytes("name: langchain\nsources:\n  prod: { type: pypi }\n").Concat(new byte[] { 0xFF, 0xFE, (byte)'\n' }).ToArray();
        var (items, _) = RunWith("hsm-registry/libraries/langchain.yaml", bytes);
        AssertOnly(items, Codes.InvalidUtf8, "hsm-registry/libraries/langchain.yaml", 4, 1);
    }

    [Fact]
    public void Utf16_file_is_not_utf8()
    {
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("project:\n  name: x\n")).ToArray();
        var (items, _) = RunWith("hsm.yaml", bytes);
        AssertOnly(items, Codes.InvalidUtf8, "hsm.yaml", 1, 1);
    }

    [Fact]
    public void Utf8_bom_is_accepted()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("project:\n  name: x\nlibraries:\n  standalone: [langchain]\n")).ToArray();
        var (items, _) = RunWith("hsm.yaml", bytes);
        Assert.DoesNotContain(items, x => x.Severity == Severity.Error);
    }

    [Fact]
    public void Ten_thousand_deep_flow_nesting_is_refused_without_stack_overflow()
    {
        var text = "project: {name: x}\nx: " + new string('[', 10_000) + new string(']', 10_000) + "\n";
        var (items, elapsed) = RunWith("hsm.yaml", Encoding.UTF8.GetBytes(text));
        AssertOnly(items, Codes.NestingTooDeep, "hsm.yaml", 2, 67);
        Assert.True(elapsed < HangGuard.Limit, elapsed.ToString());
    }

    [Fact]
    public void Quadratic_alias_chain_under_one_MiB_is_refused_quickly()
    {
        // 1,000 anchors each aliasing the previous one 50 times: exponential if expanded.
        var sb = new StringBuilder("project: {name: x}\na0: &a0 [x]\n");
        for (int i = 1; i < 1000; i++) sb.Append($"a{i}: &a{i} [").Append(string.Join(",", Enumerable.Repeat($"*a{i - 1}", 50))).Append("]\n");
        var (items, elapsed) = RunWith("hsm.yaml", Encoding.UTF8.GetBytes(sb.ToString()));
        Assert.Contains(items, x => x.Code == Codes.AliasProblem && x.Span.File == "hsm.yaml");
        Assert.True(elapsed < HangGuard.Limit, elapsed.ToString());
    }

    [Fact]
    public void Every_problem_of_a_build_is_reported_together()
    {
        var dir = ModelKit.Project("base");
        try
        {
            File.WriteAllText(Path.Combine(dir, "hsm.yaml"), "project:\n  name: x\n  colour: red\nlibraries:\n  standalone: [langchain, nothing-here]\nservices:\n  standalone: [redis]\nmodes:\n  redis: fast\n");
            File.WriteAllText(Path.Combine(dir, "hsm-registry/libraries/langchain.yaml"), "name: langchain\nsources:\n  prod: { type: pypi, version: \">>1\" }\n");
            File.WriteAllText(Path.Combine(dir, "hsm-registry/services/redis.yaml"), "name: redis\nport: [1]\nsources:\n  prod: { type: docker-image, image: redis }\n");
            File.WriteAllText(Path.Combine(dir, "hsm-registry/services/milvus.yaml"), "name: milvus\nsources: [\n");
            var (stack, d) = ModelKit.Resolve(dir, wholeRegistry: true);
            Assert.Null(stack);
            var got = d.Items.Where(x => x.Severity == Severity.Error).Select(x => $"{x.Code} {x.Span}").OrderBy(x => x, StringComparer.Ordinal).ToList();
            Assert.Equal(new[]
            {
                "HSM1001 hsm-registry/services/milvus.yaml(3,1)",
                "HSM1007 hsm-registry/services/redis.yaml(2,1)",
                "HSM1007 hsm.yaml(3,3)",
                "HSM1010 hsm.yaml(9,10)",
                "HSM1016 hsm.yaml(5,27)",
                "HSM1021 hsm-registry/libraries/langchain.yaml(3,32)",
            }, got);
        }
        finally { ModelKit.TryDelete(dir); }
    }

    [Fact]
    public void Registry_files_the_stack_does_not_need_are_not_parsed_by_a_build()
    {
        var dir = ModelKit.Project("base");
        try
        {
            File.WriteAllText(Path.Combine(dir, "hsm-registry/services/milvus.yaml"), "name: milvus\nsources: [\n");
            var (stack, d) = ModelKit.Resolve(dir);
            Assert.NotNull(stack);
            var (_, d2) = ModelKit.Resolve(dir, wholeRegistry: true);
            Assert.Contains(d2.Items, x => x.Code == Codes.YamlSyntax && x.Span.File == "hsm-registry/services/milvus.yaml");
        }
        finally { ModelKit.TryDelete(dir); }
    }
}
