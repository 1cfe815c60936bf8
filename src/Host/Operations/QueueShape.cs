using System.Text.RegularExpressions;
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
public sealed record QueueShape(string Name, string Directory, int SliceCount, IReadOnlyList<int> PerSlice, int Depth, int NotYetDue, IReadOnlyList<int> Ages, int Taken, TimeSpan? OldestAge);

/// <summary>Measures <see cref="QueueShape"/>s.</summary>
public static partial class QueueShapes
{
    /// <summary>Upper bounds of the age buckets in minutes (qshape's doubling); the last bucket is open.</summary>
    public static readonly IReadOnlyList<int> BucketMinutes = [1, 5, 10, 20, 40, 80, 160];

    public static readonly IReadOnlyList<string> BucketLabels = ["0-1m", "1-5m", "5-10m", "10-20m", "20-40m", "40-80m", "80-160m", "160m+"];

    /// <summary>Measures one queue directory at <paramref name="now"/>.</summary>
    public static QueueShape Measure(string name, string directory, int sliceCount, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(name);
        string ready = name == QueueNames.Bad ? PreservedEntries.Extension : ".pck";
        var perSlice = new int[sliceCount];
        var ages = new int[BucketLabels.Count];
        int depth = 0, notYetDue = 0, taken = 0;
        TimeSpan? oldest = null;
        double nowSeconds = QueueFileName.ToUnixSeconds(now);
        foreach (var path in EnumerateFiles(directory))
        {
            string file = Path.GetFileName(path);
            string extension = Path.GetExtension(file);
            bool isTaken = extension == ".bak";
            if (extension != ready && !isTaken)
            {
                continue;
            }

            depth++;
            taken += isTaken ? 1 : 0;
            // Preserved copies get a -N suffix when the name was taken.
            string filebase = UniqueSuffix().Replace(file[..^extension.Length], string.Empty);
            double time;
            if (QueueFileName.TryParse(filebase, out var parts, out _))
            {
                perSlice[SliceMath.SliceOf(parts.Digest, sliceCount)]++;
                time = parts.Time;
            }
            else
            {
                perSlice[0]++;
                time = QueueFileName.ToUnixSeconds(new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero));
            }

            if (time > nowSeconds)
            {
                notYetDue++;
                continue;
            }

            var age = TimeSpan.FromSeconds(nowSeconds - time);
            ages[Bucket(age)]++;
            oldest = oldest is { } o && o > age ? o : age;
        }

        return new QueueShape(name, directory, sliceCount, perSlice, depth, notYetDue, ages, taken, oldest);
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

    private static IEnumerable<string> EnumerateFiles(string directory)
    {
        try
        {
            return [.. System.IO.Directory.EnumerateFiles(directory)];
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    [GeneratedRegex(@"-[0-9]+$")]
    private static partial Regex UniqueSuffix();
}
