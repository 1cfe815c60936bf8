using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RunnerHost.Hosting.Queues.Files.Journal;

/// <summary>
/// The libc calls of the journal. <c>fdatasync</c> rather than <see cref="RandomAccess.FlushToDisk"/>
/// (which is <c>fsync</c> on Linux): a segment is overwritten in place, so only its data needs the
/// device, not its inode's timestamps. <c>syncfs</c> makes a checkpoint one call for every file.
/// </summary>
internal static partial class JournalNative
{
    private const int Eintr = 4;

    /// <summary>Flushes the file's data (and the metadata needed to read it) to the device.</summary>
    public static void DataSync(SafeFileHandle handle, string path) => Check(fdatasync(handle), "fdatasync", path);

    /// <summary>Flushes the whole filesystem holding the file.</summary>
    public static void SyncFileSystem(SafeFileHandle handle, string path) => Check(syncfs(handle), "syncfs", path);

    private static void Check(int result, string call, string path)
    {
        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            // After a failed sync the kernel may have dropped the dirty pages: no retry, the caller fails.
            throw new IOException($"{call}({path}) failed, errno {errno}{(errno == Eintr ? " (interrupted)" : "")}");
        }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int fdatasync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int syncfs(SafeFileHandle fd);
}
