using Hsm.Diagnostics;
using Hsm.Paths;
using Hsm.Yaml;

namespace Hsm.Registry;

/// <summary>
/// The files a registry's <c>compose:</c> block would make Compose read (design §9): the block is passed
/// through, so a key that names a file would bypass every check hsm makes of the service's own fields.
/// <c>extends</c> (a service from a file hsm never reads: its paths and risky settings unseen),
/// <c>env_file</c> (hsm's own field checks the file and keeps its values out of logs) and
/// <c>label_file</c> are refused; the paths of <c>build</c> (context, dockerfile, additional contexts)
/// must be relative, as everything in the committed Compose file is.
/// </summary>
public static class ComposeBlock
{
    /// <summary>Reports the keys of <paramref name="compose"/> that read files hsm does not check.</summary>
    public static void Check(YMapping compose, string service, DiagnosticBag d)
    {
        foreach (var (k, v) in compose.Entries)
        {
            var why = k.Value switch
            {
                "extends" => "it merges in a service from another file, whose paths and risky settings hsm never sees; write its keys under compose: instead",
                "env_file" => "use the service's own env_file field, which hsm checks (a regular file, relative to the project) and never quotes in a log",
                "label_file" => "it reads a file hsm never checks; write the labels under compose.labels instead",
                _ => null,
            };
            if (why != null)
                d.Error(Codes.ComposeFileKey, k.Span, $"service '{service}': 'compose.{k.Value}' is not passed through: {why}.");
            else if (k.Value == "build")
                CheckBuildPaths(v, service, d);
            else if (k.Value == "ports" && v is YSequence ports) // the short syntax, as the service's own ports are checked
                foreach (var p in ports.Items.OfType<YScalar>().Where(p => !p.IsNull))
                    if (Grammars.CheckPort(p.Value) is { } bad)
                        d.Error(Codes.InvalidPort, p.Span, $"'compose.ports: {p.Value}' is not valid: {bad}.");
        }
    }

    static void CheckBuildPaths(YNode build, string service, DiagnosticBag d)
    {
        if (build is YScalar context) Relative(context, "build", service, d);
        if (build is not YMapping m) return;
        if (m["context"] is YScalar c) Relative(c, "build.context", service, d);
        if (m["dockerfile"] is YScalar f) Relative(f, "build.dockerfile", service, d);
        if (m["additional_contexts"] is YMapping extra)
            foreach (var (name, value) in extra.Entries)
                if (value is YScalar s) Relative(s, $"build.additional_contexts.{name.Value}", service, d);
    }

    static void Relative(YScalar path, string key, string service, DiagnosticBag d)
    {
        if (path.IsNull) return;
        var p = Interpolation.AsIfUnset(path.Value.Trim());
        if (ProjectPaths.IsAbsolute(p) || p == "~" || p.StartsWith("~/", StringComparison.Ordinal))
            d.Error(Codes.NoRelativePath, path.Span,
                $"service '{service}': 'compose.{key}: {path.Value}' is an absolute path; the Compose file is committed, so it must be relative to the project (or use a source of type build)");
    }
}
