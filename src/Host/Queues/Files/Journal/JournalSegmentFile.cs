using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using RunnerHost.Hosting.IO;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Queues.Files.Journal;

/// <summary>
/// One journal segment on disk: a preallocated, zero-filled file (so an append changes no inode
/// metadata and <c>fdatasync</c> costs one device flush), a 4 KiB header block and records after
/// it. Its writer holds an exclusive <c>flock</c> on it for as long as it lives; a segment nobody
/// holds is dead (or retired) and is the recovery's to replay.
/// </summary>
/// <remarks>
/// Header: 8 bytes <c>RHJRNL01</c>, u64 generation, the writer's boot id (36 ASCII bytes, zero
/// padded to offset 64), then the first 8 bytes of SHA-256 over bytes 0..64. Retiring a segment
/// writes the next generation, which makes every record in it stale at once.
/// </remarks>
internal sealed class JournalSegmentFile : IDisposable
{
    /// <summary>The size of every segment the host creates.</summary>
    public const int DefaultSize = 8 << 20;

    /// <summary>The header block; records start here.</summary>
    public const int HeaderSize = 4096;

    /// <summary>The largest segment a reader loads (anything longer is damage).</summary>
    public const int MaxSize = 64 << 20;

    /// <summary>The extension of segment files in <c>.journal</c>.</summary>
    public const string Extension = ".wal";

    private const int HeaderBytes = 72;
    private const int BootIdOffset = 16;
    private const int BootIdLength = 48;
    private static readonly byte[] HeaderMagic = "RHJRNL01"u8.ToArray();

    private JournalSegmentFile(string path, SafeFileHandle handle)
    {
        Path = path;
        Handle = handle;
    }

    public string Path { get; }

    public SafeFileHandle Handle { get; }

    /// <summary>Opens (without creating a lock of its own) an existing or new segment file, read-write.</summary>
    public static JournalSegmentFile Open(string path) => new(path, Posix.OpenLockFile(path));

    /// <summary>Creates a new locked, zero-filled, durable segment in <paramref name="journalDirectory"/>.</summary>
    public static JournalSegmentFile Create(string journalDirectory, int size)
    {
        string path = System.IO.Path.Combine(journalDirectory, $"segment-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}{Extension}");
        var segment = Open(path);
        try
        {
            if (!segment.TryLock())
            {
                throw new IOException($"the new journal segment {path} is locked by another process");
            }

            var zeros = new byte[1 << 20];
            for (long offset = 0; offset < size; offset += zeros.Length)
            {
                RandomAccess.Write(segment.Handle, zeros.AsSpan(0, (int)Math.Min(zeros.Length, size - offset)), offset);
            }

            RandomAccess.FlushToDisk(segment.Handle);
            DurableFiles.FsyncDirectory(journalDirectory);
            return segment;
        }
        catch
        {
            segment.Dispose();
            DurableFiles.TryDelete(path);
            throw;
        }
    }

    /// <summary>Takes the segment's exclusive lock without waiting; false when a live writer holds it.</summary>
    public bool TryLock() => Posix.TryFlock(Handle, exclusive: true);

    public long Length => RandomAccess.GetLength(Handle);

    /// <summary>Reads the whole segment (at most <see cref="MaxSize"/> bytes).</summary>
    public byte[] ReadAll()
    {
        long length = Math.Min(Length, MaxSize);
        var bytes = new byte[length];
        int read = 0;
        while (read < bytes.Length)
        {
            int n = RandomAccess.Read(Handle, bytes.AsSpan(read), read);
            if (n <= 0)
            {
                return bytes[..read];
            }

            read += n;
        }

        return bytes;
    }

    /// <summary>Parses a header; false (with the reason) when it is not one. An all-zero header is a segment never used.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> bytes, out ulong generation, out string? bootId, out string? problem)
    {
        generation = 0;
        bootId = null;
        problem = null;
        if (bytes.Length < HeaderSize)
        {
            problem = $"shorter than its header ({bytes.Length} bytes)";
            return false;
        }

        var header = bytes[..HeaderBytes];
        if (header.IndexOfAnyExcept((byte)0) < 0)
        {
            problem = "never used (zero header)";
            return false;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(header[..64], hash);
        if (!header[..8].SequenceEqual(HeaderMagic) || !hash[..8].SequenceEqual(header[64..72]))
        {
            problem = "header magic or checksum wrong";
            return false;
        }

        generation = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        var boot = header.Slice(BootIdOffset, BootIdLength);
        int end = boot.IndexOf((byte)0);
        boot = end < 0 ? boot : boot[..end];
        string text = Encoding.ASCII.GetString(boot);
        bootId = JournalBoot.IsBootId(text) ? text : null;
        return true;
    }

    /// <summary>Writes a header for <paramref name="generation"/> and waits for the device.</summary>
    public void WriteHeader(ulong generation, string? bootId)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        header.Clear();
        HeaderMagic.CopyTo(header);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], generation);
        if (bootId is { Length: <= BootIdLength })
        {
            Encoding.ASCII.GetBytes(bootId, header[BootIdOffset..]);
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(header[..64], hash);
        hash[..8].CopyTo(header[64..]);
        RandomAccess.Write(Handle, header, 0);
        JournalNative.DataSync(Handle, Path);
    }

    public void Dispose() => Handle.Dispose();
}
