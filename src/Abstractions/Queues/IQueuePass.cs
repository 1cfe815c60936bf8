namespace RunnerHost.Queues;

/// <summary>
/// One pass over the due entries of a slice: taken one lease at a time, in FIFO order. End each lease
/// before taking the next: a back end may hand out only one unended entry per slice at a time (the
/// JetStream back end does, to keep FIFO order across hosts), and then ends the pass early.
/// </summary>
public interface IQueuePass
{
    /// <summary>How many entries were due when the pass started.</summary>
    int Count { get; }

    /// <summary>When the soonest entry that is not yet due becomes due; null when none waits or the back end cannot tell.</summary>
    DateTimeOffset? NextDue { get; }

    /// <summary>
    /// Takes the next entry of the pass; null when the pass is done. An entry that another process took
    /// meanwhile is skipped; one that cannot be read is preserved to <c>bad</c> with the reason by the back
    /// end (and logged), then skipped.
    /// </summary>
    /// <param name="cancellationToken">Cancels before the next entry is taken.</param>
    Task<IQueueLease?> TakeNextAsync(CancellationToken cancellationToken = default);
}
