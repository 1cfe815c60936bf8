using MimeKit;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues;

/// <summary>
/// Decodes a stored entry, whichever back end stored it: the entry format, then the message, parsed in place.
/// One instance per reader (a switchboard, a slice): it keeps one spare parser, because a new
/// <see cref="MimeParser"/> per message was half of the runner loop's allocations (docs/benchmarks.md).
/// </summary>
public sealed class StoredEntryDecoder
{
    private MimeParser? _spare;

    /// <summary>Decodes <paramref name="bytes"/> (one whole stored entry) and parses its message. Safe to call from several threads.</summary>
    /// <remarks>
    /// The message is parsed as persistent: its parts' content refers to <paramref name="bytes"/> instead of a
    /// copy, so the caller must never change the array afterwards (entries are read into arrays of their own).
    /// </remarks>
    /// <exception cref="QueueEntryCorruptException">The entry or its message cannot be read; the message says what is wrong.</exception>
    public (DecodedEntry Entry, MimeMessage Message) Decode(byte[] bytes, CancellationToken cancellationToken)
    {
        var decoded = DecodeFormat(bytes);
        return (decoded, Parse(bytes, decoded, cancellationToken));
    }

    /// <summary>
    /// Decodes and checks the entry format now (framing, checksum, metadata) and leaves the MIME parse for when
    /// the message is first wanted: a runner that only moves bytes never pays for it.
    /// </summary>
    /// <exception cref="QueueEntryCorruptException">The entry cannot be read; the message says what is wrong. The returned parse throws it too, for a message that does not parse.</exception>
    public QueueEntry ToEntry(string id, byte[] bytes, Func<DecodedEntry, int> attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var decoded = DecodeFormat(bytes);
        return new QueueEntry(id, () => Parse(bytes, decoded, CancellationToken.None), decoded.Metadata, decoded.Message, attempt(decoded));
    }

    private static DecodedEntry DecodeFormat(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var decoded = QueueFileFormat.Decode(bytes);
        if (!System.Runtime.InteropServices.MemoryMarshal.TryGetArray(decoded.Message, out var segment) || segment.Array != bytes)
        {
            throw new InvalidOperationException("The decoded message is not a slice of the entry.");
        }

        return decoded;
    }

    private MimeMessage Parse(byte[] bytes, DecodedEntry decoded, CancellationToken cancellationToken)
    {
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(decoded.Message, out var segment);

        // Not disposed: with a persistent parse the message's parts read from this stream later.
        var stream = new MemoryStream(bytes, segment.Offset, segment.Count, writable: false);
        var parser = Interlocked.Exchange(ref _spare, null);
        try
        {
            if (parser is null)
            {
                parser = new MimeParser(stream, MimeFormat.Entity, persistent: true);
            }
            else
            {
                parser.SetStream(stream, MimeFormat.Entity, persistent: true);
            }

            return parser.ParseMessage(cancellationToken);
        }
        catch (FormatException ex)
        {
            throw new QueueEntryCorruptException($"message cannot be parsed: {ex.Message}", ex);
        }
        finally
        {
            if (parser is not null)
            {
                // Drops its reference to the entry so a spare parser keeps no message alive.
                parser.SetStream(Stream.Null, MimeFormat.Entity, persistent: true);
                Volatile.Write(ref _spare, parser);
            }
        }
    }
}
