using System.Globalization;

namespace RunnerHost.Hosting.Cli;

/// <summary>A runner spec: <c>NAME</c> (the whole queue) or <c>NAME:SLICE:COUNT</c>.</summary>
public sealed record RunnerSpec(string Name, int Slice, int Count, bool Explicit)
{
    public static RunnerSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':');
        if (parts.Length == 1 && parts[0].Length > 0)
        {
            return new RunnerSpec(parts[0], 0, 1, Explicit: false);
        }

        if (parts.Length != 3 || parts[0].Length == 0)
        {
            throw new UsageException($"bad runner spec '{text}': expected NAME or NAME:SLICE:COUNT");
        }

        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int slice)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int count))
        {
            throw new UsageException($"bad runner spec '{text}': slice and count must be non-negative integers");
        }

        if (count < 1 || slice >= count)
        {
            throw new UsageException($"bad runner spec '{text}': slice must be below count and count at least 1");
        }

        return new RunnerSpec(parts[0], slice, count, Explicit: true);
    }
}
