using MimeKit;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>
/// An entry taken from a queue directory: its <c>.bak</c> file. Every ending removes the <c>.bak</c>
/// last, after what replaces it is durable, so a crash in between offers the entry again (at least once,
/// never lost).
/// </summary>
internal sealed class FileLease(FileSwitchboard switchboard, IQueueRegistry queues, QueueEntry entry) : IQueueLease
{
    public string QueueName => switchboard.Name;

    public QueueEntry Entry => entry;

    public Task CompleteAsync(CancellationToken cancellationToken = default) => switchboard.FinishAsync(entry.Id, cancellationToken: CancellationToken.None);

    public Task ReleaseAsync(CancellationToken cancellationToken = default) => switchboard.ReleaseAsync(entry.Id, CancellationToken.None);

    public async Task<string> RequeueAsync(MimeMessage message, MessageData metadata, DateTimeOffset notBefore, CancellationToken cancellationToken = default)
    {
        string requeued = await switchboard.EnqueueAsync(message, metadata, notBefore: notBefore, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        await switchboard.FinishAsync(entry.Id, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        return requeued;
    }

    public Task PreserveAsync(string reason, CancellationToken cancellationToken = default) =>
        switchboard.FinishAsync(entry.Id, preserve: true, reason: reason, cancellationToken: CancellationToken.None);

    public async Task<string> MoveAsync(string queue, MimeMessage message, MessageData metadata, CancellationToken cancellationToken = default)
    {
        string moved = await queues[queue].EnqueueAsync(message, metadata, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        await switchboard.FinishAsync(entry.Id, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        return moved;
    }
}
