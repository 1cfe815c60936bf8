using RunnerHost.Queues;

namespace RunnerHost.Inspection;

/// <summary>
/// What operators, commands, the REST API and the dashboard see of the queues, whatever the back end:
/// summaries, paged listings, one entry read without taking it (damaged ones included, saying what is
/// damaged), and the operator's actions on one entry. Nothing outside a back end reads queue storage.
/// </summary>
public interface IQueueInspector
{
    /// <summary>Every configured queue, sorted.</summary>
    IReadOnlyList<string> QueueNames { get; }

    /// <summary>Whether <paramref name="id"/> can name an entry of <paramref name="queue"/> at all (ids are the back end's; a path never is one).</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="id">A string from an operator or a client.</param>
    /// <param name="problem">Why it cannot, in a few words.</param>
    bool IsEntryId(string queue, string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem);

    /// <summary>Depth per slice, ages, entries kept for later, entries in progress, and what nothing will process.</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="cancellationToken">Cancels the measuring.</param>
    /// <exception cref="KeyNotFoundException">No such queue.</exception>
    Task<QueueSummary> SummarizeAsync(string queue, CancellationToken cancellationToken = default);

    /// <summary>One page of a queue's entries.</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="query">Order, state filter, offset and page size.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <exception cref="KeyNotFoundException">No such queue.</exception>
    Task<EntryPage> ListAsync(string queue, EntryQuery query, CancellationToken cancellationToken = default);

    /// <summary>Reads one entry without taking it; null when there is no such entry. Never throws for what is stored.</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="id">The entry id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="KeyNotFoundException">No such queue.</exception>
    Task<EntryInspection?> ReadAsync(string queue, string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes one entry by id, as a runner would (so no runner takes it meanwhile); null when it is gone or
    /// taken. An unreadable entry is left as it was and <see cref="QueueEntryCorruptException"/> says why.
    /// </summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="id">The entry id.</param>
    /// <param name="cancellationToken">Cancels before the entry is taken.</param>
    /// <exception cref="KeyNotFoundException">No such queue.</exception>
    Task<IQueueLease?> TakeAsync(string queue, string id, CancellationToken cancellationToken = default);

    /// <summary>Deletes one entry, readable or not; never one a runner holds now.</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="id">The entry id.</param>
    /// <param name="cancellationToken">Cancels before anything is deleted.</param>
    /// <exception cref="KeyNotFoundException">No such queue.</exception>
    Task<DiscardOutcome> DiscardAsync(string queue, string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves a preserved or shunted entry's message and metadata into <paramref name="targetQueue"/> (with
    /// <c>requeued_from</c> naming where it came from) and removes it; returns the new id. An entry that
    /// does not decode strictly is refused with <see cref="QueueEntryCorruptException"/> and kept.
    /// </summary>
    /// <param name="queue">The queue the entry is in.</param>
    /// <param name="id">The entry id.</param>
    /// <param name="targetQueue">Where it goes.</param>
    /// <param name="cancellationToken">Cancels before anything is moved.</param>
    /// <exception cref="KeyNotFoundException">No such queue, or no such entry.</exception>
    Task<string> RequeueAsync(string queue, string id, string targetQueue, CancellationToken cancellationToken = default);
}
