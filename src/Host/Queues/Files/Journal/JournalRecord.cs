using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace RunnerHost.Hosting.Queues.Files.Journal;

/// <summary>What a journal record says.</summary>
internal enum JournalRecordKind : byte
{
    /// <summary>An enqueue: the entry's filebase and its complete entry-file bytes.</summary>
    Entry = 1,

    /// <summary>A completion: the entry's filebase, no payload.</summary>
    Done = 2,
}

/// <summary>One record as read back: where it is and what it holds (slices of the segment buffer).</summary>
internal readonly record struct JournalRecord(JournalRecordKind Kind, long Stamp, string Filebase, int Offset, int PayloadOffset, int PayloadLength, int Length);

/// <summary>How reading at one offset turned out.</summary>
internal enum JournalReadResult
{
    /// <summary>A valid record of the segment's generation.</summary>
    Record,

    /// <summary>No record magic (zeros, or old bytes of a recycled segment), or a complete record of an earlier generation: the end of what this generation wrote.</summary>
    End,

    /// <summary>Something that is not a valid record (a torn write or damage); the reason says what.</summary>
    Damaged,
}

/// <summary>
/// The layout of a journal record (docs/queue-format.md, "The enqueue journal"), its encoder and the
/// one parser. All integers little-endian; a record starts and ends on a 16-byte boundary.
/// </summary>
/// <remarks>
/// <code>
///  0  u32   magic 0x524A4852 ("RHJR")
///  4  16 B  the first 16 bytes of SHA-256 over bytes 20 .. 48 + name + payload
/// 20  u8    kind (1 entry, 2 done), then 3 zero bytes
/// 24  u64   the segment generation it was written in
/// 32  i64   stamp: the writer's monotonic clock (ns since boot)
/// 40  u16   name length (1 .. 255), then 2 zero bytes
/// 44  u32   payload length
/// 48  name (ASCII), payload, zero padding to 16
/// </code>
/// </remarks>
internal static class JournalRecordFormat
{
    public const uint Magic = 0x524A4852;
    public const int HeaderLength = 48;
    public const int Alignment = 16;
    public const int MaxNameLength = 255;
    private const int ChecksumOffset = 4;
    private const int ChecksumLength = 16;
    private const int HashedFrom = ChecksumOffset + ChecksumLength;

    /// <summary>The bytes a record with this name and payload takes, padding included.</summary>
    public static int SizeOf(int nameLength, int payloadLength) => Align(HeaderLength + nameLength + payloadLength);

    /// <summary>Writes one record at the start of <paramref name="destination"/> (which must hold <see cref="SizeOf"/> bytes); returns its size.</summary>
    public static int Write(Span<byte> destination, JournalRecordKind kind, ulong generation, long stamp, string filebase, ReadOnlySpan<byte> payload)
    {
        int nameLength = filebase.Length;
        int size = SizeOf(nameLength, payload.Length);
        var record = destination[..size];
        record.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        record[20] = (byte)kind;
        BinaryPrimitives.WriteUInt64LittleEndian(record[24..], generation);
        BinaryPrimitives.WriteInt64LittleEndian(record[32..], stamp);
        BinaryPrimitives.WriteUInt16LittleEndian(record[40..], (ushort)nameLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record[44..], (uint)payload.Length);
        Encoding.ASCII.GetBytes(filebase, record[HeaderLength..]);
        payload.CopyTo(record[(HeaderLength + nameLength)..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(record[HashedFrom..(HeaderLength + nameLength + payload.Length)], hash);
        hash[..ChecksumLength].CopyTo(record[ChecksumOffset..]);
        return size;
    }

    /// <summary>
    /// Reads the record at <paramref name="offset"/> of <paramref name="segment"/>. Every length is
    /// checked against the buffer before it is used; nothing here throws on any content.
    /// </summary>
    public static JournalReadResult TryRead(ReadOnlySpan<byte> segment, int offset, ulong generation, out JournalRecord record, out string? problem)
    {
        record = default;
        problem = null;
        if (offset < 0 || offset % Alignment != 0 || offset > segment.Length - HeaderLength)
        {
            return JournalReadResult.End;
        }

        var header = segment.Slice(offset, HeaderLength);
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (magic != Magic)
        {
            // Zeros, or the middle of an earlier generation's record in a recycled segment; a torn
            // append of this generation starts with its magic (one write, sector by sector).
            return JournalReadResult.End;
        }

        ulong written = BinaryPrimitives.ReadUInt64LittleEndian(header[24..]);
        byte kind = header[20];
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[40..]);
        uint payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(header[44..]);
        int available = segment.Length - offset - HeaderLength;
        if (nameLength is < 1 or > MaxNameLength || nameLength > available || payloadLength > (uint)(available - nameLength))
        {
            problem = $"lengths out of range (name {nameLength}, payload {payloadLength}, {available} bytes left in the segment)";
            return JournalReadResult.Damaged;
        }

        int size = SizeOf(nameLength, (int)payloadLength);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(segment.Slice(offset + HashedFrom, HeaderLength - HashedFrom + nameLength + (int)payloadLength), hash);
        if (!hash[..ChecksumLength].SequenceEqual(header.Slice(ChecksumOffset, ChecksumLength)))
        {
            problem = "checksum mismatch";
            return JournalReadResult.Damaged;
        }

        if (written != generation)
        {
            // A complete record of an earlier use of the segment (it is recycled): not this generation's.
            return JournalReadResult.End;
        }

        if (kind is not ((byte)JournalRecordKind.Entry or (byte)JournalRecordKind.Done))
        {
            problem = $"unknown record kind {kind}";
            return JournalReadResult.Damaged;
        }

        var name = segment.Slice(offset + HeaderLength, nameLength);
        if (name.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7e) >= 0)
        {
            problem = "the name is not printable ASCII";
            return JournalReadResult.Damaged;
        }

        record = new JournalRecord((JournalRecordKind)kind, BinaryPrimitives.ReadInt64LittleEndian(header[32..]), Encoding.ASCII.GetString(name),
            offset, offset + HeaderLength + nameLength, (int)payloadLength, size);
        return JournalReadResult.Record;
    }

    private static int Align(int length) => (length + Alignment - 1) & ~(Alignment - 1);
}
