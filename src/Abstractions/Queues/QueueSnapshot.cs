namespace RunnerHost.Queues;

/// <summary>What one pass of a runner sees in its slice of a queue.</summary>
/// <param name="Ready">Filebases that are due, in FIFO order.</param>
/// <param name="NextDue">When the earliest entry that is not yet due becomes due; null when there is none.</param>
public sealed record QueueSnapshot(IReadOnlyList<string> Ready, DateTimeOffset? NextDue)
{
    /// <summary>An empty snapshot.</summary>
    public static QueueSnapshot Empty { get; } = new([], null);
}
