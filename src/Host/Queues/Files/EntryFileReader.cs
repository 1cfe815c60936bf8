using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>What a path in a queue directory is, as <c>lstat</c> sees it.</summary>
public enum EntryFileKind
{
    /// <summary>Nothing is there (any more).</summary>
    Missing,

    /// <summary>A regular file: the only kind that is ever opened.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (never followed).</summary>
    SymbolicLink,

    /// <summary>A FIFO (named pipe): opening it would block until a writer appears.</summary>
    Fifo,

    /// <summary>A Unix domain socket.</summary>
    Socket,

    /// <summary>A character device.</summary>
    CharacterDevice,

    /// <summary>A block device.</summary>
    BlockDevice,

    /// <summary>A type the kernel reported that none of the above names.</summary>
    Unknown,
}

/// <summary>The outcome of <see cref="EntryFileReader.Read"/>: the bytes of a regular file, or why there are none.</summary>
/// <param name="Kind">What the path was.</param>
/// <param name="Bytes">The whole content of a regular file; null otherwise.</param>
/// <param name="Problem">Why nothing was read (not a regular file, too large, an I/O error); null when <paramref name="Bytes"/> is set or the file is missing.</param>
public sealed record EntryFileRead(EntryFileKind Kind, byte[]? Bytes, string? Problem)
{
    /// <summary>True when the path does not exist.</summary>
    public bool IsMissing => Kind == EntryFileKind.Missing;
}

/// <summary>
/// The one way queue files are opened for reading (runner, recovery, <c>qfile</c>, <c>bad</c>,
/// <c>unshunt</c>, REST). Only regular files are opened: the type is checked with <c>lstat</c> before
/// the open, the open never blocks (<c>O_NONBLOCK</c>, so a FIFO swapped in meanwhile cannot hang the
/// reader), and the opened file must be the very inode that was checked (a swap to a symbolic link is
/// refused). Nothing here throws for what is on disk.
/// </summary>
/// <remarks>
/// Hand-written over libc because .NET opens FIFOs blocking and exposes no file type; <c>statx</c>
/// is used because its structure has one layout on every Linux architecture, unlike <c>struct stat</c>.
/// </remarks>
public static partial class EntryFileReader
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxIno = 0x100;
    private const uint StatxSize = 0x200;
    private const int OpenReadOnlyNonBlocking = 0x800;
    private const int OpenCloseOnExec = 0x80000;
    private const int ErrorNoEntry = 2;
    private const int ErrorNotDirectory = 20;
    private const int StatxBufferSize = 256;

    /// <summary>What <paramref name="path"/> is, without following a symbolic link.</summary>
    public static EntryFileKind KindOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!OperatingSystem.IsLinux())
        {
            return ManagedKindOf(path);
        }

        return Stat(AtFdCwd, path, AtSymlinkNoFollow, out var status, out _) ? status.Kind : EntryFileKind.Missing;
    }

    /// <summary>A few words naming a kind, for error messages: <c>a FIFO (named pipe)</c>.</summary>
    public static string Describe(EntryFileKind kind) => kind switch
    {
        EntryFileKind.Missing => "missing",
        EntryFileKind.Regular => "a regular file",
        EntryFileKind.Directory => "a directory",
        EntryFileKind.SymbolicLink => "a symbolic link",
        EntryFileKind.Fifo => "a FIFO (named pipe)",
        EntryFileKind.Socket => "a socket",
        EntryFileKind.CharacterDevice => "a character device",
        EntryFileKind.BlockDevice => "a block device",
        _ => "a special file of unknown type",
    };

    /// <summary>
    /// The bytes of an entry file, for taking it: <see cref="RunnerHost.Queues.QueueEntryNotFoundException"/> when it
    /// vanished, <see cref="RunnerHost.Queues.QueueEntryCorruptException"/> when it is no regular file or cannot be read.
    /// </summary>
    public static byte[] ReadEntry(string path, string queueName, string filebase)
    {
        var read = Read(path);
        if (read.IsMissing)
        {
            throw new RunnerHost.Queues.QueueEntryNotFoundException($"Queue '{queueName}': {filebase} vanished while being taken (another process moved it).");
        }

        return read.Bytes ?? throw new RunnerHost.Queues.QueueEntryCorruptException(read.Problem!);
    }

    /// <summary>Reads a whole regular file; anything else is reported, never opened for long and never followed.</summary>
    public static EntryFileRead Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return OperatingSystem.IsLinux() ? ReadLinux(path) : ReadManaged(path);
    }

    private static EntryFileRead ReadLinux(string path)
    {
        if (!Stat(AtFdCwd, path, AtSymlinkNoFollow, out var before, out int statError))
        {
            return statError is ErrorNoEntry or ErrorNotDirectory
                ? new EntryFileRead(EntryFileKind.Missing, null, null)
                : new EntryFileRead(EntryFileKind.Unknown, null, $"cannot examine the file: {Errno(statError)}");
        }

        if (before.Kind != EntryFileKind.Regular)
        {
            return NotRegular(before.Kind);
        }

        int fd = Open(path, OpenReadOnlyNonBlocking | OpenCloseOnExec);
        if (fd < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            return error is ErrorNoEntry or ErrorNotDirectory
                ? new EntryFileRead(EntryFileKind.Missing, null, null)
                : new EntryFileRead(EntryFileKind.Regular, null, $"cannot open the file: {Errno(error)}");
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (!Stat(fd, string.Empty, AtEmptyPath, out var opened, out statError))
        {
            return new EntryFileRead(EntryFileKind.Regular, null, $"cannot examine the opened file: {Errno(statError)}");
        }

        if (opened.Kind != EntryFileKind.Regular || opened.Inode != before.Inode || opened.Device != before.Device)
        {
            return new EntryFileRead(opened.Kind, null, $"the file was replaced while being opened (now {Describe(opened.Kind)}); not read");
        }

        return ReadAll(handle, opened.Size);
    }

    private static EntryFileRead ReadAll(SafeFileHandle handle, long size)
    {
        if (size > Array.MaxLength)
        {
            return new EntryFileRead(EntryFileKind.Regular, null, $"the file is {size} bytes, more than can be read at once ({Array.MaxLength})");
        }

        try
        {
            byte[] bytes = new byte[size];
            int total = 0;
            while (total < bytes.Length)
            {
                int read = RandomAccess.Read(handle, bytes.AsSpan(total), total);
                if (read == 0)
                {
                    // Shrank while being read: what was there is the content.
                    return new EntryFileRead(EntryFileKind.Regular, bytes[..total], null);
                }

                total += read;
            }

            return new EntryFileRead(EntryFileKind.Regular, bytes, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new EntryFileRead(EntryFileKind.Regular, null, $"read failed: {ex.Message}");
        }
    }

    private static EntryFileRead NotRegular(EntryFileKind kind) =>
        new(kind, null, $"not a regular file but {Describe(kind)}; not opened");

    // Other systems: the managed view (symbolic links and directories are still refused).
    private static EntryFileRead ReadManaged(string path)
    {
        var kind = ManagedKindOf(path);
        if (kind != EntryFileKind.Regular)
        {
            return kind == EntryFileKind.Missing ? new EntryFileRead(kind, null, null) : NotRegular(kind);
        }

        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return ReadAll(handle, RandomAccess.GetLength(handle));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return new EntryFileRead(EntryFileKind.Missing, null, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new EntryFileRead(EntryFileKind.Regular, null, $"cannot open the file: {ex.Message}");
        }
    }

    private static EntryFileKind ManagedKindOf(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists && !System.IO.Directory.Exists(path) && info.LinkTarget is null)
        {
            return EntryFileKind.Missing;
        }

        return info.LinkTarget is not null ? EntryFileKind.SymbolicLink
            : info.Attributes.HasFlag(FileAttributes.Directory) ? EntryFileKind.Directory
            : EntryFileKind.Regular;
    }

    private static unsafe bool Stat(int directoryFd, string path, int flags, out FileStatus status, out int error)
    {
        byte* buffer = stackalloc byte[StatxBufferSize];
        if (Statx(directoryFd, path, flags, StatxType | StatxIno | StatxSize, buffer) != 0)
        {
            error = Marshal.GetLastPInvokeError();
            status = default;
            return false;
        }

        var view = new ReadOnlySpan<byte>(buffer, StatxBufferSize);
        // struct statx: stx_mode (u16) at 28, stx_ino (u64) at 32, stx_size (u64) at 40, stx_dev_major/minor (u32) at 136/140.
        ushort mode = MemoryMarshal.Read<ushort>(view[28..]);
        ulong inode = MemoryMarshal.Read<ulong>(view[32..]);
        ulong size = MemoryMarshal.Read<ulong>(view[40..]);
        ulong device = ((ulong)MemoryMarshal.Read<uint>(view[136..]) << 32) | MemoryMarshal.Read<uint>(view[140..]);
        status = new FileStatus(KindFromMode(mode), inode, device, size > long.MaxValue ? long.MaxValue : (long)size);
        error = 0;
        return true;
    }

    private static EntryFileKind KindFromMode(ushort mode) => (mode & 0xF000) switch
    {
        0x8000 => EntryFileKind.Regular,
        0x4000 => EntryFileKind.Directory,
        0xA000 => EntryFileKind.SymbolicLink,
        0x1000 => EntryFileKind.Fifo,
        0xC000 => EntryFileKind.Socket,
        0x2000 => EntryFileKind.CharacterDevice,
        0x6000 => EntryFileKind.BlockDevice,
        _ => EntryFileKind.Unknown,
    };

    private static string Errno(int error) => $"{Marshal.GetPInvokeErrorMessage(error)} (errno {error})";

    private readonly record struct FileStatus(EntryFileKind Kind, ulong Inode, ulong Device, long Size);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directoryFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);
}
