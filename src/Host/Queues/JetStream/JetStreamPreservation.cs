using System.Globalization;
using NATS.Client.Core;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>
/// Puts entries into the <c>bad</c> stream exactly as they were stored, with a reason record (the
/// file back end's <c>.reason</c> sidecar, here a header holding the same JSON, base64-encoded so
/// that any reason text survives the header syntax).
/// </summary>
public sealed class JetStreamPreservation(JetStreamStore store, TimeProvider clock)
{
    public const string ReasonHeader = "RunnerHost-Reason";

    /// <summary>Stores <paramref name="stored"/> (the entry bytes, damaged or not) in bad; de-duplicated by <paramref name="messageId"/>.</summary>
    public async Task PreserveAsync(string queue, string id, byte[] stored, string reason, string messageId, CancellationToken cancellationToken)
    {
        var record = new MessageData
        {
            ["reason"] = reason,
            ["queue"] = queue,
            ["original_file"] = id,
            ["time"] = clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
        };
        var headers = new NatsHeaders { [ReasonHeader] = Convert.ToBase64String(MetadataJson.Serialize(record)) };
        // An entry whose subject did not name it gets a fresh id in bad.
        string badId = QueueFileName.TryParse(id, out _, out _) ? id : QueueFileName.Create(stored, null, QueueFileName.ToUnixSeconds(clock.GetUtcNow()));
        string digest = QueueFileName.Parse(badId).Digest;
        await store.PublishAsync(QueueNames.Bad, store.Names.Subject(QueueNames.Bad, EntryPlace.Ready, badId, digest), stored, messageId, headers, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the reason record of a preserved message: the record, or why there is none.</summary>
    public static (MessageData? Reason, string? Problem) ReadReason(StoredMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Header(ReasonHeader) is not { } encoded)
        {
            return (null, "no reason recorded");
        }

        try
        {
            return (MetadataJson.Deserialize(Convert.FromBase64String(encoded)), null);
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
        {
            return (null, $"reason unreadable: {ex.Message}");
        }
    }
}
