using MimeKit;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>
/// An entry an operator's command took (<c>unshunt</c>, <c>bad requeue</c>): moved to the queue's "held"
/// subjects, where no consumer delivers it, and removed from there by whichever ending comes.
/// </summary>
internal sealed class HeldLease(JetStreamStore store, JetStreamQueueRegistry queues, JetStreamPreservation preservation, string queue, QueueEntry entry, StoredMessage held, EntryPlace from, string digest) : IQueueLease
{
    public string QueueName => queue;

    public QueueEntry Entry => entry;

    public async Task CompleteAsync(CancellationToken cancellationToken = default) =>
        await store.DeleteAsync(queue, held.Sequence, CancellationToken.None).ConfigureAwait(false);

    public async Task ReleaseAsync(CancellationToken cancellationToken = default)
    {
        await store.PublishAsync(queue, store.Names.Subject(queue, from, entry.Id, digest), held.Data, $"back:{store.Names.Stream(queue)}:{held.Sequence}", null, CancellationToken.None).ConfigureAwait(false);
        await CompleteAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async Task<string> RequeueAsync(MimeMessage message, MessageData metadata, DateTimeOffset notBefore, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var (id, _) = await queues.Get(queue).StoreAsync(JetStreamQueue.Serialize(message, CancellationToken.None), NewEntry.PrepareMetadata(metadata, null), notBefore, MoveId("requeue"), null, CancellationToken.None).ConfigureAwait(false);
        await CompleteAsync(CancellationToken.None).ConfigureAwait(false);
        return id;
    }

    public async Task PreserveAsync(string reason, CancellationToken cancellationToken = default)
    {
        await preservation.PreserveAsync(queue, entry.Id, held.Data, reason, MoveId("bad"), CancellationToken.None).ConfigureAwait(false);
        await CompleteAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async Task<string> MoveAsync(string target, MimeMessage message, MessageData metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var (id, _) = await queues.Get(target).StoreAsync(JetStreamQueue.Serialize(message, CancellationToken.None), NewEntry.PrepareMetadata(metadata, null), null, MoveId("move:" + target), null, CancellationToken.None).ConfigureAwait(false);
        await CompleteAsync(CancellationToken.None).ConfigureAwait(false);
        return id;
    }

    private string MoveId(string what) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{what}:{store.Names.Stream(queue)}:held:{held.Sequence}");
}
