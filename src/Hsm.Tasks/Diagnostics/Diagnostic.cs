namespace Hsm.Diagnostics;

public enum Severity { Error, Warning, Message }

/// <summary>A position in a file: 1-based line and column; 0 when unknown.</summary>
public readonly record struct SourceSpan(string? File, int Line, int Column, int EndLine = 0, int EndColumn = 0)
{
    public static readonly SourceSpan None = new(null, 0, 0);
    public override string ToString() => File is null ? "" : Line > 0 ? $"{File}({Line},{Column})" : File;
}

/// <summary>One problem a user can act on. Every code has a page docs/errors/HSMnnnn.md.</summary>
public sealed record Diagnostic(string Code, Severity Severity, string Message, SourceSpan Span)
{
    /// <summary>The message with its control and bidi characters made visible (<see cref="Printable.Text"/>): it quotes
    /// keys, values and tool output from files a pull request carries, which must not drive the reader's terminal.</summary>
    public string Message { get; init; } = Printable.Text(Message);

    public const string HelpBase = "https://github.com/hsm-sdk/hsm/blob/main/docs/errors/";
    public string HelpLink => HelpBase + Code + ".md";
    public override string ToString() => $"{Span}: {Severity.ToString().ToLowerInvariant()} {Code}: {Message}";
}

/// <summary>Collects every problem of a build so they are reported together.</summary>
public sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = new();
    public IReadOnlyList<Diagnostic> Items => _items;
    public bool HasErrors => ErrorCount > 0;
    public int ErrorCount { get; private set; }

    public void Add(Diagnostic d)
    {
        _items.Add(d);
        if (d.Severity == Severity.Error) ErrorCount++;
    }

    public void Error(string code, SourceSpan span, string message) => Add(new Diagnostic(code, Severity.Error, message, span));
    public void Warning(string code, SourceSpan span, string message) => Add(new Diagnostic(code, Severity.Warning, message, span));
    public void Message(string code, SourceSpan span, string message) => Add(new Diagnostic(code, Severity.Message, message, span));
    public void AddRange(IEnumerable<Diagnostic> items) { foreach (var d in items) Add(d); }
}

/// <summary>Thrown for a problem that stops the current step; carries its diagnostic.</summary>
public sealed class HsmException : Exception
{
    public Diagnostic Diagnostic { get; }
    public HsmException(Diagnostic d) : base(d.Message) => Diagnostic = d;
    public HsmException(string code, SourceSpan span, string message) : this(new Diagnostic(code, Severity.Error, message, span)) { }
}
