using System.Globalization;
using System.Text;
using Hsm.Diagnostics;
using Hsm.Model;
using Hsm.Registry;

namespace Hsm.Compose;

/// <summary>
/// Connection variables (design §5.3) and uv-runtime env files (§5.4), in the env-file format of §8.
/// Files produced:
/// <list type="bullet">
/// <item><c>.env.hsm</c> and <c>.env.hsm.local</c> whenever the stack has at least one service (even
/// when one of them ends up empty, so <c>--env-file .env.hsm.local</c> always finds its file); none
/// when no service is selected.</item>
/// <item><c>.env.&lt;service&gt;</c> for every managed uv-runtime service, even with no inline env.</item>
/// </list>
/// User env files are never read here: their values never reach a generated file.
/// </summary>
public static class EnvRenderer
{
    public const string ContainerFile = ".env.hsm";
    public const string LocalFile = ".env.hsm.local";

    public static SortedDictionary<string, string> Render(ResolvedStack stack, DiagnosticBag diagnostics)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var services = stack.Services.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        if (services.Count == 0) return files;

        var vars = new ConnectionVariables(diagnostics);
        foreach (var s in services)
        {
            if (s.ProfileMode == "external") vars.AddExternal(s);
            else vars.AddManaged(s);
        }

        files[ContainerFile] = Format(vars.Container.Select(kv => (kv.Key, kv.Value.Value)), ContainerFile, diagnostics);
        files[LocalFile] = Format(vars.Local.Select(kv => (kv.Key, kv.Value.Value)), LocalFile, diagnostics);

        foreach (var s in services.Where(s => s.ProfileMode == "managed" && s.Runtime == "uv"))
            files[".env." + s.Name] = Format(s.Environment.Select(kv => (kv.Key, kv.Value)), ".env." + s.Name, diagnostics);
        return files;
    }

    /// <summary>The connection variables of .env.hsm (on the Compose network) and .env.hsm.local (from this machine), with the service that set each.</summary>
    private sealed class ConnectionVariables(DiagnosticBag diagnostics)
    {
        // Hash tables: Format sorts the keys ordinally when it writes them, so a sorted map per insert is not needed.
        public Dictionary<string, (string Value, string Service)> Container { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, (string Value, string Service)> Local { get; } = new(StringComparer.Ordinal);

        private void Put(Dictionary<string, (string Value, string Service)> file, string fileName, ResolvedService s, string key, string value)
        {
            if (file.TryGetValue(key, out var other))
            {
                if (other.Service != s.Name)
                    diagnostics.Error(Codes.ConnectionVarClash, Span(s),
                        $"{fileName}: {key} is a connection variable of both '{other.Service}' and '{s.Name}'; rename a service or an external key");
                return;
            }
            file[key] = (value, s.Name);
        }

        public void AddExternal(ResolvedService s)
        {
            var prefix = VariablePrefix(s.Name);
            foreach (var kv in s.External ?? new SortedDictionary<string, string>(StringComparer.Ordinal))
            {
                var key = prefix + "_" + VariablePrefix(kv.Key);
                Put(Container, ContainerFile, s, key, kv.Value);
                Put(Local, LocalFile, s, key, kv.Value);
            }
            if (s.External is null || s.External.Count == 0)
                diagnostics.Message(Codes.ConnectionVarClash, Span(s), $"external service '{s.Name}' has no external map: no connection variables");
        }

        public void AddManaged(ResolvedService s)
        {
            var prefix = VariablePrefix(s.Name);
            var first = s.Ports.Count > 0 ? PortSpec.Parse(s.Ports[0]) : null;
            if (s.InCompose)
            {
                Put(Container, ContainerFile, s, prefix + "_HOST", s.Name);
                if (first?.ContainerStart is { } cp) Put(Container, ContainerFile, s, prefix + "_PORT", cp.ToString(CultureInfo.InvariantCulture));
                else if (first is not null && first.ContainerPortText.Length > 0) Put(Container, ContainerFile, s, prefix + "_PORT", first.ContainerPortText);
                else diagnostics.Message(Codes.ConnectionVarClash, Span(s), $"{ContainerFile}: no {prefix}_PORT: service '{s.Name}' declares no port");
            }
            else
            {
                diagnostics.Message(Codes.ConnectionVarClash, Span(s),
                    $"{ContainerFile}: no {prefix}_HOST/{prefix}_PORT: '{s.Name}' runs as a {s.Runtime} process on this machine, not on the Compose network");
            }

            // Published host port: HOST:CONTAINER, or a single number for a uv-runtime process.
            string? hostPort = first is null ? null
                : first.HostPortText is not null ? (first.HostStart?.ToString(CultureInfo.InvariantCulture) ?? first.HostPortText)
                : !s.InCompose ? first.ContainerPortText : null;
            if (hostPort is null)
            {
                diagnostics.Message(Codes.ConnectionVarClash, Span(s),
                    $"{LocalFile}: no {prefix}_HOST/{prefix}_PORT: service '{s.Name}' publishes no host port");
                return;
            }
            var host = first!.AllInterfaces ? "localhost" : first.HostIp!;
            Put(Local, LocalFile, s, prefix + "_HOST", host);
            Put(Local, LocalFile, s, prefix + "_PORT", hostPort);
        }
    }

    /// <summary>True when <c>.env.&lt;name&gt;</c> is a reserved file name (see <see cref="EnvNames.ReservedServiceNames"/>).</summary>
    public static bool IsReservedServiceName(string name) => EnvNames.IsReservedServiceName(name);

    /// <summary>
    /// True when hsm can generate a file of this name in the project directory: <c>.env.hsm</c>,
    /// <c>.env.hsm.local</c>, or <c>.env.&lt;service&gt;</c> for a valid, unreserved service name.
    /// </summary>
    public static bool IsGeneratedFileName(string fileName)
    {
        if (fileName is ContainerFile or LocalFile) return true;
        if (!fileName.StartsWith(".env.", StringComparison.Ordinal)) return false;
        var name = fileName[5..];
        return Registry.RegistryLoader.IsValidName(name) && !IsReservedServiceName(name);
    }

    static SourceSpan Span(ResolvedService s) => s.RegistryFile is null ? SourceSpan.None : new SourceSpan(s.RegistryFile, 0, 0);

    static string Format(IEnumerable<(string Key, string Value)> lines, string fileName, DiagnosticBag diagnostics)
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in lines.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            if (!IsValidKey(key))
            {
                diagnostics.Error(Codes.EnvFileProblem, SourceSpan.None, $"{fileName}: '{key}' cannot be written as an env-file variable name");
                continue;
            }
            sb.Append(FormatLine(key, value)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>A name both Compose's and uv's env-file readers accept (<see cref="EnvNames.IsValidKey"/>).</summary>
    public static bool IsValidKey(string key) => EnvNames.IsValidKey(key);

    /// <summary><c>&lt;SERVICE&gt;</c> of the connection variables: uppercased, every character but A-Z and 0-9 becomes '_'.</summary>
    public static string VariablePrefix(string serviceName)
    {
        var sb = new StringBuilder(serviceName.Length);
        foreach (var c in serviceName.ToUpperInvariant()) sb.Append(c is >= 'A' and <= 'Z' or >= '0' and <= '9' ? c : '_');
        return sb.ToString();
    }

    /// <summary>
    /// <c>KEY=VALUE</c> (design §8). The value is double-quoted when it holds whitespace, '#', a quote,
    /// a backslash or a '$' that does not start an interpolation; inside quotes '"' and '\' are
    /// escaped, line breaks are written \n / \r, and a literal '$' is \$. <c>${…}</c> and <c>$NAME</c>
    /// stay as they are; <c>$$</c> (Compose's escape for '$') becomes a literal \$.
    /// </summary>
    public static string FormatLine(string key, string value)
    {
        var needsQuotes = false;
        var body = new StringBuilder(value.Length + 4);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': body.Append("\\\""); needsQuotes = true; break;
                case '\\': body.Append("\\\\"); needsQuotes = true; break;
                case '\n': body.Append("\\n"); needsQuotes = true; break;
                case '\r': body.Append("\\r"); needsQuotes = true; break;
                case '#' or '\'': body.Append(c); needsQuotes = true; break;
                case '$':
                    var next = Interpolation.NextOf(value, i);
                    if (Interpolation.StartsAfterDollar(next)) body.Append('$');
                    else
                    {
                        body.Append("\\$"); needsQuotes = true;
                        if (next == '$') i++;
                    }
                    break;
                default:
                    if (char.IsWhiteSpace(c)) needsQuotes = true;
                    body.Append(c);
                    break;
            }
        }
        return needsQuotes ? $"{key}=\"{body}\"" : $"{key}={body}";
    }
}
