namespace Hsm.Tests;

/// <summary>
/// Makes a file or folder unwritable for this process: chmod for a normal user; for root (who ignores
/// permissions) the immutable attribute (chattr +i, needs CAP_LINUX_IMMUTABLE). Null outside Linux/macOS.
/// On CI a failure to do so fails the test instead of skipping it.
/// </summary>
public sealed class Unwritable : IDisposable
{
    private readonly string _path;
    private readonly bool _immutable;
    private readonly UnixFileMode _mode;

    private Unwritable(string path, bool immutable, UnixFileMode mode) { _path = path; _immutable = immutable; _mode = mode; }

    public static bool IsRoot => !OperatingSystem.IsWindows() && Environment.UserName == "root";

    public static Unwritable? Make(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        var mode = File.GetUnixFileMode(path);
        if (!IsRoot)
        {
            File.SetUnixFileMode(path, Directory.Exists(path) ? UnixFileMode.UserRead | UnixFileMode.UserExecute : UnixFileMode.UserRead);
            return new Unwritable(path, false, mode);
        }
        var (code, output) = SharedTools.Run("chattr", new[] { "+i", path });
        if (code != 0)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") throw new InvalidOperationException("chattr +i failed as root: " + output);
            return null;
        }
        return new Unwritable(path, true, mode);
    }

    public void Dispose()
    {
        if (_immutable) SharedTools.Run("chattr", new[] { "-i", _path });
        else if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_path, _mode);
    }
}
