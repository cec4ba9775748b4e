using System.Globalization;
using System.Text;

namespace Hsm.Benchmarks;

/// <summary>What <see cref="StackGenerator.Generate"/> wrote, with the figures the benchmarks report.</summary>
/// <param name="Directory">The project directory (hsm.yaml, hsm-registry/, packages/, config/, pyproject.toml).</param>
/// <param name="SwitchGroup">A 1-of-N library group whose selection <see cref="StackGenerator.ToggleSelection"/> flips.</param>
public sealed record GeneratedStack(string Directory, int Components, int Libraries, int Services, int LibraryGroups, int ServiceGroups,
    int RegistryFiles, string SwitchGroup);

/// <summary>
/// A synthetic stack of N components (half libraries, half services), deterministic from a seed:
/// <list type="bullet">
/// <item>library groups of 2–10 options (1-of-N and M-of-N), about half the libraries, each paired
/// with a service group of the same size and strategy that nothing selects explicitly: option k of
/// the library group implies option k of the service group (and the library itself implies
/// <c>service:</c> that service with a param), the quickstart's client/server pattern;</item>
/// <item>independent service groups (explicit selections or registry defaults, some with a mode);</item>
/// <item>chains of 1–4 ungrouped services (<c>implies service:</c> with params, <c>depends_on</c> the
/// next link, <c>${HSM_MERGED_PARAMS.chain}</c> in the env), most listed as standalone services;</item>
/// <item>standalone libraries (some implying an option of an M-of-N group), and components left
/// unselected in the registry (so a build has files it need not read);</item>
/// <item>dev and prod sources everywhere (pypi/git and local paths for libraries, images and build
/// contexts for services), modes from <c>modes:</c>, group <c>mode</c> and standalone entries,
/// env files in config/, healthchecks, named volumes, unique host ports, external profiles.</item>
/// </list>
/// It writes hsm.yaml, the registry, the local package folders of every library's dev source (a
/// minimal pyproject.toml each), the build contexts of dev-built services, the env files and a root
/// pyproject.toml. The stack resolves without errors in every mode.
/// </summary>
public static class StackGenerator
{
    public const string SwitchMarker = "# bench-switch: ";

    private sealed class Lib
    {
        public int Id;
        public string Name = "";
        public int Group = -1;      // library group index, or -1
        public int Option;          // index in its group
        public int PairedService = -1;
        public bool Standalone;
        public string? StandaloneMode;
        public int ImpliesIntoGroup = -1; // an M-of-N library group (standalone libraries)
        public int ImpliesOption;
        public string? ModeOverride;
    }

    private sealed class Svc
    {
        public int Id;
        public string Name = "";
        public int Group = -1;
        public int Option;
        public bool Paired;          // member of a paired (implied-into) service group
        public int ChainNext = -1;   // implies service:<next> and depends_on it
        public bool ChainMember;     // receives the 'chain' param
        public bool Standalone;
        public string? Profile;
        public string? StandaloneMode;
        public bool HasEnvFile, HasHealthcheck, HasVolume, HasContainerName, HasCompose, HasExternalProfile, DevBuild, HasPorts;
        public string? ModeOverride;
    }

    private sealed class Group
    {
        public string Name = "";
        public bool Many;
        public List<int> Members = new();
        public int PairedWith = -1;           // library group → service group
        public bool Paired;                   // service group implied into
        public List<int>? Default;            // option indexes
        public List<int>? Selection;          // option indexes (null: default / implies)
        public string? Mode;
        public bool Listed = true;
    }

    public static GeneratedStack Generate(string dir, int n, int seed)
    {
        if (n < 4) throw new ArgumentOutOfRangeException(nameof(n), "at least 4 components");
        var rng = new Random(seed);
        int nl = n / 2, ns = n - nl;
        var libs = Enumerable.Range(0, nl).Select(i => new Lib { Id = i, Name = $"lib-{i:D5}" }).ToList();
        var svcs = Enumerable.Range(0, ns).Select(i => new Svc { Id = i, Name = $"svc-{i:D5}" }).ToList();
        var lgroups = new List<Group>();
        var sgroups = new List<Group>();

        // ---- library groups (about half the libraries), each paired with a service group ----
        int li = 0, si = 0;
        while (li < nl / 2 && si < ns / 2)
        {
            int size = Math.Min(rng.Next(2, 11), Math.Min(nl / 2 - li, ns / 2 - si));
            if (size < 2) break;
            bool many = rng.Next(10) < 4;
            var lg = new Group { Name = $"lgrp-{lgroups.Count:D4}", Many = many };
            var sg = new Group { Name = $"sgrp-{sgroups.Count:D4}", Many = many, Paired = true };
            for (int k = 0; k < size; k++)
            {
                var l = libs[li++]; var s = svcs[si++];
                l.Group = lgroups.Count; l.Option = k; l.PairedService = s.Id;
                s.Group = sgroups.Count; s.Option = k; s.Paired = true;
                lg.Members.Add(l.Id); sg.Members.Add(s.Id);
            }
            lg.PairedWith = sgroups.Count;
            // selection: explicit, or the registry default
            if (!many)
            {
                if (rng.Next(10) < 6) lg.Selection = new() { rng.Next(size) };
                else lg.Default = new() { rng.Next(size) };
            }
            else
            {
                var subset = Subset(rng, size);
                if (rng.Next(10) < 6) lg.Selection = subset; else lg.Default = subset;
            }
            if (rng.Next(10) < 2) lg.Mode = "dev";
            if (rng.Next(10) < 5) sg.Listed = true; else sg.Listed = false; // implied groups need no entry
            if (rng.Next(10) < 2) sg.Mode = "dev";
            lgroups.Add(lg); sgroups.Add(sg);
        }

        // the selection change of the benchmarks needs a 1-of-N library group with an explicit selection
        if (!lgroups.Any(g => !g.Many && g.Selection != null) && lgroups.Count > 0)
        {
            var g0 = lgroups[0];
            g0.Many = false; g0.Selection = new() { 0 }; g0.Default = null;
            sgroups[g0.PairedWith].Many = false;
        }

        // ---- independent service groups (about a fifth of the services) ----
        int sgEnd = si + ns / 5;
        while (si < sgEnd)
        {
            int size = Math.Min(rng.Next(2, 11), sgEnd - si);
            if (size < 2) break;
            bool many = rng.Next(10) < 4;
            var g = new Group { Name = $"sgrp-{sgroups.Count:D4}", Many = many };
            for (int k = 0; k < size; k++) { var s = svcs[si++]; s.Group = sgroups.Count; s.Option = k; g.Members.Add(s.Id); }
            var sel = many ? Subset(rng, size) : new List<int> { rng.Next(size) };
            if (rng.Next(10) < 6) g.Selection = sel; else g.Default = sel;
            if (rng.Next(10) < 2) g.Mode = "dev";
            sgroups.Add(g);
        }

        // ---- ungrouped services: chains of 1-4, most heads listed standalone ----
        while (si < ns)
        {
            int len = Math.Min(rng.Next(1, 5), ns - si);
            var chain = Enumerable.Range(si, len).Select(i => svcs[i]).ToList();
            si += len;
            for (int k = 0; k < chain.Count; k++)
            {
                if (k + 1 < chain.Count) chain[k].ChainNext = chain[k + 1].Id;
                if (k > 0) chain[k].ChainMember = true;
            }
            if (rng.Next(10) < 7)
            {
                var head = chain[0];
                head.Standalone = true;
                int r = rng.Next(10);
                if (r < 2) head.StandaloneMode = "dev"; else if (r < 4) head.StandaloneMode = "prod";
            }
        }

        // ---- ungrouped libraries: half standalone, a few implying into M-of-N groups ----
        var manyGroups = lgroups.Select((g, i) => (g, i)).Where(x => x.g.Many).Select(x => x.i).ToList();
        for (int i = li; i < nl; i++)
        {
            var l = libs[i];
            if (rng.Next(2) == 0) continue;
            l.Standalone = true;
            int r = rng.Next(10);
            if (r < 2) l.StandaloneMode = "dev"; else if (r < 3) l.StandaloneMode = "prod";
            if (manyGroups.Count > 0 && rng.Next(10) < 2)
            {
                l.ImpliesIntoGroup = manyGroups[rng.Next(manyGroups.Count)];
                l.ImpliesOption = rng.Next(lgroups[l.ImpliesIntoGroup].Members.Count);
            }
        }

        // ---- per-service features; per-component modes ----
        int port = 20000;
        foreach (var s in svcs)
        {
            s.HasPorts = rng.Next(10) < 8;
            s.HasEnvFile = rng.Next(10) < 3;
            s.HasHealthcheck = rng.Next(10) < 5;
            s.HasVolume = rng.Next(10) < 4;
            s.HasContainerName = rng.Next(10) < 1;
            s.HasCompose = rng.Next(10) < 3;
            s.DevBuild = rng.Next(10) < 2;
            // external profiles only where nothing depends on the service being a container
            s.HasExternalProfile = rng.Next(10) < 2;
            if (s.Standalone && s.HasExternalProfile && rng.Next(10) < 3) s.Profile = "external-prod";
            if (rng.Next(100) < 5) s.ModeOverride = rng.Next(2) == 0 ? "dev" : "prod";
        }
        foreach (var l in libs)
            if (rng.Next(100) < 5) l.ModeOverride = rng.Next(2) == 0 ? "dev" : "prod";

        // the switch for "rebuild after one selection change": a 1-of-N library group with an explicit selection
        var switchGroup = lgroups.FirstOrDefault(g => !g.Many && g.Selection != null) ?? throw new InvalidOperationException("no 1-of-N library group with a selection; use a larger N");

        // ---- write ----
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        var reg = Path.Combine(dir, "hsm-registry");
        foreach (var sub in new[] { "libraries", "services", "library_groups", "service_groups" }) Directory.CreateDirectory(Path.Combine(reg, sub));
        int files = 0;
        void Write(string rel, string text)
        {
            var path = Path.Combine(dir, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text, new UTF8Encoding(false));
        }

        foreach (var l in libs)
        {
            var sb = new StringBuilder();
            sb.Append("name: ").Append(l.Name).Append('\n');
            sb.Append("version: 1.0.").Append(l.Id % 50).Append('\n');
            sb.Append("description: Synthetic library ").Append(l.Id).Append('\n');
            sb.Append("sources:\n");
            if (l.Id % 7 == 3)
                sb.Append("  prod: { type: git, url: https://git.example.invalid/org/").Append(l.Name).Append(".git, tag: v1.").Append(l.Id % 9).Append(".0 }\n");
            else if (l.Id % 11 == 5)
                sb.Append("  prod: { type: pypi, version: \">=1.").Append(l.Id % 10).Append(",<2\", extras: [fast], markers: \"python_version >= '3.10'\" }\n");
            else
                sb.Append("  prod: { type: pypi, version: \">=1.").Append(l.Id % 10).Append(",<2\" }\n");
            sb.Append("  dev: { type: local, path: packages/").Append(l.Name).Append(", editable: true }\n");
            if (l.PairedService >= 0 || l.ImpliesIntoGroup >= 0)
            {
                sb.Append("implies:\n");
                if (l.PairedService >= 0)
                    sb.Append("  service:").Append(svcs[l.PairedService].Name).Append(":\n    params: { collection: ").Append(l.Name).Append(" }\n");
                if (l.ImpliesIntoGroup >= 0)
                {
                    var g = lgroups[l.ImpliesIntoGroup];
                    sb.Append("  library_group:").Append(g.Name).Append(": ").Append(libs[g.Members[l.ImpliesOption]].Name).Append('\n');
                }
            }
            if (l.Group >= 0 && !lgroups[l.Group].Many)
            {
                var siblings = lgroups[l.Group].Members.Where(m => m != l.Id).Select(m => libs[m].Name).ToList();
                sb.Append("conflicts: [").Append(string.Join(", ", siblings)).Append("]\n");
            }
            Write($"hsm-registry/libraries/{l.Name}.yaml", sb.ToString()); files++;
            Write($"packages/{l.Name}/pyproject.toml",
                $"[project]\nname = \"{l.Name}\"\nversion = \"1.0.0\"\nrequires-python = \">=3.10\"\ndependencies = []\n\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n");
        }

        foreach (var s in svcs)
        {
            var sb = new StringBuilder();
            sb.Append("name: ").Append(s.Name).Append('\n');
            sb.Append("description: Synthetic service ").Append(s.Id).Append('\n');
            if (s.HasContainerName) sb.Append("container_name: ").Append(s.Name).Append("-ctr\n");
            if (s.Id % 5 == 0) sb.Append("network_aliases: [").Append(s.Name).Append("-alias]\n");
            if (s.HasPorts) sb.Append("ports: [\"").Append(port++).Append(':').Append(8000 + s.Id % 1000).Append("\"]\n");
            if (s.HasVolume) sb.Append("volumes: [\"").Append(s.Name).Append("_data:/var/lib/data\"]\n");
            sb.Append("env:\n  LOG_LEVEL: INFO\n  SERVICE_ID: \"").Append(s.Id).Append("\"\n");
            if (s.Paired) sb.Append("  COLLECTION: \"${HSM_MERGED_PARAMS.collection}\"\n");
            if (s.ChainMember) sb.Append("  CHAIN: \"${HSM_MERGED_PARAMS.chain}\"\n");
            if (s.HasEnvFile) sb.Append("env_file: config/").Append(s.Name).Append(".env\n");
            if (s.ChainNext >= 0) sb.Append("depends_on: [").Append(svcs[s.ChainNext].Name).Append("]\n");
            if (s.HasHealthcheck)
                sb.Append("healthcheck:\n  test: [\"CMD\", \"wget\", \"-qO-\", \"http://localhost:").Append(8000 + s.Id % 1000).Append("/health\"]\n  interval: 5s\n  retries: 10\n");
            if (s.Id % 3 == 0) sb.Append("command: [\"serve\", \"--id\", \"").Append(s.Id).Append("\"]\n");
            if (s.HasCompose) sb.Append("compose: { restart: unless-stopped }\n");
            sb.Append("sources:\n");
            sb.Append("  prod: { type: docker-image, image: \"registry.example.invalid/org/").Append(s.Name).Append(":1.").Append(s.Id % 20).Append(".0\" }\n");
            if (s.DevBuild)
            {
                sb.Append("  dev:\n    type: build\n    path: containers/").Append(s.Name).Append("\n    dockerfile: Dockerfile\n    env: { LOG_LEVEL: DEBUG }\n");
                Write($"containers/{s.Name}/Dockerfile", "FROM alpine:3.20\nCMD [\"sleep\", \"infinity\"]\n");
            }
            else
                sb.Append("  dev:\n    type: docker-image\n    image: \"registry.example.invalid/org/").Append(s.Name).Append(":dev\"\n    env: { LOG_LEVEL: DEBUG }\n");
            sb.Append("deployment_profiles:\n  default: { mode: managed, runtime: docker }\n");
            if (s.HasExternalProfile)
                sb.Append("  external-prod: { mode: external, external: { host: ").Append(s.Name).Append(".internal.example, port: ").Append(9000 + s.Id % 1000).Append(" } }\n");
            if (s.ChainNext >= 0)
                sb.Append("implies:\n  service:").Append(svcs[s.ChainNext].Name).Append(":\n    params: { chain: ").Append(s.Name).Append(" }\n");
            Write($"hsm-registry/services/{s.Name}.yaml", sb.ToString()); files++;
            if (s.HasEnvFile)
                Write($"config/{s.Name}.env", $"# user settings of {s.Name} (referenced, never copied)\n{Upper(s.Name)}_TOKEN=secret-{s.Id}\n{Upper(s.Name)}_OPTS=\"--fast --id {s.Id}\"\n");
        }

        foreach (var (g, gi) in lgroups.Select((g, i) => (g, i)))
        {
            var sg = sgroups[g.PairedWith];
            var sb = new StringBuilder();
            sb.Append("name: ").Append(g.Name).Append("\ntype: library_group\nstrategy: ").Append(g.Many ? "M-of-N" : "1-of-N").Append('\n');
            sb.Append("comment: Synthetic library group ").Append(gi).Append('\n');
            if (g.Default != null) sb.Append("default: ").Append(NameList(g.Default.Select(k => libs[g.Members[k]].Name), g.Many)).Append('\n');
            sb.Append("options:\n");
            for (int k = 0; k < g.Members.Count; k++)
            {
                sb.Append("  - name: ").Append(libs[g.Members[k]].Name).Append("\n    description: Option ").Append(k).Append('\n');
                sb.Append("    implies:\n      service_group:").Append(sg.Name).Append(": ").Append(svcs[sg.Members[k]].Name).Append('\n');
            }
            Write($"hsm-registry/library_groups/{g.Name}.yaml", sb.ToString()); files++;
        }
        foreach (var (g, gi) in sgroups.Select((g, i) => (g, i)))
        {
            var sb = new StringBuilder();
            sb.Append("name: ").Append(g.Name).Append("\ntype: service_group\nstrategy: ").Append(g.Many ? "M-of-N" : "1-of-N").Append('\n');
            sb.Append("comment: Synthetic service group ").Append(gi).Append('\n');
            if (g.Default != null) sb.Append("default: ").Append(NameList(g.Default.Select(k => svcs[g.Members[k]].Name), g.Many)).Append('\n');
            sb.Append("options:\n");
            foreach (var m in g.Members) sb.Append("  - name: ").Append(svcs[m].Name).Append('\n');
            Write($"hsm-registry/service_groups/{g.Name}.yaml", sb.ToString()); files++;
        }

        // ---- hsm.yaml ----
        var y = new StringBuilder();
        y.Append("# Synthetic stack: ").Append(n).Append(" components, seed ").Append(seed).Append(" (tests/Hsm.Benchmarks/StackGenerator.cs)\n");
        y.Append("project:\n  name: bench-stack\n  version: 0.1.0\n  container_engine: docker\n\n");
        y.Append("libraries:\n  package_manager: uv\n  groups:\n");
        foreach (var g in lgroups)
        {
            y.Append("    ").Append(g.Name).Append(":\n      strategy: ").Append(g.Many ? "M-of-N" : "1-of-N").Append('\n');
            if (g.Selection != null)
            {
                y.Append("      selection: ").Append(NameList(g.Selection.Select(k => libs[g.Members[k]].Name), g.Many));
                if (g == switchGroup)
                {
                    var other = libs[g.Members[(g.Selection[0] + 1) % g.Members.Count]].Name;
                    y.Append("   ").Append(SwitchMarker).Append(other);
                }
                y.Append('\n');
            }
            else y.Append("      selection: null\n");
            if (g.Mode != null) y.Append("      mode: ").Append(g.Mode).Append('\n');
        }
        var standaloneLibs = libs.Where(l => l.Standalone).ToList();
        if (standaloneLibs.Count > 0)
        {
            y.Append("  standalone:\n");
            foreach (var l in standaloneLibs)
            {
                if (l.StandaloneMode is null) y.Append("    - ").Append(l.Name).Append('\n');
                else y.Append("    - { name: ").Append(l.Name).Append(", mode: ").Append(l.StandaloneMode).Append(" }\n");
            }
        }
        y.Append("\nservices:\n  groups:\n");
        foreach (var g in sgroups.Where(g => g.Listed))
        {
            y.Append("    ").Append(g.Name).Append(":\n      strategy: ").Append(g.Many ? "M-of-N" : "1-of-N").Append('\n');
            if (g.Selection != null) y.Append("      selection: ").Append(NameList(g.Selection.Select(k => svcs[g.Members[k]].Name), g.Many)).Append('\n');
            if (g.Mode != null) y.Append("      mode: ").Append(g.Mode).Append('\n');
            y.Append("      profile: default\n");
        }
        var standaloneSvcs = svcs.Where(s => s.Standalone).ToList();
        if (standaloneSvcs.Count > 0)
        {
            y.Append("  standalone:\n");
            foreach (var s in standaloneSvcs)
            {
                var parts = new List<string> { "name: " + s.Name };
                if (s.StandaloneMode != null) parts.Add("mode: " + s.StandaloneMode);
                if (s.Profile != null) parts.Add("profile: " + s.Profile);
                y.Append("    - { ").Append(string.Join(", ", parts)).Append(" }\n");
            }
        }
        var modes = libs.Where(l => l.ModeOverride != null).Select(l => (l.Name, l.ModeOverride!))
            .Concat(svcs.Where(s => s.ModeOverride != null).Select(s => (s.Name, s.ModeOverride!))).ToList();
        if (modes.Count > 0)
        {
            y.Append("\nmodes:\n");
            foreach (var (name, mode) in modes) y.Append("  ").Append(name).Append(": ").Append(mode).Append('\n');
        }
        Write("hsm.yaml", y.ToString());

        Write("pyproject.toml",
            "[project]\nname = \"bench-stack\"\nversion = \"0.1.0\"\ndescription = \"A synthetic stack managed by Hsm.Sdk\"\nrequires-python = \">=3.10\"\n" +
            "# The user's own dependencies: hsm adds and removes only the entries it owns (hsm.lock).\n" +
            "dependencies = [\n    \"httpx>=0.27\",  # HTTP client\n]\n\n[dependency-groups]\ndev = [\"pytest>=8\"]\n");

        return new GeneratedStack(dir, n, nl, ns, lgroups.Count, sgroups.Count, files, switchGroup.Name);
    }

    /// <summary>Flips the marked selection of hsm.yaml to its alternative (and back on the next call). Returns the new selection.</summary>
    public static string ToggleSelection(string dir)
    {
        var path = Path.Combine(dir, "hsm.yaml");
        var lines = File.ReadAllText(path).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var m = lines[i].IndexOf(SwitchMarker, StringComparison.Ordinal);
            if (m < 0) continue;
            var other = lines[i][(m + SwitchMarker.Length)..].Trim();
            var sel = lines[i].IndexOf("selection: ", StringComparison.Ordinal);
            var current = lines[i][(sel + "selection: ".Length)..m].Trim();
            lines[i] = lines[i][..sel] + "selection: " + other + "   " + SwitchMarker + current;
            File.WriteAllText(path, string.Join('\n', lines), new UTF8Encoding(false));
            return other;
        }
        throw new InvalidOperationException($"no '{SwitchMarker}' line in {path}");
    }

    private static List<int> Subset(Random rng, int size)
    {
        int count = rng.Next(1, size);
        return Enumerable.Range(0, size).OrderBy(_ => rng.Next()).Take(count).OrderBy(x => x).ToList();
    }

    private static string NameList(IEnumerable<string> names, bool list) =>
        list ? "[" + string.Join(", ", names) + "]" : names.Single();

    private static string Upper(string name) => name.ToUpperInvariant().Replace('-', '_');
}
