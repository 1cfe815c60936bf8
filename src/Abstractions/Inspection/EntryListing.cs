namespace RunnerHost.Inspection;

/// <summary>Where an entry stands.</summary>
public enum EntryState
{
    /// <summary>Due: the next pass of its runner takes it.</summary>
    Ready,

    /// <summary>Kept queued with a not-before time in the future.</summary>
    DueLater,

    /// <summary>Taken by a runner now.</summary>
    InProgress,

    /// <summary>In <c>bad</c>: preserved with a reason (unreadable, a likely poison message, unshuntable).</summary>
    Preserved,

    /// <summary>In <c>shunt</c>: its processing failed; the error is in its metadata.</summary>
    Shunted,
}

/// <summary>The order of a listing.</summary>
public enum EntryOrder
{
    /// <summary>FIFO: the oldest due time first.</summary>
    OldestFirst,

    /// <summary>The newest due time first.</summary>
    NewestFirst,
}

/// <summary>Which page of a queue's entries.</summary>
/// <param name="Offset">How many entries to skip.</param>
/// <param name="Limit">The most entries to return (1 to <see cref="MaxLimit"/>).</param>
/// <param name="Order">The order.</param>
/// <param name="State">Only entries in this state; null for all.</param>
public sealed record EntryQuery(int Offset = 0, int Limit = 100, EntryOrder Order = EntryOrder.OldestFirst, EntryState? State = null)
{
    /// <summary>The largest page.</summary>
    public const int MaxLimit = 10_000;
}

/// <summary>One page of entries.</summary>
/// <param name="Total">How many entries match the query in all.</param>
/// <param name="Entries">This page.</param>
public sealed record EntryPage(int Total, IReadOnlyList<EntrySummary> Entries);

/// <summary>An entry as listed, without reading its content.</summary>
/// <param name="Id">Its id.</param>
/// <param name="State">Where it stands.</param>
/// <param name="Due">When it is (or was) due; null when its id carries no time (a quarantined name in <c>bad</c>).</param>
/// <param name="Size">Its stored size in bytes.</param>
/// <param name="PreservedAt">For a preserved entry: when it was preserved.</param>
/// <param name="Reason">For a preserved entry: why.</param>
public sealed record EntrySummary(string Id, EntryState State, DateTimeOffset? Due, long Size, DateTimeOffset? PreservedAt = null, string? Reason = null);

/// <summary>What <see cref="IQueueInspector.DiscardAsync"/> did.</summary>
public enum DiscardOutcome
{
    /// <summary>The entry is gone.</summary>
    Discarded,

    /// <summary>There was no such entry.</summary>
    NotFound,

    /// <summary>A runner holds the entry now; nothing was deleted.</summary>
    InProgress,
}
