using RunnerHost.Host.Queues;

namespace RunnerHost.Host.Supervision;

/// <summary>Per slice of one queue directory: how many entries wait (<c>.pck</c>) and the oldest one's time. One directory listing, no file opened.</summary>
public static class QueueDepth
{
    public static (int Count, DateTimeOffset? Oldest)[] Measure(string directory, int sliceCount)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var result = new (int Count, DateTimeOffset? Oldest)[sliceCount];
        if (!Directory.Exists(directory))
        {
            return result;
        }

        foreach (string file in Directory.EnumerateFiles(directory, "*.pck"))
        {
            if (!QueueFileName.TryParse(Path.GetFileNameWithoutExtension(file), out var parts, out _))
            {
                continue;
            }

            int slice = SliceMath.SliceOf(parts.Digest, sliceCount);
            var time = QueueFileName.FromUnixSeconds(parts.Time);
            var (count, oldest) = result[slice];
            result[slice] = (count + 1, oldest is null || time < oldest ? time : oldest);
        }

        return result;
    }
}
