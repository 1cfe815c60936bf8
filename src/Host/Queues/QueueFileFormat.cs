using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues;

/// <summary>A fully validated queue entry.</summary>
/// <param name="Version">The format version (always <see cref="QueueFileFormat.Version"/>).</param>
/// <param name="Metadata">The metadata.</param>
/// <param name="Message">The RFC 822 bytes exactly as stored.</param>
public sealed record DecodedEntry(int Version, MessageData Metadata, ReadOnlyMemory<byte> Message);

/// <summary>What could be read from a possibly damaged queue file, and what is wrong with it.</summary>
/// <param name="Version">The header's format version, when the header could be read.</param>
/// <param name="MetadataLength">The declared metadata length.</param>
/// <param name="MessageLength">The declared message length.</param>
/// <param name="MetadataText">The metadata bytes present, as UTF-8 text (possibly cut short).</param>
/// <param name="Metadata">The parsed metadata, when it parsed.</param>
/// <param name="Message">The message bytes present (possibly cut short).</param>
/// <param name="ChecksumValid">True when the trailer is present and its SHA-256 matches.</param>
/// <param name="Problems">Everything found wrong, most fundamental first; empty for a sound file.</param>
public sealed record PartialEntry(
    int? Version,
    long? MetadataLength,
    long? MessageLength,
    string? MetadataText,
    MessageData? Metadata,
    ReadOnlyMemory<byte>? Message,
    bool ChecksumValid,
    IReadOnlyList<string> Problems);

/// <summary>
/// The on-disk entry format (see docs/queue-format.md): an ASCII header line
/// <c>RUNNERHOST-QUEUE 1 &lt;metaBytes&gt; &lt;messageBytes&gt;\n</c>, the metadata as UTF-8 JSON,
/// the raw message bytes, and a trailer <c>\nEND &lt;sha256-hex&gt;\n</c> over everything before it.
/// Length framing plus the end marker detect torn and altered files.
/// </summary>
public static class QueueFileFormat
{
    /// <summary>The first word of every entry.</summary>
    public const string Magic = "RUNNERHOST-QUEUE";

    /// <summary>The format version this build writes and reads.</summary>
    public const int Version = 1;

    // The header is short; a longer first line is not ours.
    private const int MaxHeaderLength = 128;
    private const string TrailerPrefix = "\nEND ";
    private static ReadOnlySpan<byte> TrailerPrefixBytes => "\nEND "u8;
    private static ReadOnlySpan<byte> MagicPrefix => "RUNNERHOST-QUEUE "u8;
    private const int TrailerLength = 5 + 64 + 1;

    /// <summary>Encodes one entry.</summary>
    public static byte[] Encode(MessageData metadata, ReadOnlySpan<byte> message) =>
        Frame(MetadataJson.Serialize(metadata), message, Version);

    /// <summary>Decodes and validates one entry; throws <see cref="QueueEntryCorruptException"/> saying what is wrong.</summary>
    public static DecodedEntry Decode(ReadOnlyMemory<byte> file)
    {
        var partial = ReadWhatYouCan(file);
        if (partial.Problems.Count > 0)
        {
            throw new QueueEntryCorruptException(string.Join("; ", partial.Problems));
        }

        return new DecodedEntry(partial.Version!.Value, partial.Metadata!, partial.Message!.Value);
    }

    /// <summary>Reads whatever a file holds, never throwing; for tools that inspect damaged entries.</summary>
    public static PartialEntry ReadWhatYouCan(ReadOnlyMemory<byte> file)
    {
        var problems = new List<string>();
        var bytes = file.Span;
        if (bytes.IsEmpty)
        {
            problems.Add("empty file (0 bytes)");
            return new PartialEntry(null, null, null, null, null, null, false, problems);
        }

        if (!bytes.StartsWith(MagicPrefix))
        {
            problems.Add($"bad magic: expected '{Magic}' at the start; the file's {bytes.Length} bytes are not a queue entry");
            return new PartialEntry(null, null, null, null, null, null, false, problems);
        }

        int newline = bytes[..Math.Min(bytes.Length, MaxHeaderLength)].IndexOf((byte)'\n');
        if (newline < 0)
        {
            problems.Add($"header malformed: no end of line in the first {MaxHeaderLength} bytes");
            return new PartialEntry(null, null, null, null, null, null, false, problems);
        }

        // The header is split and parsed as bytes: every entry a runner takes passes here, and strings per field
        // were a tenth of the runner loop's allocations. Fields as string.Split(' ') gives them, empty ones included.
        var header = bytes[..newline];
        Span<Range> fields = stackalloc Range[5];
        int fieldCount = SplitFields(header, fields);
        if (fieldCount < 2 || !int.TryParse(header[fields[1]], NumberStyles.None, CultureInfo.InvariantCulture, out int version))
        {
            problems.Add($"header malformed: the {newline}-byte first line has no version number after '{Magic}'");
            return new PartialEntry(null, null, null, null, null, null, false, problems);
        }

        if (version != Version)
        {
            problems.Add($"unsupported version {version} (this build reads version {Version})");
            return new PartialEntry(version, null, null, null, null, null, false, problems);
        }

        if (fieldCount != 4
            || !long.TryParse(header[fields[2]], NumberStyles.None, CultureInfo.InvariantCulture, out long metaLength)
            || !long.TryParse(header[fields[3]], NumberStyles.None, CultureInfo.InvariantCulture, out long messageLength)
            || metaLength > int.MaxValue || messageLength > int.MaxValue)
        {
            problems.Add($"header malformed: the {newline}-byte first line is not '{Magic} {Version} <metadata bytes> <message bytes>'");
            return new PartialEntry(version, null, null, null, null, null, false, problems);
        }

        int bodyStart = newline + 1;
        long expected = bodyStart + metaLength + messageLength + TrailerLength;
        if (bytes.Length < expected)
        {
            problems.Add($"truncated: expected {expected} bytes got {bytes.Length}");
        }
        else if (bytes.Length > expected)
        {
            problems.Add($"too long: expected {expected} bytes got {bytes.Length}");
        }

        int metaAvailable = (int)Math.Clamp(bytes.Length - bodyStart, 0, metaLength);
        var metaBytes = file.Slice(bodyStart, metaAvailable);
        int messageStart = bodyStart + metaAvailable;
        int messageAvailable = (int)Math.Clamp(bytes.Length - messageStart, 0, messageLength);
        var message = file.Slice(messageStart, messageAvailable);

        bool checksumValid = false;
        if (bytes.Length >= expected)
        {
            int trailerStart = (int)(expected - TrailerLength);
            checksumValid = CheckTrailer(bytes[..trailerStart], bytes.Slice(trailerStart, TrailerLength), problems);
        }

        MessageData? metadata = null;
        try
        {
            metadata = MetadataJson.Deserialize(metaBytes);
        }
        catch (JsonException ex)
        {
            problems.Add($"metadata JSON invalid: {ex.Message}");
        }

        // The text is for showing metadata that did not parse; readers of a sound entry never look at it.
        string? metaText = metadata is null ? Encoding.UTF8.GetString(metaBytes.Span) : null;
        return new PartialEntry(version, metaLength, messageLength, metaText, metadata, message, checksumValid, problems);
    }

    /// <summary>Frames already-serialised metadata; internal so tests can build files with any content.</summary>
    internal static byte[] Frame(ReadOnlySpan<byte> metadataJson, ReadOnlySpan<byte> message, int version)
    {
        byte[] header = Encoding.ASCII.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"{Magic} {version} {metadataJson.Length} {message.Length}\n"));
        int bodyLength = header.Length + metadataJson.Length + message.Length;
        byte[] file = new byte[bodyLength + TrailerLength];
        header.CopyTo(file, 0);
        metadataJson.CopyTo(file.AsSpan(header.Length));
        message.CopyTo(file.AsSpan(header.Length + metadataJson.Length));
        string hash = Convert.ToHexStringLower(SHA256.HashData(file.AsSpan(0, bodyLength)));
        Encoding.ASCII.GetBytes(TrailerPrefix + hash + "\n").CopyTo(file, bodyLength);
        return file;
    }

    // Compares without building strings; they are made only to describe a damaged trailer.
    private static bool CheckTrailer(ReadOnlySpan<byte> body, ReadOnlySpan<byte> trailer, List<string> problems)
    {
        if (!trailer.StartsWith(TrailerPrefixBytes) || trailer[^1] != (byte)'\n')
        {
            problems.Add($"trailer malformed: the last {TrailerLength} bytes are not '\\nEND <sha256>\\n'");
            return false;
        }

        var stored = trailer[TrailerPrefixBytes.Length..^1];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, hash);
        Span<byte> actual = stackalloc byte[SHA256.HashSizeInBytes * 2];
        Convert.TryToHexStringLower(hash, actual, out _);
        if (!Ascii.EqualsIgnoreCase(stored, actual))
        {
            // The stored value is quoted only when it is hex: an error never echoes arbitrary file bytes.
            string storedText = Encoding.ASCII.GetString(stored);
            string says = storedText.All(char.IsAsciiHexDigit) ? storedText : "something that is not hex";
            problems.Add($"checksum mismatch: trailer says {says}, content hashes to {Encoding.ASCII.GetString(actual)}");
            return false;
        }

        return true;
    }

    // The fields of the header line as string.Split(' ') would give them; counts past the span's length, fills only what fits.
    private static int SplitFields(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        int count = 0;
        int start = 0;
        while (true)
        {
            int space = line[start..].IndexOf((byte)' ');
            int end = space < 0 ? line.Length : start + space;
            if (count < fields.Length)
            {
                fields[count] = start..end;
            }

            count++;
            if (space < 0)
            {
                return count;
            }

            start = end + 1;
        }
    }
}
