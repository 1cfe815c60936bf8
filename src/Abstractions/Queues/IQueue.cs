using MimeKit;
using RunnerHost.Messages;

namespace RunnerHost.Queues;

/// <summary>
/// A queue as a producer sees it: a durable place to put a message for the runner of that queue.
/// Every back end (files on this machine, a distributed engine) behaves the same: the returned task
/// completes only once the entry is durable, entries are taken in FIFO order per slice, and a
/// not-before time delays an entry without any busy loop.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A mail queue in Mailman's sense, not a collection type.")]
public interface IQueue
{
    /// <summary>The queue name, e.g. <c>in</c>.</summary>
    string Name { get; }

    /// <summary>
    /// False while the back end knows it cannot store an entry durably (its servers do not answer): an
    /// enqueue would fail. A producer that must answer before it enqueues (LMTP, at RCPT) asks here.
    /// A queue in files is always available. Added in 2.1.
    /// </summary>
    bool IsAvailable => true;

    /// <summary>
    /// Durably stores a message with a copy of <paramref name="metadata"/>, <paramref name="extra"/>
    /// applied on top (they win), <c>version</c> set, keys starting with <c>_</c> removed, then
    /// <c>_parsemsg</c> set. Returns the new entry's id once the entry is durable.
    /// </summary>
    /// <param name="message">The message; it is serialised as it is now.</param>
    /// <param name="metadata">Metadata to copy; never modified.</param>
    /// <param name="extra">Values applied over <paramref name="metadata"/> (Mailman's keyword arguments).</param>
    /// <param name="notBefore">When the entry becomes due; null = now.</param>
    /// <param name="cancellationToken">Cancels before the write starts.</param>
    Task<string> EnqueueAsync(MimeMessage message, MessageData? metadata = null, MessageData? extra = null, DateTimeOffset? notBefore = null, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="EnqueueAsync"/> for raw RFC 822 bytes, which are stored exactly.</summary>
    /// <param name="message">The message bytes.</param>
    /// <param name="metadata">Metadata to copy; never modified.</param>
    /// <param name="extra">Values applied over <paramref name="metadata"/>.</param>
    /// <param name="notBefore">When the entry becomes due; null = now.</param>
    /// <param name="cancellationToken">Cancels before the write starts.</param>
    Task<string> EnqueueRawAsync(ReadOnlyMemory<byte> message, MessageData? metadata = null, MessageData? extra = null, DateTimeOffset? notBefore = null, CancellationToken cancellationToken = default);
}
