using Hsm.Diagnostics;
using Hsm.Pipeline;
using Xunit;

namespace Hsm.Tests.Pipeline;

/// <summary>The façade's resolve step as every caller meets it (tasks, command line, benchmarks).</summary>
public sealed class HsmPipelineTests
{
    [Fact]
    public void A_pre_flight_problem_is_reported_at_the_line_of_its_registry_key()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hsm-pipeline-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "hsm-registry", "services"));
        try
        {
            File.WriteAllText(Path.Combine(dir, "hsm.yaml"), "project:\n  name: p\nservices:\n  standalone: [a, b]\n");
            // Two services of the stack publish the same host port: only the pre-flight sees both.
            foreach (var n in new[] { "a", "b" })
                File.WriteAllText(Path.Combine(dir, "hsm-registry", "services", n + ".yaml"),
                    $"name: {n}\ndescription: x\nsources:\n  prod:\n    type: docker-image\n    image: redis:7\nports: [\"8080:80\"]\n");
            var pipeline = new HsmPipeline(new PipelineContext { ProjectDirectory = dir, IntermediateDirectory = Path.Combine(dir, "obj", "hsm") });
            var d = new DiagnosticBag();
            var result = pipeline.Resolve(new ResolveInputs { ManifestPath = Path.Combine(dir, "hsm.yaml") }, d);
            Assert.Null(result.Stack);
            var e = Assert.Single(d.Items, x => x.Code == Codes.DuplicatePort);
            Assert.Equal(7, e.Span.Line); // the ports: line of a registry file, not the file alone (line 0)
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
