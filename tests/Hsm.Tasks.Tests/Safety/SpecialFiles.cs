using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Hsm.Diagnostics;
using Hsm.IO;
using Hsm.Model;
using Hsm.Staging;
using Hsm.Transaction;

#pragma warning disable CA1416 // Unix only: FIFOs, sockets and modes are what these tests are about

namespace Hsm.Tests.Safety;

/// <summary>Real special files for the tests (mkfifo, bound Unix sockets, links, read-only modes) and a snapshot that never opens them.</summary>
public static class SpecialFiles
{
    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    private static readonly ConcurrentDictionary<string, List<Socket>> Sockets = new();

    public static void MakeFifo(string path)
    {
        Clear(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (mkfifo(path, Convert.ToUInt32("644", 8)) != 0) throw new IOException($"mkfifo {path} failed ({Marshal.GetLastPInvokeError()})");
    }

    public static void MakeSocket(string root, string path)
    {
        Clear(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Bind(new UnixDomainSocketEndPoint(path));
        Sockets.GetOrAdd(Path.GetFullPath(root), _ => new()).Add(s);
    }

    private static void Clear(string path)
    {
        if (Directory.Exists(path) && !GuardedFile.IsSymlink(path)) Directory.Delete(path, true);
        else if (File.Exists(path) || GuardedFile.IsSymlink(path)) File.Delete(path);
    }

    private const UnixFileMode ReadOnlyFile = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode ReadOnlyDir = ReadOnlyFile | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Applies a corpus case's specials (fifo | socket | dir | symlink | readonly | readonly-dir) under <paramref name="root"/>.</summary>
    public static void Apply(string root, IEnumerable<(string Path, string Kind, string? Arg)> specials)
    {
        foreach (var (rel, kind, arg) in specials.Where(s => s.Kind != "readonly-dir").Concat(specials.Where(s => s.Kind == "readonly-dir")))
        {
            var full = Path.Combine(root, rel);
            switch (kind)
            {
                case "fifo": MakeFifo(full); break;
                case "socket": MakeSocket(root, full); break;
                case "dir": Clear(full); Directory.CreateDirectory(full); break;
                case "symlink": Clear(full); Directory.CreateDirectory(Path.GetDirectoryName(full)!); File.CreateSymbolicLink(full, arg!); break;
                case "readonly": File.SetUnixFileMode(full, ReadOnlyFile); break;
                case "readonly-dir": Directory.CreateDirectory(full); File.SetUnixFileMode(full, ReadOnlyDir); break;
                default: throw new InvalidOperationException($"unknown special '{kind}'");
            }
        }
    }

    /// <summary>Closes the sockets and makes every folder writable again, so the temp project can be deleted.</summary>
    public static void Restore(string root)
    {
        if (Sockets.TryRemove(Path.GetFullPath(root), out var list)) foreach (var s in list) s.Dispose();
        if (!Directory.Exists(root)) return;
        foreach (var d in Directory.EnumerateDirectories(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }).Prepend(root))
            if (!GuardedFile.IsSymlink(d)) File.SetUnixFileMode(d, File.GetUnixFileMode(d) | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.UserRead);
    }

    /// <summary>Every entry outside obj/ (links not followed, special files never opened): kind, mode, and bytes and time of regular files.</summary>
    public static Dictionary<string, string> Snapshot(string root)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (var full in Directory.EnumerateFileSystemEntries(root, "*", options))
        {
            var rel = Path.GetRelativePath(root, full).Replace('\\', '/');
            if (rel == "obj" || rel.StartsWith("obj/", StringComparison.Ordinal)) continue;
            string desc;
            if (GuardedFile.IsSymlink(full)) desc = "link -> " + new FileInfo(full).LinkTarget;
            else
            {
                var kind = GuardedFile.KindOf(full, followLinks: false);
                var mode = File.GetUnixFileMode(full);
                desc = kind == FileKind.Regular
                    ? $"file {mode} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(full)))[..16]} {File.GetLastWriteTimeUtc(full).Ticks}"
                    : $"{kind} {mode}";
            }
            result[rel] = desc;
        }
        return result;
    }

    /// <summary>HsmStage and HsmCommit in-process (uv and Compose validation off), as the tasks run them.</summary>
    public static StagePlan? StageAndCommit(string dir, ResolvedStack stack, DiagnosticBag d)
    {
        var obj = Path.Combine(dir, "obj", "hsm");
        var plan = Stager.Stage(ResolvedStack.FromJson(stack.ToJson()), new StageRequest
        {
            ProjectDirectory = dir,
            IntermediateDirectory = obj,
            PyProjectPath = Path.Combine(dir, "pyproject.toml"),
            ComposePath = Path.Combine(dir, "docker-compose.hsm.yml"),
            LockPath = Path.Combine(dir, "hsm.lock"),
            GeneratorVersion = "0.0.0-test",
        }, d);
        if (plan is null || d.HasErrors) return plan;
        Committer.Commit(plan, new SyncSettings
        {
            ProjectDirectory = dir, IntermediateDirectory = obj, PythonSync = "none", ComposeValidate = "false",
        }, CancellationToken.None, d, _ => { });
        return plan;
    }
}
