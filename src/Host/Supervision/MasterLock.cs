using System.Globalization;
using System.Text;

namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// The single-master lock: <c>$lock_dir/master.lck</c> opened with <see cref="FileShare.None"/>,
/// which .NET implements as <c>flock(LOCK_EX|LOCK_NB)</c>. The kernel releases it when the master
/// dies in any way, so it is never stale and needs no <c>--force</c>; it cannot be broken while held.
/// </summary>
public sealed class MasterLock : IDisposable
{
    private readonly FileStream _stream;

    private MasterLock(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    public string Path { get; }

    /// <summary>Takes the lock and writes our pid into it; null when another live process holds it.</summary>
    public static MasterLock? TryAcquire(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }

        stream.SetLength(0);
        stream.Write(Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
        stream.Flush(flushToDisk: true);
        return new MasterLock(path, stream);
    }

    /// <summary>True while some process holds the lock (probed by trying to take it, without creating the file).</summary>
    public static bool IsHeld(string path)
    {
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose() => _stream.Dispose();
}
