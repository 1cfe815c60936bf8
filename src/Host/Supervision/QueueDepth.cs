using RunnerHost.Host.Queues;

namespace RunnerHost.Host.Supervision;

/// <summary>Per slice of one queue directory: how many entries wait (<c>.pck</c>) and the oldest one's time. One directory listing, no file opened.</summary>
public static class QueueDepth
{
    public static (int Count, DateTimeOffset? Oldest)[] Measure(string directory, int sliceCount) =>
        Measure(directory, sliceCount, DateTimeOffset.UtcNow);

    public static (int Count, DateTimeOffset? Oldest)[] Measure(string directory, int sliceCount, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var result = new (int Count, DateTimeOffset? Oldest)[sliceCount];
        foreach (var name in QueueDirectoryScan.Scan(directory, isBadDirectory: false, now, out _))
        {
            if (name is not { Kind: ScannedKind.Ready, Parts: { } parts })
            {
                continue;
            }

            int slice = SliceMath.SliceOf(parts.Digest, sliceCount);
            var time = parts.Due;
            var (count, oldest) = result[slice];
            result[slice] = (count + 1, oldest is null || time < oldest ? time : oldest);
        }

        return result;
    }

    /// <summary>The names in a queue directory that nothing will process: strays, and entry files whose names do not parse.</summary>
    public static int CountStrays(string directory, bool isBadDirectory, DateTimeOffset now) =>
        QueueDirectoryScan.Scan(directory, isBadDirectory, now, out _).Count(n => n.Kind is ScannedKind.Stray or ScannedKind.BadName);
}
