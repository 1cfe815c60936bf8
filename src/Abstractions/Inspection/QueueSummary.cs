namespace RunnerHost.Inspection;

/// <summary>A queue at one moment, measured without opening entries.</summary>
/// <param name="Name">The queue name.</param>
/// <param name="Slices">Per slice of the configured instance count.</param>
/// <param name="Depth">All entries: ready, due later and in progress (preserved ones in <c>bad</c>).</param>
/// <param name="NotYetDue">Entries kept queued with a not-before time in the future.</param>
/// <param name="InProgress">Entries a runner holds now.</param>
/// <param name="OldestAge">Age of the oldest due entry; null when none is due.</param>
/// <param name="NextDue">When the soonest entry kept for later becomes due; null when none waits.</param>
/// <param name="Ages">Due entries per age bucket (<see cref="AgeBuckets"/>).</param>
/// <param name="StrayCount">What is stored where the queue is but will never be processed (damaged names, unknown files).</param>
/// <param name="Strays">The first of those, named, with why (at most <see cref="MaxStraysListed"/>).</param>
/// <param name="Problem">Why the queue could not be measured (storage unreachable, not listable); null when it was.</param>
public sealed record QueueSummary(
    string Name,
    IReadOnlyList<SliceSummary> Slices,
    int Depth,
    int NotYetDue,
    int InProgress,
    TimeSpan? OldestAge,
    DateTimeOffset? NextDue,
    IReadOnlyList<int> Ages,
    int StrayCount,
    IReadOnlyList<StrayEntry> Strays,
    string? Problem)
{
    /// <summary>How many strays a summary names.</summary>
    public const int MaxStraysListed = 100;

    /// <summary>Upper bounds of the age buckets in minutes (Postfix qshape's doubling); the last bucket is open.</summary>
    public static IReadOnlyList<int> AgeBucketMinutes { get; } = [1, 5, 10, 20, 40, 80, 160];

    /// <summary>The labels of <see cref="Ages"/>.</summary>
    public static IReadOnlyList<string> AgeBuckets { get; } = ["0-1m", "1-5m", "5-10m", "10-20m", "20-40m", "40-80m", "80-160m", "160m+"];

    /// <summary>The bucket of an age.</summary>
    /// <param name="age">The age of an entry.</param>
    public static int BucketOf(TimeSpan age)
    {
        for (int i = 0; i < AgeBucketMinutes.Count; i++)
        {
            if (age.TotalMinutes < AgeBucketMinutes[i])
            {
                return i;
            }
        }

        return AgeBucketMinutes.Count;
    }
}

/// <summary>One slice of a queue.</summary>
/// <param name="Entries">All its entries (ready, due later and in progress).</param>
/// <param name="Waiting">Entries not taken by a runner (ready or due later).</param>
/// <param name="OldestWaiting">The earliest due time among <paramref name="Waiting"/>; null when there are none.</param>
public sealed record SliceSummary(int Entries, int Waiting, DateTimeOffset? OldestWaiting);

/// <summary>Something stored with a queue that no runner will ever process.</summary>
/// <param name="Name">Its name where it is stored.</param>
/// <param name="Problem">Why nothing processes it.</param>
public sealed record StrayEntry(string Name, string Problem);
