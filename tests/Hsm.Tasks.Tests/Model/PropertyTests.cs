using Xunit;

namespace Hsm.Tests.Model;

/// <summary>Order independence, fixed point and byte-identical output of resolution (design §4).</summary>
public class PropertyTests
{
    private static readonly string[] LibraryLines = { "    - my-auth-lib", "    - fastapi-app", "    - db-client" };
    private static readonly string[] ServiceLines = { "    - web-app", "    - ml-service" };
    private static readonly string[] GroupBlocks =
    {
        "    web-frameworks:\n      selection: fastapi\n",
        "    frontend-group:\n      selection: react\n",
    };

    private static string Manifest(IEnumerable<string> libs, IEnumerable<string> groups, IEnumerable<string> svcs, bool modesFirst) =>
        (modesFirst ? "modes:\n  redis: prod\n" : "") +
        "project:\n  name: six-implies\nlibraries:\n  standalone:\n" + string.Join("\n", libs) + "\n  groups:\n" + string.Concat(groups) +
        "services:\n  standalone:\n" + string.Join("\n", svcs) + "\n  groups:\n    db-group:\n      selection: postgres\n" +
        (modesFirst ? "" : "modes:\n  redis: prod\n");

    private static IEnumerable<IList<T>> Permutations<T>(IList<T> items)
    {
        if (items.Count <= 1) { yield return items; yield break; }
        for (int i = 0; i < items.Count; i++)
        {
            var rest = items.Where((_, j) => j != i).ToList();
            foreach (var p in Permutations(rest)) yield return new[] { items[i] }.Concat(p).ToList();
        }
    }

    [Fact]
    public void Selection_order_in_hsm_yaml_does_not_change_resolved_json()
    {
        var dir = ModelKit.Project("upstream/six");
        try
        {
            string? first = null;
            int runs = 0;
            foreach (var libs in Permutations(LibraryLines))
                foreach (var groups in Permutations(GroupBlocks))
                    foreach (var svcs in Permutations(ServiceLines))
                        foreach (var modesFirst in new[] { false, true })
                        {
                            File.WriteAllText(Path.Combine(dir, "hsm.yaml"), Manifest(libs, groups, svcs, modesFirst));
                            var (stack, d) = ModelKit.Resolve(dir);
                            Assert.False(d.HasErrors, ModelKit.Format(d.Items));
                            var json = stack!.ToJson();
                            first ??= json;
                            Assert.Equal(first, json);
                            runs++;
                        }
            Assert.Equal(6 * 2 * 2 * 2, runs);
        }
        finally { ModelKit.TryDelete(dir); }
    }

    [Fact]
    public void Option_order_in_registry_files_does_not_change_resolved_json()
    {
        var dir = ModelKit.Project("upstream/implicit");
        try
        {
            var (s1, _) = ModelKit.Resolve(dir);
            // swap the order of the implying libraries and of the params inside them
            File.WriteAllText(Path.Combine(dir, "hsm.yaml"), "project:\n  name: implicit-services\nlibraries:\n  standalone:\n    - billing-service\n    - auth-service\n");
            File.WriteAllText(Path.Combine(dir, "hsm-registry/libraries/auth-service.yaml"),
                "implies:\n  service:postgres:\n    params:\n      db_user: auth_admin\n      db_name: auth\nsources:\n  prod: { version: \">=1.0\", type: pypi }\nname: auth-service\n");
            var (s2, d) = ModelKit.Resolve(dir);
            Assert.False(d.HasErrors, ModelKit.Format(d.Items));
            Assert.Equal(s1!.ToJson(), s2!.ToJson());
        }
        finally { ModelKit.TryDelete(dir); }
    }

    [Fact]
    public void Same_inputs_give_byte_identical_resolved_json()
    {
        foreach (var fixture in new[] { "six", "canonical", "complex", "implicit", "quickstart" })
        {
            var a = ModelKit.Project("upstream/" + fixture);
            var b = ModelKit.Project("upstream/" + fixture);
            try
            {
                var j1 = ModelKit.Resolve(a).Stack!.ToJson();
                var j2 = ModelKit.Resolve(a).Stack!.ToJson();
                var j3 = ModelKit.Resolve(b).Stack!.ToJson(); // another directory: nothing machine-specific
                Assert.Equal(j1, j2);
                Assert.Equal(j1, j3);
                Assert.DoesNotContain(Path.GetTempPath().TrimEnd('/'), j1);
                Assert.Equal(j1, Hsm.Model.ResolvedStack.FromJson(j1).ToJson()); // round trip
            }
            finally { ModelKit.TryDelete(a); ModelKit.TryDelete(b); }
        }
    }

    [Fact]
    public void Implies_reach_a_fixed_point_through_chains_and_cycles()
    {
        var dir = ModelKit.Project("base");
        try
        {
            // chain: a -> service s1 -> library_group g1 option b -> service s2 -> service s1 (cycle back)
            void W(string p, string t) { Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, p))!); File.WriteAllText(Path.Combine(dir, p), t); }
            W("hsm-registry/libraries/chain-a.yaml", "sources:\n  prod: { type: pypi }\nimplies:\n  service:s1: { params: { k: a } }\n");
            W("hsm-registry/libraries/chain-b.yaml", "sources:\n  prod: { type: pypi }\nimplies:\n  service:s2: { params: { k: b } }\n");
            W("hsm-registry/library_groups/g1.yaml", "strategy: M-of-N\noptions:\n  - chain-b\n");
            W("hsm-registry/services/s1.yaml", "env: { K: \"${HSM_MERGED_PARAMS.k}\" }\nsources:\n  prod: { type: docker-image, image: s1 }\nimplies:\n  library_group:g1: chain-b\n");
            W("hsm-registry/services/s2.yaml", "env: { K: \"${HSM_MERGED_PARAMS.k}\" }\nsources:\n  prod: { type: docker-image, image: s2 }\nimplies:\n  service:s1: { params: { k: s2 } }\n");
            W("hsm.yaml", "project:\n  name: x\nlibraries:\n  standalone: [chain-a]\n");
            var (s, d) = ModelKit.Resolve(dir);
            Assert.False(d.HasErrors, ModelKit.Format(d.Items));
            Assert.Equal(new[] { "chain-a", "chain-b" }, s!.Libraries.Select(l => l.Name));
            Assert.Equal(new[] { "s1", "s2" }, s.Services.Select(x => x.Name));
            Assert.Equal("a,s2", s.Services[0].Environment["K"]);
            Assert.Equal("b", s.Services[1].Environment["K"]);
            // resolving again from the result's own selections adds nothing: it is a fixed point
            var again = ModelKit.Resolve(dir).Stack!;
            Assert.Equal(s.ToJson(), again.ToJson());
        }
        finally { ModelKit.TryDelete(dir); }
    }

    [Fact]
    public void Stack_report_is_a_readable_tree()
    {
        var dir = ModelKit.Project("upstream/six");
        try
        {
            var (s, _) = ModelKit.Resolve(dir);
            var tree = Hsm.Resolution.StackReport.Tree(s!);
            Assert.Contains("group server (1-of-N): uvicorn", tree);
            Assert.Contains("my-worker", tree);
            Assert.Contains("profile default (managed, uv)", tree);
            Assert.Contains("implies from library fastapi-app", tree);
        }
        finally { ModelKit.TryDelete(dir); }
    }
}
