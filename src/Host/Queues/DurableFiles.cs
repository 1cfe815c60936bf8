using System.Runtime.InteropServices;

namespace RunnerHost.Host.Queues;

/// <summary>
/// Durable publication of files: write a temporary file, fsync it, rename it into place, fsync the
/// directory. Without the directory fsync a power loss can undo the rename (reference §8 row E).
/// </summary>
public static partial class DurableFiles
{
    // Queue files are shared with the operator's group only (Mailman runs with umask 007).
    private const UnixFileMode FileMode0660 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
    private const UnixFileMode DirectoryMode0770 = FileMode0660 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute;
    private const int OpenReadOnly = 0;
    private const int OpenCloseOnExecLinux = 0x80000;

    /// <summary>Creates a directory (and parents) when missing.</summary>
    public static void EnsureDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, DirectoryMode0770);
        }
    }

    /// <summary>Flushes a directory's entries (renames, creations) to disk. No-op on Windows, which has no such call.</summary>
    public static void FsyncDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        int flags = OperatingSystem.IsLinux() ? OpenReadOnly | OpenCloseOnExecLinux : OpenReadOnly;
        int fd = Open(directory, flags);
        if (fd < 0)
        {
            throw new IOException($"open({directory}) failed, errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync({directory}) failed, errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Writes <paramref name="content"/> to a new file (it must not exist), fsyncing it when asked.</summary>
    /// <remarks>
    /// Unbuffered (BufferSize 0) and one positional write; no exclusive lock is asked for (nobody else
    /// knows a fresh temporary name). Compared with the former buffered FileShare.None stream in
    /// bench/Benchmarks (WriteBenchmarks); not yet shown to be faster.
    /// </remarks>
    public static void WriteNewFile(string path, ReadOnlySpan<byte> content, bool fsync, bool replaceExisting = false)
    {
        var options = new FileStreamOptions
        {
            Mode = replaceExisting ? FileMode.Create : FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite,
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode0660;
        }

        using var stream = new FileStream(path, options);
        RandomAccess.Write(stream.SafeFileHandle, content, fileOffset: 0);
        if (fsync)
        {
            RandomAccess.FlushToDisk(stream.SafeFileHandle);
        }
    }

    /// <summary>
    /// Publishes <paramref name="content"/> at <paramref name="finalPath"/> atomically: write
    /// <paramref name="tempPath"/>, fsync, rename, fsync the directory (fsyncs skipped when
    /// <paramref name="fsync"/> is false). With <paramref name="replaceExisting"/> the rename replaces
    /// an existing file (and a stale temporary file is overwritten).
    /// </summary>
    public static void Publish(string tempPath, string finalPath, ReadOnlySpan<byte> content, bool fsync, bool replaceExisting = false)
    {
        WriteAndRename(tempPath, finalPath, content, fsync, replaceExisting);
        if (fsync)
        {
            FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(finalPath))!);
        }
    }

    /// <summary>
    /// The first half of <see cref="Publish"/>: write and (when asked) fsync <paramref name="tempPath"/>,
    /// then rename it to <paramref name="finalPath"/>. The caller must still fsync the directory
    /// (e.g. through a <see cref="DirectorySyncGroup"/>) before treating the file as durable.
    /// </summary>
    public static void WriteAndRename(string tempPath, string finalPath, ReadOnlySpan<byte> content, bool fsync, bool replaceExisting = false)
    {
        ArgumentNullException.ThrowIfNull(tempPath);
        ArgumentNullException.ThrowIfNull(finalPath);
        try
        {
            WriteNewFile(tempPath, content, fsync, replaceExisting);
            File.Move(tempPath, finalPath, overwrite: replaceExisting);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: recovery quarantines abandoned temporary files.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
