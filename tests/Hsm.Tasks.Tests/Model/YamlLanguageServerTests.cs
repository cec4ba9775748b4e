using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Hsm.Tests.Model;

/// <summary>
/// The real yaml-language-server (the engine of VS Code's YAML extension) over LSP on the quickstart, with the
/// sample's .vscode/settings.json `yaml.schemas` (its https $ids mapped onto docs/schemas, which hold the same
/// files): no diagnostics on the valid files, the right ones on broken files, completion of keys.
/// It installs itself with npm into a cache folder; without node/npm it fails on CI and returns early elsewhere.
/// </summary>
public sealed class YamlLanguageServerTests
{
    private const string Version = "1.25.0"; // the last release that runs on Node 20 (2.x needs Node 22.13)
    private static readonly string Sample = Path.Combine(SharedTools.RepoRoot, "samples", "quickstart");
    private static readonly string SchemaDir = Path.Combine(SharedTools.RepoRoot, "docs", "schemas");

    private static string Server()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hsm-yaml-language-server-" + Version);
        var main = Path.Combine(dir, "node_modules", "yaml-language-server", "bin", "yaml-language-server");
        if (File.Exists(main)) return main;
        string why;
        try
        {
            Directory.CreateDirectory(dir);
            var (code, output) = SharedTools.Run("npm", new[] { "install", "--prefix", dir, "--no-audit", "--no-fund", "--no-save", "yaml-language-server@" + Version }, dir, timeoutMs: 600_000);
            if (code == 0 && File.Exists(main)) return main;
            why = output;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or TimeoutException) { why = e.Message; }
        SharedTools.Require(false, "yaml-language-server (npm install failed: " + why.Trim() + ")");
        return main;
    }

    private static string Uri(string path) => new Uri(path).AbsoluteUri;

    private static JsonObject Settings()
    {
        var schemas = new JsonObject();
        foreach (var (url, globs) in SchemaTests.SampleSchemaMap())
        {
            Assert.StartsWith(SchemaTests.IdBase, url);
            schemas[Uri(Path.Combine(SchemaDir, url[SchemaTests.IdBase.Length..]))] = new JsonArray(globs.Select(g => (JsonNode)g).ToArray());
        }
        return new JsonObject
        {
            ["schemas"] = schemas, ["validate"] = true, ["completion"] = true, ["hover"] = true,
            ["schemaStore"] = new JsonObject { ["enable"] = false }, ["format"] = new JsonObject { ["enable"] = false },
        };
    }

    [SkippableFact]
    public void Sample_files_validate_broken_files_get_diagnostics_and_keys_complete()
    {
        var server = Server();
        using var lsp = new LspClient("node", server, "--stdio");
        var settings = Settings();
        lsp.Settings = settings;
        lsp.Request("initialize", new JsonObject
        {
            ["processId"] = Environment.ProcessId,
            ["rootUri"] = Uri(Sample),
            ["workspaceFolders"] = new JsonArray(new JsonObject { ["uri"] = Uri(Sample), ["name"] = "quickstart" }),
            ["capabilities"] = new JsonObject
            {
                ["workspace"] = new JsonObject { ["configuration"] = true },
                ["textDocument"] = new JsonObject { ["publishDiagnostics"] = new JsonObject(), ["completion"] = new JsonObject { ["completionItem"] = new JsonObject { ["snippetSupport"] = false } } },
            },
        });
        lsp.Notify("initialized", new JsonObject());
        lsp.Notify("workspace/didChangeConfiguration", new JsonObject { ["settings"] = new JsonObject { ["yaml"] = settings.DeepClone() } });

        // Valid: hsm.yaml and every registry file of the sample.
        var files = new[] { Path.Combine(Sample, "hsm.yaml") }
            .Concat(Directory.EnumerateFiles(Path.Combine(Sample, "hsm-registry"), "*.yaml", SearchOption.AllDirectories)).OrderBy(f => f, StringComparer.Ordinal).ToList();
        Assert.True(files.Count >= 8, string.Join(", ", files));
        foreach (var f in files)
        {
            var diags = lsp.Diagnostics(Uri(f), File.ReadAllText(f));
            Assert.True(diags.Count == 0, $"{f}: {string.Join("; ", diags.Select(d => d.ToJsonString()))}");
        }

        // Broken: (file, text, line of the expected diagnostic, a word of its message).
        var broken = new (string Rel, string Text, int Line, string Word)[]
        {
            ("hsm.yaml", "project:\n  name: x\n  colour: red\n", 2, "colour"),
            ("hsm.yaml", "project: {name: x}\nlibraries:\n  groups:\n    vector-db-client:\n      profile: gpu\n", 4, "profile"),
            ("hsm.yaml", "project: {name: x}\nmodes:\n  redis: develop\n", 2, ""),
            ("hsm-registry/libraries/broken.yaml", "name: broken\nsources:\n  prod: { type: pypi, version: \">>1.0\" }\n", 2, ""),
            ("hsm-registry/services/broken.yaml", "name: broken\ncompose:\n  restrat: always\n", 2, "restrat"),
            ("hsm-registry/library_groups/broken.yaml", "name: broken\nstrategy: 2-of-N\noptions: [a]\n", 1, ""),
        };
        foreach (var (rel, text, line, word) in broken)
        {
            var diags = lsp.Diagnostics(Uri(Path.Combine(Sample, "broken-" + Guid.NewGuid().ToString("N")[..6], rel)), text);
            Assert.True(diags.Any(d => d["range"]!["start"]!["line"]!.GetValue<int>() == line && d["message"]!.GetValue<string>().Contains(word, StringComparison.Ordinal)),
                $"{rel}: expected a diagnostic at line {line + 1} about '{word}', got: {string.Join("; ", diags.Select(d => d.ToJsonString()))}");
        }

        // Completion offers keys: top level of hsm.yaml, inside project:, top level of a service file (Compose keys under compose:).
        var completions = new (string Rel, string Text, int Line, int Col, string[] Expected)[]
        {
            ("hsm.yaml", "project:\n  name: x\n\n", 2, 0, new[] { "libraries", "services", "modes" }),
            ("hsm.yaml", "project:\n  name: x\n  \n", 2, 2, new[] { "version", "registry", "container_engine" }),
            ("hsm-registry/services/new.yaml", "name: new\n\n", 1, 0, new[] { "sources", "deployment_profiles", "compose", "healthcheck" }),
            ("hsm-registry/services/new.yaml", "name: new\ncompose:\n  \n", 2, 2, new[] { "restart", "environment" }),
        };
        foreach (var (rel, text, line, col, expected) in completions)
        {
            var uri = Uri(Path.Combine(Sample, "complete-" + Guid.NewGuid().ToString("N")[..6], rel));
            lsp.Diagnostics(uri, text);
            var result = lsp.Request("textDocument/completion", new JsonObject
            {
                ["textDocument"] = new JsonObject { ["uri"] = uri },
                ["position"] = new JsonObject { ["line"] = line, ["character"] = col },
            });
            var items = (result is JsonObject o ? o["items"] : result)?.AsArray() ?? new JsonArray();
            var labels = items.Select(i => i!["label"]!.GetValue<string>()).ToList();
            foreach (var e in expected) Assert.True(labels.Contains(e), $"{rel} ({line + 1},{col + 1}): no '{e}' among {string.Join(", ", labels)}");
        }
    }

    /// <summary>A minimal LSP client over stdio (Content-Length framing), answering the server's configuration requests.</summary>
    private sealed class LspClient : IDisposable
    {
        private readonly Process _p;
        private readonly Stream _in;
        private int _id;
        private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode?>> _pending = new();
        private readonly ConcurrentDictionary<string, BlockingCollection<JsonArray>> _diagnostics = new();
        private readonly StringBuilder _stderr = new();
        public JsonObject Settings { get; set; } = new();

        public LspClient(string file, params string[] args)
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            _p = Process.Start(psi)!;
            _in = _p.StandardInput.BaseStream;
            _p.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
            _p.BeginErrorReadLine();
            new Thread(ReadLoop) { IsBackground = true }.Start();
        }

        private BlockingCollection<JsonArray> Queue(string uri) => _diagnostics.GetOrAdd(uri, _ => new BlockingCollection<JsonArray>());

        private void Send(JsonObject msg)
        {
            msg["jsonrpc"] = "2.0";
            var body = Encoding.UTF8.GetBytes(msg.ToJsonString());
            lock (_in)
            {
                _in.Write(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"));
                _in.Write(body);
                _in.Flush();
            }
        }

        public JsonNode? Request(string method, JsonObject @params)
        {
            var id = Interlocked.Increment(ref _id);
            var tcs = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[id] = tcs;
            Send(new JsonObject { ["id"] = id, ["method"] = method, ["params"] = @params });
            if (!tcs.Task.Wait(TimeSpan.FromSeconds(120))) throw new TimeoutException($"no answer to {method}; server stderr:\n{Err}");
            return tcs.Task.Result;
        }

        public void Notify(string method, JsonObject @params) => Send(new JsonObject { ["method"] = method, ["params"] = @params });

        /// <summary>Opens a document and returns the diagnostics the server publishes for it.</summary>
        public List<JsonObject> Diagnostics(string uri, string text)
        {
            Notify("textDocument/didOpen", new JsonObject
            {
                ["textDocument"] = new JsonObject { ["uri"] = uri, ["languageId"] = "yaml", ["version"] = 1, ["text"] = text },
            });
            if (!Queue(uri).TryTake(out var diags, TimeSpan.FromSeconds(120))) throw new TimeoutException($"no diagnostics for {uri}; server stderr:\n{Err}");
            return diags.Select(d => d!.AsObject()).ToList();
        }

        private string Err { get { lock (_stderr) return _stderr.ToString(); } }

        private void ReadLoop()
        {
            var stream = _p.StandardOutput.BaseStream;
            try
            {
                while (true)
                {
                    int length = -1;
                    string? header;
                    while (!string.IsNullOrEmpty(header = ReadLine(stream)))
                        if (header.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(header[15..].Trim());
                    if (header is null || length < 0) return;
                    var buf = new byte[length];
                    int read = 0;
                    while (read < length) { var n = stream.Read(buf, read, length - read); if (n == 0) return; read += n; }
                    Handle(JsonNode.Parse(buf)!.AsObject());
                }
            }
            catch (IOException) { }
            catch (ObjectDisposedException) { }
        }

        private static string? ReadLine(Stream s)
        {
            var sb = new StringBuilder();
            int b;
            while ((b = s.ReadByte()) >= 0)
            {
                if (b == '\n') return sb.ToString().TrimEnd('\r');
                sb.Append((char)b);
            }
            return sb.Length == 0 ? null : sb.ToString();
        }

        private void Handle(JsonObject msg)
        {
            var method = msg["method"]?.GetValue<string>();
            if (method is null && msg["id"] is JsonValue idv && _pending.TryRemove(idv.GetValue<int>(), out var tcs))
            {
                if (msg["error"] is JsonNode err) tcs.SetException(new InvalidOperationException(err.ToJsonString()));
                else tcs.SetResult(msg["result"]?.DeepClone());
                return;
            }
            if (method == "textDocument/publishDiagnostics")
            {
                var p = msg["params"]!;
                Queue(p["uri"]!.GetValue<string>()).Add(p["diagnostics"]!.AsArray().DeepClone().AsArray());
                return;
            }
            if (msg["id"] is JsonNode id && method != null)
            {
                JsonNode? result = null;
                if (method == "workspace/configuration")
                    result = new JsonArray(msg["params"]!["items"]!.AsArray().Select(i => i?["section"]?.GetValue<string>() == "yaml" ? Settings.DeepClone() : null).ToArray());
                Send(new JsonObject { ["id"] = id.DeepClone(), ["result"] = result });
            }
        }

        public void Dispose()
        {
            try { Request("shutdown", new JsonObject()); Notify("exit", new JsonObject()); } catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException or AggregateException) { }
            if (!_p.WaitForExit(5000)) { try { _p.Kill(true); } catch (InvalidOperationException) { } }
            _p.Dispose();
        }
    }
}
