namespace RunnerHost.Hosting.Queues.Files;

/// <summary>Where and how one switchboard stores its entries.</summary>
public sealed record FileSwitchboardOptions
{
    /// <summary>The queue name, e.g. <c>in</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The queue directory (absolute).</summary>
    public required string Directory { get; init; }

    /// <summary>Where preserved entries go (the <c>bad</c> queue's directory, absolute).</summary>
    public required string BadDirectory { get; init; }

    /// <summary>This switchboard's slice, 0-based.</summary>
    public int Slice { get; init; }

    /// <summary>The number of slices: a power of two; 1 = unsliced.</summary>
    public int SliceCount { get; init; } = 1;

    /// <summary>Whether enqueues are made durable (fsync of file and directory). Off only for tests and benchmarks.</summary>
    public bool Fsync { get; init; } = true;

    /// <summary>How a durable enqueue is made durable (<c>[queues] commit</c>); ignored without <see cref="Fsync"/>.</summary>
    public QueueCommit Commit { get; init; } = QueueCommit.Journal;
}
