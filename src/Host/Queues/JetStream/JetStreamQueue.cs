using MimeKit;
using NATS.Client.Core;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>
/// A queue as producers see it on JetStream: an enqueue publishes the entry, in the one entry format
/// (docs/queue-format.md), to its own subject and returns once the stream's replicas acknowledged it.
/// An entry due later goes to the queue's "later" subjects until its slice's runner makes it ready.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A mail queue in Mailman's sense, not a collection type.")]
public sealed class JetStreamQueue(string name, JetStreamStore store, TimeProvider clock) : IQueue
{
    public string Name => name;

    public bool IsAvailable => store.Connection.IsAvailable;

    public Task<string> EnqueueAsync(MimeMessage message, MessageData? metadata = null, MessageData? extra = null, DateTimeOffset? notBefore = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return EnqueueRawAsync(Serialize(message, cancellationToken), metadata, extra, notBefore, cancellationToken);
    }

    public async Task<string> EnqueueRawAsync(ReadOnlyMemory<byte> message, MessageData? metadata = null, MessageData? extra = null, DateTimeOffset? notBefore = null, CancellationToken cancellationToken = default) =>
        (await StoreAsync(message, NewEntry.PrepareMetadata(metadata, extra), notBefore, messageId: null, headers: null, cancellationToken).ConfigureAwait(false)).Id;

    internal static byte[] Serialize(MimeMessage message, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        message.WriteTo(FormatOptions.Default, buffer, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>
    /// Stores an entry with prepared metadata. <paramref name="messageId"/> de-duplicates a move that a
    /// crash made its runner repeat (the id of the first store is returned); null = the entry's own id.
    /// </summary>
    internal async Task<(string Id, ulong Sequence)> StoreAsync(ReadOnlyMemory<byte> message, MessageData prepared, DateTimeOffset? notBefore, string? messageId, NatsHeaders? headers, CancellationToken cancellationToken)
    {
        if (name == QueueNames.Bad && headers is null)
        {
            throw new InvalidOperationException($"Queue '{name}' holds preserved entries and takes no new ones; enqueue into another queue ('runner-host bad requeue' moves entries out of it).");
        }

        var now = clock.GetUtcNow();
        var due = NewEntry.DueTime(now, notBefore);
        string id = QueueFileName.Create(message.Span, prepared.ListId, QueueFileName.ToUnixSeconds(due));
        var parts = QueueFileName.Parse(id);
        byte[] bytes = QueueFileFormat.Encode(prepared, message.Span);
        var place = due > now ? EntryPlace.Later : EntryPlace.Ready;
        var result = await store.PublishAsync(name, store.Names.Subject(name, place, id, parts.Digest), bytes, messageId ?? id, headers, cancellationToken).ConfigureAwait(false);
        if (!result.Duplicate)
        {
            return (id, result.Sequence);
        }

        // Stored by an earlier try: that entry's id, read from its subject.
        var first = await store.GetAsync(name, result.Sequence, cancellationToken).ConfigureAwait(false);
        return first is not null && store.Names.TryParseSubject(name, first.Subject, out _, out string firstId)
            ? (firstId, result.Sequence)
            : (id, result.Sequence);
    }
}
