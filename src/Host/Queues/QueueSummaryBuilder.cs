using RunnerHost.Inspection;

namespace RunnerHost.Hosting.Queues;

/// <summary>
/// Adds up one queue's entries into a <see cref="QueueSummary"/>, the same way for every back end: depth
/// and waiting entries per slice, what is in a runner's hands, what is not yet due, and the age buckets.
/// </summary>
public sealed class QueueSummaryBuilder
{
    private readonly string _name;
    private readonly int[] _entries;
    private readonly int[] _waiting;
    private readonly DateTimeOffset?[] _oldestWaiting;
    private readonly int[] _ages = new int[QueueSummary.AgeBuckets.Count];
    private readonly List<StrayEntry> _strays = [];
    private readonly DateTimeOffset _now;
    private int _depth;
    private int _notYetDue;
    private int _inProgress;
    private int _strayCount;
    private TimeSpan? _oldest;
    private DateTimeOffset? _nextDue;

    public QueueSummaryBuilder(string name, int sliceCount, DateTimeOffset now)
    {
        _name = name;
        int count = SliceMath.IsValidSliceCount(sliceCount) ? sliceCount : 1;
        _entries = new int[count];
        _waiting = new int[count];
        _oldestWaiting = new DateTimeOffset?[count];
        _now = now;
    }

    /// <summary>The slice count summaries are made for (1 when the configured one is invalid).</summary>
    public int SliceCount => _entries.Length;

    /// <summary>Counts one entry of <paramref name="slice"/>, due (or, for a preserved entry, written) at <paramref name="time"/>; <paramref name="waitingSince"/> is null for one in a runner's hands or without a due time of its own.</summary>
    public void Add(int slice, DateTimeOffset time, bool inProgress, DateTimeOffset? waitingSince)
    {
        _depth++;
        _entries[slice]++;
        if (inProgress)
        {
            _inProgress++;
        }
        else if (waitingSince is { } due)
        {
            _waiting[slice]++;
            _oldestWaiting[slice] = _oldestWaiting[slice] is { } o && o <= due ? o : due;
        }

        if (time > _now)
        {
            _notYetDue++;
            _nextDue = _nextDue is { } soonest && soonest <= time ? soonest : time;
            return;
        }

        var age = _now - time;
        _ages[QueueSummary.BucketOf(age)]++;
        _oldest = _oldest is { } old && old > age ? old : age;
    }

    /// <summary>Counts something stored with the queue that is no entry (listed up to <see cref="QueueSummary.MaxStraysListed"/>).</summary>
    public void AddStray(string name, string problem)
    {
        if (_strayCount++ < QueueSummary.MaxStraysListed)
        {
            _strays.Add(new StrayEntry(name, problem));
        }
    }

    public QueueSummary Build(string? problem) => new(
        _name,
        [.. Enumerable.Range(0, _entries.Length).Select(i => new SliceSummary(_entries[i], _waiting[i], _oldestWaiting[i]))],
        _depth,
        _notYetDue,
        _inProgress,
        _oldest,
        _nextDue,
        _ages,
        _strayCount,
        _strays,
        problem);
}
