using RunnerHost.Host.Queues;
using RunnerHost.Queues;

namespace RunnerHost.Host.Operations;

/// <summary>
/// A queue's depth per slice and the age histogram of its entries, in the spirit of Postfix's
/// qshape. Computed from file names only (the filebase time), never by opening entries.
/// </summary>
/// <param name="Name">The queue name.</param>
/// <param name="Directory">The queue directory.</param>
/// <param name="SliceCount">The number of slices (the runner's <c>instances</c>).</param>
/// <param name="PerSlice">Entries per slice (by <see cref="SliceMath"/> over the digest).</param>
/// <param name="Depth">All entries: ready (<c>.pck</c>, or <c>.psv</c> in bad) and taken (<c>.bak</c>).</param>
/// <param name="NotYetDue">Entries whose time is in the future (kept queued with a not-before time).</param>
/// <param name="Ages">Due entries per age bucket (<see cref="QueueShapes.BucketLabels"/>).</param>
/// <param name="Taken">Entries being processed (<c>.bak</c>).</param>
/// <param name="OldestAge">Age of the oldest due entry; null when none is due.</param>
/// <param name="NextDue">When the soonest entry that is not yet due becomes due; null when none waits.</param>
/// <param name="Strays">Names nothing will process (directories, unknown files, <c>.pck</c> in bad) and entry files whose names do not parse (a runner quarantines those).</param>
/// <param name="ListingProblem">Why the directory could not be listed, when it could not.</param>
public sealed record QueueShape(
    string Name,
    string Directory,
    int SliceCount,
    IReadOnlyList<int> PerSlice,
    int Depth,
    int NotYetDue,
    IReadOnlyList<int> Ages,
    int Taken,
    TimeSpan? OldestAge,
    DateTimeOffset? NextDue = null,
    IReadOnlyList<ScannedName>? Strays = null,
    string? ListingProblem = null);

/// <summary>Measures <see cref="QueueShape"/>s.</summary>
public static class QueueShapes
{
    /// <summary>Upper bounds of the age buckets in minutes (qshape's doubling); the last bucket is open.</summary>
    public static readonly IReadOnlyList<int> BucketMinutes = [1, 5, 10, 20, 40, 80, 160];

    public static readonly IReadOnlyList<string> BucketLabels = ["0-1m", "1-5m", "5-10m", "10-20m", "20-40m", "40-80m", "80-160m", "160m+"];

    /// <summary>Measures one queue directory at <paramref name="now"/>.</summary>
    public static QueueShape Measure(string name, string directory, int sliceCount, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(name);
        var perSlice = new int[sliceCount];
        var ages = new int[BucketLabels.Count];
        int depth = 0, notYetDue = 0, taken = 0;
        TimeSpan? oldest = null;
        DateTimeOffset? nextDue = null;
        var strays = new List<ScannedName>();
        double nowSeconds = QueueFileName.ToUnixSeconds(now);
        var names = QueueDirectoryScan.Scan(directory, name == QueueNames.Bad, now, out string? problem);
        foreach (var scanned in names)
        {
            double time;
            switch (scanned)
            {
                case { Kind: ScannedKind.Stray or ScannedKind.BadName }:
                    strays.Add(scanned);
                    continue;
                case { Kind: ScannedKind.Ready or ScannedKind.Taken or ScannedKind.Preserved, Parts: { } parts }:
                    perSlice[SliceMath.SliceOf(parts.Digest, sliceCount)]++;
                    time = parts.Time;
                    break;
                case { Kind: ScannedKind.Preserved }:
                    // A quarantined name carries no time: its age is the file's.
                    perSlice[0]++;
                    time = QueueFileName.ToUnixSeconds(new DateTimeOffset(File.GetLastWriteTimeUtc(Path.Combine(directory, scanned.FileName)), TimeSpan.Zero));
                    break;
                default:
                    continue;
            }

            depth++;
            taken += scanned.Kind == ScannedKind.Taken ? 1 : 0;
            if (time > nowSeconds)
            {
                notYetDue++;
                var due = QueueFileName.FromUnixSeconds(time);
                nextDue = nextDue is { } soonest && soonest <= due ? soonest : due;
                continue;
            }

            var age = TimeSpan.FromSeconds(nowSeconds - time);
            ages[Bucket(age)]++;
            oldest = oldest is { } o && o > age ? o : age;
        }

        return new QueueShape(name, directory, sliceCount, perSlice, depth, notYetDue, ages, taken, oldest, nextDue, strays, problem);
    }

    private static int Bucket(TimeSpan age)
    {
        for (int i = 0; i < BucketMinutes.Count; i++)
        {
            if (age.TotalMinutes < BucketMinutes[i])
            {
                return i;
            }
        }

        return BucketMinutes.Count;
    }
}
