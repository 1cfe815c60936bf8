using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RunnerHost.Hosting.IO;

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
    private const uint SyncFileRangeWrite = 2;

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

    /// <summary>
    /// Writes <paramref name="content"/> to a new file (it must not exist unless
    /// <paramref name="replaceExisting"/>), fsyncing it when asked.
    /// </summary>
    public static void WriteNewFile(string path, ReadOnlySpan<byte> content, bool fsync, bool replaceExisting = false)
    {
        using var stream = CreateAndWrite(path, content, replaceExisting);
        if (fsync)
        {
            RandomAccess.FlushToDisk(stream.SafeFileHandle);
        }
    }

    /// <summary>
    /// Writes <paramref name="content"/> to the new file <paramref name="temporaryPath"/> and starts
    /// its writeback without waiting, for an <see cref="Queues.Files.EnqueueGroupCommit"/> to fsync and rename
    /// to <paramref name="finalPath"/>. A failed write deletes the temporary file.
    /// </summary>
    public static PendingFile WritePending(string temporaryPath, string finalPath, ReadOnlySpan<byte> content)
    {
        FileStream stream;
        try
        {
            stream = CreateAndWrite(temporaryPath, content, replaceExisting: false);
        }
        catch
        {
            TryDelete(temporaryPath);
            throw;
        }

        StartWriteback(stream.SafeFileHandle);
        return new PendingFile(stream, temporaryPath, finalPath);
    }

    // Unbuffered (BufferSize 0) and one positional write; no exclusive lock is asked for (nobody
    // else knows a fresh temporary name).
    private static FileStream CreateAndWrite(string path, ReadOnlySpan<byte> content, bool replaceExisting)
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

        var stream = new FileStream(path, options);
        try
        {
            RandomAccess.Write(stream.SafeFileHandle, content, fileOffset: 0);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    // A hint (Linux sync_file_range SYNC_FILE_RANGE_WRITE): the data starts going to disk now, so
    // its block allocation joins the journal transaction that the next fsync in the group commits.
    // Failure only loses the head start; the fsync that follows is what guarantees durability.
    private static void StartWriteback(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            _ = SyncFileRange((int)handle.DangerousGetHandle(), 0, 0, SyncFileRangeWrite);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
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
    /// then rename it to <paramref name="finalPath"/>. The rename is durable only after a directory
    /// fsync; durable enqueues use <see cref="WritePending"/> and an <see cref="Queues.Files.EnqueueGroupCommit"/> instead.
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

    /// <summary>Deletes a file if it can; recovery quarantines what is left.</summary>
    internal static void TryDelete(string path)
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

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long bytes, uint flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
