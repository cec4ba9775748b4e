using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Python;
using Xunit;
using static Hsm.Tests.Python.PyProjectTestSupport;

namespace Hsm.Tests.Python;

public class PyProjectEditorTests
{
    const string Base = "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n    \"requests>=2\",\n]\n";

    [SkippableFact]
    public void Takes_over_a_user_entry_and_its_source_and_restores_both_on_deselect()
    {
        var original = "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n    \"requests>=2\",\n    'Qdrant_Adapter>=0.5',  # mine\n]\n\n" +
                       "[tool.uv.sources]\nQdrant_Adapter = { git = \"https://github.com/me/qdrant-adapter.git\", branch = \"dev\" }\n";
        var bag = new DiagnosticBag();
        var r1 = Apply(original, new[] { Local }, null, bag);
        Assert.Equal(2, bag.Items.Count(d => d.Code == Codes.TakeOver && d.Severity == Severity.Warning));
        Assert.Contains(bag.Items, d => d.Code == Codes.TakeOver && d.Span.Line == 6 && d.Span.Column == 5 && d.Span.File == "pyproject.toml");
        Assert.Contains("    'qdrant-adapter',  # mine\n", r1.NewText);
        Assert.Contains("Qdrant_Adapter = { path = \"packages/qdrant-adapter\", editable = true }\n", r1.NewText);
        var e = Assert.Single(r1.Owned.Entries);
        Assert.Equal("Qdrant_Adapter>=0.5", e.TakenOverRequirement);
        Assert.Equal("{ git = \"https://github.com/me/qdrant-adapter.git\", branch = \"dev\" }", e.TakenOverSource);
        Assert.True(Check(r1.NewText!).Ok);

        // stays taken over on the next build, without new warnings
        var bag2 = new DiagnosticBag();
        var r2 = Apply(r1.NewText, new[] { Local }, r1.Owned, bag2);
        Assert.Empty(bag2.Items);
        Assert.False(r2.Changed);
        Assert.Equal("Qdrant_Adapter>=0.5", r2.Owned.Entries[0].TakenOverRequirement);

        // deselected: the user's text comes back byte for byte
        var r3 = Apply(r2.NewText, Array.Empty<ManagedDependency>(), r2.Owned, new DiagnosticBag());
        Assert.Equal(original, r3.NewText);
        Assert.Empty(r3.Owned.Entries);
    }

    [SkippableTheory]
    [InlineData("qdrant-adapter @ file:///home/me/src/qdrant-adapter")]
    [InlineData("qdrant_adapter @ git+https://github.com/org/qdrant-adapter.git@v0.9")]
    public void Takes_over_direct_references_written_by_the_original_tool(string direct)
    {
        var original = $"[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n    \"requests>=2\",\n    \"{direct}\",\n]\n";
        var bag = new DiagnosticBag();
        var r1 = Apply(original, new[] { Local }, null, bag);
        Assert.Contains(bag.Items, d => d.Code == Codes.TakeOver);
        Assert.DoesNotContain("@", r1.NewText);
        Assert.Contains("    \"qdrant-adapter\",\n", r1.NewText);
        Assert.Equal(direct, r1.Owned.Entries[0].TakenOverRequirement);
        Assert.True(Check(r1.NewText!).Ok, Check(r1.NewText!).Output);
        var r2 = Apply(r1.NewText, Array.Empty<ManagedDependency>(), r1.Owned, new DiagnosticBag());
        Assert.Equal(original, r2.NewText);
    }

    [SkippableFact]
    public void Owned_entry_edited_by_the_user_is_rewritten_with_a_warning()
    {
        var r1 = Apply(Base, new[] { Pypi, Local }, null, new DiagnosticBag());
        var edited = r1.NewText!.Replace("\"langchain-core[grpc]>=0.1,<2; python_version >= '3.10'\"", "\"langchain-core==0.0.1\"")
                                .Replace("editable = true }", "editable = false }");
        var bag = new DiagnosticBag();
        var r2 = Apply(edited, new[] { Pypi, Local }, r1.Owned, bag);
        Assert.Equal(2, bag.Items.Count(d => d.Code == Codes.OwnedEntryEdited && d.Severity == Severity.Warning));
        Assert.Equal(r1.NewText, r2.NewText);
        Assert.True(r2.Changed);
    }

    [SkippableFact]
    public void Changed_selection_rewrites_owned_entries_silently_and_pypi_drops_the_source()
    {
        var r1 = Apply(Base, new[] { Local }, null, new DiagnosticBag());
        var prod = new ManagedDependency("qdrant-adapter", "qdrant-adapter>=1.0,<2", null);
        var bag = new DiagnosticBag();
        var r2 = Apply(r1.NewText, new[] { prod }, r1.Owned, bag);
        Assert.Empty(bag.Items);
        Assert.Equal("[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n    \"requests>=2\",\n    \"qdrant-adapter>=1.0,<2\",\n]\n", r2.NewText);
        Assert.Null(r2.Owned.Entries[0].Source);
    }

    [SkippableFact]
    public void Deselect_removes_entries_and_sources_and_keeps_comment_lines()
    {
        var r1 = Apply(Base, Standard, null, new DiagnosticBag());
        // the user comments around hsm's entries
        var commented = r1.NewText!
            .Replace("    \"hsm-plugin\",\n", "    # plugins\n    \"hsm-plugin\",\n")
            .Replace("    \"qdrant-adapter\",\n", "    \"qdrant-adapter\",\n    # end of list\n")
            .Replace("[tool.uv.sources]\n", "[tool.uv.sources]\n# local checkouts\n");
        var r2 = Apply(commented, new[] { Pypi }, r1.Owned, new DiagnosticBag());
        Assert.Equal("[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n    \"requests>=2\",\n    # plugins\n" +
                     "    \"langchain-core[grpc]>=0.1,<2; python_version >= '3.10'\",\n    # end of list\n]\n\n[tool.uv.sources]\n# local checkouts\n", r2.NewText);
        Assert.True(Check(r2.NewText!).Ok);
        Assert.Single(r2.Owned.Entries);
    }

    [SkippableFact]
    public void Never_touches_optional_dependencies_or_dependency_groups()
    {
        var original = Base + "\n[project.optional-dependencies]\nq = [\"qdrant-adapter>=0.1\"]\n\n[dependency-groups]\ndev = [\"qdrant-adapter\"]\n";
        var bag = new DiagnosticBag();
        var r1 = Apply(original, new[] { Local }, null, bag);
        Assert.Empty(bag.Items);
        Assert.Contains("q = [\"qdrant-adapter>=0.1\"]\n", r1.NewText);
        Assert.Contains("dev = [\"qdrant-adapter\"]\n", r1.NewText);
        Assert.Equal(original, Apply(r1.NewText, Array.Empty<ManagedDependency>(), r1.Owned, new DiagnosticBag()).NewText);
    }

    [SkippableFact]
    public void Dynamic_dependencies_is_an_error()
    {
        var bag = new DiagnosticBag();
        var r = Apply("[project]\nname = \"app\"\ndynamic = [\"version\", \"dependencies\"]\n", new[] { Local }, null, bag);
        Assert.Null(r.NewText);
        var d = Assert.Single(bag.Items);
        Assert.Equal(Codes.DynamicDependencies, d.Code);
        Assert.Equal(Severity.Error, d.Severity);
        Assert.Equal(new Hsm.Diagnostics.SourceSpan("pyproject.toml", 3, 23), d.Span);
    }

    [SkippableFact]
    public void Syntax_error_is_reported_with_its_position()
    {
        var bag = new DiagnosticBag();
        var r = Apply("[project]\nname = \"app\nversion = \"0.1.0\"\n", new[] { Local }, null, bag);
        Assert.Null(r.NewText);
        Assert.False(r.Changed);
        var d = Assert.Single(bag.Items);
        Assert.Equal(Codes.PyProjectInvalid, d.Code);
        Assert.Equal(2, d.Span.Line);
        Assert.Equal(12, d.Span.Column);
    }

    [SkippableTheory]
    [InlineData("[", "]")]
    [InlineData("{ a = ", " }")]
    public void Values_nested_past_the_parsers_limit_are_invalid_toml_not_an_exception(string open, string close)
    {
        // Tomlyn throws past 64 levels; a pyproject.toml from a pull request must give an HSM error, not HSM9001.
        var deep = string.Concat(Enumerable.Repeat(open, 5000)) + "1" + string.Concat(Enumerable.Repeat(close, 5000));
        var bag = new DiagnosticBag();
        var r = Apply("[project]\nname = \"app\"\n[tool.x]\ny = " + deep + "\n", new[] { Local }, null, bag);
        Assert.Null(r.NewText);
        var d = Assert.Single(bag.Items);
        Assert.Equal(Codes.PyProjectInvalid, d.Code);
        Assert.Equal(Severity.Error, d.Severity);
        Assert.Contains("nested deeper than 64 levels", d.Message);
        Assert.True(PyProjectScan.Parse(deep, "x").HasErrors);
    }

    [SkippableFact]
    public void Missing_file_is_created_minimal_and_valid()
    {
        var bag = new DiagnosticBag();
        var r = Apply(null, Standard, null, bag, name: "My Rag_App", version: "not-a-version");
        Assert.Empty(bag.Items);
        Assert.True(r.Changed);
        Assert.Equal(
            "[project]\nname = \"my-rag-app\"\nversion = \"0.1.0\"\ndependencies = [\n    \"hsm-plugin\",\n" +
            "    \"langchain-core[grpc]>=0.1,<2; python_version >= '3.10'\",\n    \"qdrant-adapter\",\n]\n\n[tool.uv.sources]\n" +
            "hsm-plugin = { git = \"https://github.com/org/hsm-plugin.git\", tag = \"v1.0.0\", subdirectory = \"py\" }\n" +
            "qdrant-adapter = { path = \"packages/qdrant-adapter\", editable = true }\n", r.NewText);
        Assert.DoesNotContain("build-system", r.NewText);
        var (ok, output) = Check(r.NewText!);
        Assert.True(ok, output);
        Assert.Equal("version = \"2.0.0rc1\"", Apply(null, new[] { Pypi }, null, new DiagnosticBag(), version: "2.0.0rc1").NewText!.Split('\n')[2]);
    }

    [SkippableFact]
    public void Nothing_selected_and_nothing_owned_leaves_the_file_alone()
    {
        var garbage = "this is [not toml";
        var r = Apply(garbage, Array.Empty<ManagedDependency>(), null, new DiagnosticBag());
        Assert.Same(garbage, r.NewText);
        Assert.False(r.Changed);
        var missing = Apply(null, Array.Empty<ManagedDependency>(), null, new DiagnosticBag());
        Assert.Null(missing.NewText);
        Assert.False(missing.Changed);
        var ownedButMissing = Apply(null, Array.Empty<ManagedDependency>(), new OwnedPyProject { Entries = { new OwnedEntry { Name = "x", Requirement = "x" } } }, new DiagnosticBag());
        Assert.Null(ownedButMissing.NewText);
    }

    [SkippableFact]
    public void Package_names_needing_quotes_get_quoted_source_keys()
    {
        var dep = new ManagedDependency("zope.interface", "zope.interface", "{ path = \"packages/zope.interface\", editable = true }");
        var r = Apply(Base, new[] { dep }, null, new DiagnosticBag());
        Assert.Contains("\"zope.interface\" = { path = \"packages/zope.interface\", editable = true }\n", r.NewText);
        Assert.True(Check(r.NewText!, "packages/zope.interface").Ok);
        Assert.Equal(Base, Apply(r.NewText, Array.Empty<ManagedDependency>(), r.Owned, new DiagnosticBag()).NewText);
    }

    [SkippableFact]
    public void AbsolutizePathSources_rewrites_only_relative_paths()
    {
        var text = "[project]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"x\", \"y\", \"z\"]\n\n[tool.uv.sources]\n" +
                   "x = { path = \"packages/x\", editable = true }  # local\ny = { git = \"https://h/y.git\" }\nz = { path = \"/abs/z\" }\n" +
                   "[tool.other]\npath = \"keep\"\n";
        var abs = PyProjectEditor.AbsolutizePathSources(text, "/work/proj");
        Assert.Equal(text.Replace("\"packages/x\"", "\"/work/proj/packages/x\""), abs);
        var dotted = PyProjectEditor.AbsolutizePathSources("tool.uv.sources.x = { path = '../x' }\n", "/work/proj/sub");
        Assert.Equal("tool.uv.sources.x = { path = \"/work/proj/x\" }\n", dotted);
    }
}

public class RequirementsTests
{
    [SkippableTheory]
    [InlineData("Qdrant_Adapter", "qdrant-adapter")]
    [InlineData("zope.interface", "zope-interface")]
    [InlineData("A--B__c..d", "a-b-c-d")]
    public void NormalizeName_follows_pep503(string name, string expected) => Assert.Equal(expected, Requirements.NormalizeName(name));

    [SkippableTheory]
    [InlineData("qdrant-adapter>=1.0,<2", "qdrant-adapter")]
    [InlineData("qdrant-adapter[grpc]>=1; python_version >= '3.10'", "qdrant-adapter")]
    [InlineData("x @ file:///abs/x", "x")]
    [InlineData("my_lib@ git+https://github.com/o/my_lib.git@v1", "my_lib")]
    [InlineData("  rich (>=13,<14)", "rich")]
    [InlineData("bare", "bare")]
    [InlineData("-bad", null)]
    [InlineData("", null)]
    public void NameOf_reads_the_pep508_name(string req, string? expected) => Assert.Equal(expected, Hsm.Registry.Grammars.RequirementName(req));

    /// <summary>The hand-written name scanner (issue 16) reads what the regular expression read.</summary>
    [Theory]
    [InlineData("qdrant-adapter>=1.0,<2")]
    [InlineData("qdrant-adapter[grpc]>=1; python_version >= '3.10'")]
    [InlineData("x @ file:///abs/x")]
    [InlineData("  rich (>=13,<14)")]
    [InlineData("\u00a0\u2028\trich\u3000")]
    [InlineData("foo-")]
    [InlineData("foo-.bar")]
    [InlineData("foo-/")]
    [InlineData("foo..")]
    [InlineData("a")]
    [InlineData("a_")]
    [InlineData("a_ ;")]
    [InlineData("é")]
    [InlineData("ab\u0660")]
    [InlineData("  ")]
    [InlineData("-bad")]
    [InlineData("")]
    public void The_name_scanner_agrees_with_the_regex(string req) =>
        Assert.Equal(RequirementNameByRegex(req), Hsm.Registry.Grammars.RequirementName(req));

    /// <summary>The regular-expression form of Grammars.RequirementName (what it was before issue 16's scanner).</summary>
    private static string? RequirementNameByRegex(string requirement)
    {
        if (string.IsNullOrEmpty(requirement)) return null;
        var m = System.Text.RegularExpressions.Regex.Match(requirement, @"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        if (!m.Success) return null;
        int next = m.Index + m.Length;
        if (next < requirement.Length && !char.IsWhiteSpace(requirement[next]) && "[(<>=!~;@,".IndexOf(requirement[next]) < 0)
            return null;
        return m.Groups[1].Value;
    }

    static ResolvedLibrary Lib(LibrarySource s, string mode = "prod", string package = "") =>
        new() { Name = "qdrant-adapter", Package = package, Mode = mode, Source = s };

    [SkippableFact]
    public void FromLibrary_pypi_with_extras_and_markers()
    {
        var d = Requirements.FromLibrary(Lib(new LibrarySource { Type = "pypi", Version = ">=1.0,<2", Extras = new() { "grpc" }, Markers = "python_version >= '3.10'" }), null);
        Assert.Equal(new ManagedDependency("qdrant-adapter", "qdrant-adapter[grpc]>=1.0,<2; python_version >= '3.10'", null), d);
        Assert.Equal("qdrant-adapter==1.2", Requirements.FromLibrary(Lib(new LibrarySource { Type = "pypi", Version = "1.2" }), null).Requirement);
        Assert.Equal("qdrant-adapter", Requirements.FromLibrary(Lib(new LibrarySource { Type = "pypi" }), null).Requirement);
    }

    [SkippableFact]
    public void FromLibrary_git_and_local()
    {
        var git = Requirements.FromLibrary(Lib(new LibrarySource { Type = "git", Url = "https://github.com/org/q.git", RefKind = "tag", Ref = "v1.0.0", Subdirectory = "py" }, package: "qdrant_adapter"), null);
        Assert.Equal(new ManagedDependency("qdrant_adapter", "qdrant_adapter", "{ git = \"https://github.com/org/q.git\", tag = \"v1.0.0\", subdirectory = \"py\" }"), git);
        var rev = Requirements.FromLibrary(Lib(new LibrarySource { Type = "git", Url = "https://github.com/org/q.git", RefKind = "ref", Ref = "abc" }), null);
        Assert.Equal("{ git = \"https://github.com/org/q.git\", rev = \"abc\" }", rev.SourceTable);
        var local = Requirements.FromLibrary(Lib(new LibrarySource { Type = "local", Key = "dev", Path = "packages/x" }, mode: "dev"), "./packages\\qdrant-adapter");
        Assert.Equal("{ path = \"packages/qdrant-adapter\", editable = true }", local.SourceTable);
        var prodLocal = Requirements.FromLibrary(Lib(new LibrarySource { Type = "local", Path = "packages/x" }, mode: "prod"), "packages/x");
        Assert.Equal("{ path = \"packages/x\" }", prodLocal.SourceTable);
    }

    [SkippableTheory]
    [InlineData("0.1.0", true)]
    [InlineData("1!2.0.post1.dev3+local.1", true)]
    [InlineData("2.0.0rc1", true)]
    [InlineData("latest", false)]
    [InlineData("", false)]
    public void Pep440(string v, bool ok) => Assert.Equal(ok, Requirements.IsValidPep440(v));
}
