namespace RunnerHost.Queues;

/// <summary>
/// One slice of a queue's hash space as its runner consumes it, in passes of leases. A back end
/// recovers the slice's interrupted entries before it hands the slice out: an entry whose processing
/// was interrupted (the runner died) is offered again, and the third interrupted attempt is preserved
/// to <c>bad</c> as a likely poison message. Only the runner that holds the slice takes its entries.
/// </summary>
public interface IQueueSlice
{
    /// <summary>The queue name.</summary>
    string QueueName { get; }

    /// <summary>This slice, 0-based.</summary>
    int Slice { get; }

    /// <summary>The number of slices (a power of two; 1 = the whole queue).</summary>
    int SliceCount { get; }

    /// <summary>
    /// Starts a pass over the entries of this slice that are due now, in FIFO order. Entries that
    /// arrive during the pass are taken by the next one.
    /// </summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    Task<IQueuePass> StartPassAsync(CancellationToken cancellationToken = default);

    /// <summary>Completes when new entries may have arrived, after <paramref name="timeout"/>, or when cancelled (without throwing).</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="cancellationToken">Ends the wait early.</param>
    Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken = default);
}
