using MimeKit;
using RunnerHost.Queues;

namespace RunnerHost.Host.Queues;

/// <summary>Decodes a stored entry, whichever back end stored it: the entry format, then the message, parsed in place.</summary>
public static class StoredEntryDecoder
{
    /// <summary>Decodes <paramref name="bytes"/> (one whole stored entry).</summary>
    /// <exception cref="QueueEntryCorruptException">The entry or its message cannot be read; the message says what is wrong.</exception>
    public static (DecodedEntry Entry, MimeMessage Message) Decode(byte[] bytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var decoded = QueueFileFormat.Decode(bytes);
        if (!System.Runtime.InteropServices.MemoryMarshal.TryGetArray(decoded.Message, out var segment) || segment.Array != bytes)
        {
            throw new InvalidOperationException("The decoded message is not a slice of the entry.");
        }

        try
        {
            using var stream = new MemoryStream(bytes, segment.Offset, segment.Count, writable: false);
            return (decoded, MimeMessage.Load(stream, cancellationToken));
        }
        catch (FormatException ex)
        {
            throw new QueueEntryCorruptException($"message cannot be parsed: {ex.Message}", ex);
        }
    }
}
