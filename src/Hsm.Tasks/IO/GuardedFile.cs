using System.Runtime.InteropServices;

namespace Hsm.IO;

/// <summary>What is at a path (symbolic links followed unless asked otherwise).</summary>
public enum FileKind { Missing, Regular, Directory, Fifo, Socket, CharDevice, BlockDevice, Other }

/// <summary>The outcome of <see cref="GuardedFile.Read"/>.</summary>
/// <param name="Kind">What is at the path; the bytes were read only when it is <see cref="FileKind.Regular"/>.</param>
/// <param name="Bytes">The content, or null (missing, not a regular file, too large, or an IO error).</param>
/// <param name="Size">The file's size when it is larger than the limit, else 0.</param>
/// <param name="Error">The IO error's message when opening or reading failed.</param>
public readonly record struct GuardedRead(FileKind Kind, byte[]? Bytes, long Size, string? Error)
{
    public bool TooLarge => Size > 0 && Bytes is null;
}

/// <summary>
/// The one way hsm opens a file a user named (design §9 "Non-regular files"): hsm.yaml, registry files,
/// env files, pyproject.toml and every artifact it replaces. The file type is checked with stat(2)
/// <b>before</b> anything is opened, so a FIFO, socket, device or directory is refused at once and
/// never blocks a read; then at most <c>maxBytes + 1</c> bytes are read (a file that grows while it is
/// read cannot exhaust memory).
/// </summary>
public static class GuardedFile
{
    /// <summary>What is at <paramref name="path"/>; a dangling or looping link counts as missing.</summary>
    public static FileKind KindOf(string path, bool followLinks = true)
    {
        if (!OperatingSystem.IsWindows() && NativeStat.TryMode(path, followLinks, out var mode, out var found))
        {
            if (!found) return FileKind.Missing;
            return (mode & 0xF000) switch
            {
                0x8000 => FileKind.Regular,
                0x4000 => FileKind.Directory,
                0x1000 => FileKind.Fifo,
                0xC000 => FileKind.Socket,
                0x2000 => FileKind.CharDevice,
                0x6000 => FileKind.BlockDevice,
                0xA000 => FileKind.Regular, // lstat of a link: the link itself is a file hsm can replace
                _ => FileKind.Other,
            };
        }
        // Windows (no FIFOs or sockets in the file system namespace), or no native stat: attributes.
        if (Directory.Exists(path)) return FileKind.Directory;
        if (!File.Exists(path)) return FileKind.Missing;
        var attributes = File.GetAttributes(path);
        return (attributes & FileAttributes.Device) != 0 ? FileKind.CharDevice : FileKind.Regular;
    }

    /// <summary>True when <paramref name="path"/> is a symbolic link (even a dangling one).</summary>
    public static bool IsSymlink(string path)
    {
        try { return new FileInfo(path).LinkTarget != null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>"a named pipe (FIFO)", "a directory", ...: what a message says is there instead of a file.</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Directory => "a directory",
        FileKind.Fifo => "a named pipe (FIFO)",
        FileKind.Socket => "a socket",
        FileKind.CharDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Missing => "missing",
        FileKind.Regular => "a regular file",
        _ => "a special file",
    };

    /// <summary>
    /// Reads a regular file of at most <paramref name="maxBytes"/> bytes. Anything else at the path is
    /// reported in <see cref="GuardedRead.Kind"/> without being opened.
    /// </summary>
    public static GuardedRead Read(string path, long maxBytes)
    {
        var kind = KindOf(path);
        if (kind != FileKind.Regular) return new GuardedRead(kind, null, 0, null);
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            var length = fs.Length;
            if (length > maxBytes) return new GuardedRead(kind, null, length, null);
            var buffer = new byte[(int)Math.Min(maxBytes + 1, Math.Max(length, 0) + (length > 0 ? 0 : 1))];
            int total = 0;
            if (length > 0)
            {
                // The common case: the file still has the length just read, so one array of that size and no
                // copy (issue 16); a 1-byte probe tells whether it grew meanwhile (then the loop below goes on).
                int n0;
                while (total < buffer.Length && (n0 = fs.Read(buffer, total, buffer.Length - total)) > 0) total += n0;
                if (total < buffer.Length) { Array.Resize(ref buffer, total); return new GuardedRead(kind, buffer, 0, null); }
                Span<byte> probe = stackalloc byte[1];
                if (fs.Read(probe) == 0) return new GuardedRead(kind, buffer, 0, null);
                if (buffer.Length >= maxBytes) return new GuardedRead(kind, null, total + 1, null); // it grew past the limit
                Array.Resize(ref buffer, (int)Math.Min(maxBytes + 1, (long)buffer.Length * 2));
                buffer[total++] = probe[0];
            }
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (buffer.Length > maxBytes) return new GuardedRead(kind, null, total, null); // it grew past the limit
                    Array.Resize(ref buffer, (int)Math.Min(maxBytes + 1, (long)buffer.Length * 2));
                }
                var n = fs.Read(buffer, total, buffer.Length - total);
                if (n == 0) break;
                total += n;
            }
            if (total > maxBytes) return new GuardedRead(kind, null, total, null);
            Array.Resize(ref buffer, total);
            return new GuardedRead(kind, buffer, 0, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new GuardedRead(kind, null, 0, e.Message);
        }
    }

    /// <summary>The sentence for a non-regular file where hsm expects one.</summary>
    public static string NotRegularMessage(string label, FileKind kind, string what) =>
        $"'{label}' is {Describe(kind)}, not a regular file; Hsm expects {what} there and never opens a pipe, socket, device or directory in its place. Replace it with a regular file.";

    /// <summary>stat(2) through the runtime's own native shim (libSystem.Native, present wherever .NET runs on Unix).</summary>
    private static class NativeStat
    {
        private static bool _unavailable;
        [ThreadStatic] private static byte[]? _statBuffer;

        public static bool TryMode(string path, bool followLinks, out int mode, out bool found)
        {
            mode = 0; found = false;
            if (_unavailable) return false;
            // FileStatus of System.Native: int Flags, int Mode, ... (Mode at offset 4 since .NET Core 2); the buffer is generous.
            var buffer = _statBuffer ??= new byte[256]; // one per thread: read right after the call (issue 16)
            try
            {
                var rc = followLinks ? Stat(path, buffer) : LStat(path, buffer);
                if (rc != 0) return true; // ENOENT, ELOOP, ENOTDIR, EACCES on a parent: nothing hsm can open
                mode = BitConverter.ToInt32(buffer, 4);
                found = true;
                return true;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
            {
                _unavailable = true;
                return false;
            }
        }

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
        private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer);

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
        private static extern int LStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer);
    }
}
