namespace Hsm.Python;

/// <summary>
/// One library as hsm wants it in a pyproject.toml (design §5.1).
/// </summary>
/// <param name="Package">Distribution name (as written into the requirement).</param>
/// <param name="Requirement">PEP 508 string for [project].dependencies, e.g. <c>qdrant-adapter&gt;=1.0,&lt;2</c>.</param>
/// <param name="SourceTable">Single-line TOML inline table for [tool.uv.sources], or null (PyPI).</param>
public sealed record ManagedDependency(string Package, string Requirement, string? SourceTable);

/// <summary>
/// What hsm owns in one pyproject.toml; recorded in hsm.lock (design §5.5). Plain POCO, serialisable.
/// </summary>
public sealed class OwnedPyProject
{
    public List<OwnedEntry> Entries { get; set; } = new();

    /// <summary>
    /// Structures hsm had to create because the file lacked them, so they can be removed again when they
    /// become empty: <c>project</c> (a [project] table added to an existing file), <c>project.dependencies</c>
    /// (the dependencies key) and <c>tool.uv.sources</c> (a [tool.uv.sources] table appended at the end).
    /// A created structure is removed only while it holds nothing but what hsm wrote.
    /// </summary>
    public List<string> Created { get; set; } = new();

    /// <summary>True when hsm had to add a final newline before appending a created table at the end of the file.</summary>
    public bool AddedFinalNewline { get; set; }
}

public sealed class OwnedEntry
{
    /// <summary>Distribution name (compared after PEP 503 normalisation).</summary>
    public string Name { get; set; } = "";
    /// <summary>The requirement string hsm wrote into [project].dependencies.</summary>
    public string Requirement { get; set; } = "";
    /// <summary>The inline table hsm wrote into [tool.uv.sources], or null when it wrote none.</summary>
    public string? Source { get; set; }
    /// <summary>The user's requirement string hsm replaced (restored when the library is deselected).</summary>
    public string? TakenOverRequirement { get; set; }
    /// <summary>The TOML text of the user's source value hsm replaced or removed (restored on deselect).</summary>
    public string? TakenOverSource { get; set; }
}

public sealed record PyProjectEditResult(string? NewText, bool Changed, OwnedPyProject Owned);
