using MimeKit;
using RunnerHost.Messages;

namespace RunnerHost.Queues;

/// <summary>
/// An entry taken for processing. Exactly one of the ending calls ends it; each is atomic or safely
/// repeatable from the runner's point of view (a crash in the middle offers the entry again, never loses it).
/// An entry whose lease is never ended (the process died) is offered again after recovery.
/// </summary>
public interface IQueueLease
{
    /// <summary>The queue the entry was taken from.</summary>
    string QueueName { get; }

    /// <summary>The entry.</summary>
    QueueEntry Entry { get; }

    /// <summary>Done: removes the entry.</summary>
    /// <param name="cancellationToken">Not used to interrupt the removal; removal is always completed.</param>
    Task CompleteAsync(CancellationToken cancellationToken = default);

    /// <summary>Gives the entry back unchanged (same id, same FIFO position, attempt not counted): a stop interrupted it.</summary>
    /// <param name="cancellationToken">Not used to interrupt the release.</param>
    Task ReleaseAsync(CancellationToken cancellationToken = default);

    /// <summary>Keeps the message queued: stores it with <paramref name="metadata"/> again, due at <paramref name="notBefore"/>, and removes this entry. Returns the new id.</summary>
    /// <param name="message">The message as it is now (a runner may have changed it).</param>
    /// <param name="metadata">The metadata to store with it.</param>
    /// <param name="notBefore">When it is due again.</param>
    /// <param name="cancellationToken">Not used to interrupt the requeue.</param>
    Task<string> RequeueAsync(MimeMessage message, MessageData metadata, DateTimeOffset notBefore, CancellationToken cancellationToken = default);

    /// <summary>Moves the entry, as it was stored, to <c>bad</c> with <paramref name="reason"/>. Never throws for storage errors (they are logged; the entry is then offered again).</summary>
    /// <param name="reason">Why, in one line.</param>
    /// <param name="cancellationToken">Not used to interrupt the move.</param>
    Task PreserveAsync(string reason, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="message"/> with <paramref name="metadata"/> in <paramref name="queue"/> (the shunt queue, with an error record) and removes this entry. Returns the new id.</summary>
    /// <param name="queue">The target queue.</param>
    /// <param name="message">The message as it is now.</param>
    /// <param name="metadata">The metadata to store with it.</param>
    /// <param name="cancellationToken">Not used to interrupt the move.</param>
    Task<string> MoveAsync(string queue, MimeMessage message, MessageData metadata, CancellationToken cancellationToken = default);
}
