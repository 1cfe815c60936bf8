using System.Buffers;
using System.Diagnostics;

namespace RunnerHost.Hosting.Queues.Files.Journal;

/// <summary>
/// Which boot of the machine this is, and a clock every process of that boot shares: together they
/// tell the recovery whether a power cut or a reboot came between a record and now.
/// </summary>
internal static class JournalBoot
{
    private static readonly SearchValues<char> BootIdCharacters = SearchValues.Create("0123456789abcdef-");

    /// <summary>Whether <paramref name="id"/> looks like a kernel boot id (lowercase hex and dashes, at most 48 characters).</summary>
    public static bool IsBootId(string id) => id.Length is > 0 and <= 48 && id.AsSpan().IndexOfAnyExcept(BootIdCharacters) < 0;

    /// <summary>The kernel's boot id, or null when it cannot be read (then every segment counts as from another boot: the careful side).</summary>
    public static string? CurrentId()
    {
        try
        {
            string id = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
            return IsBootId(id) ? id : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Nanoseconds on the monotonic clock (CLOCK_MONOTONIC on Linux: one clock for every process of a boot).</summary>
    public static long Now()
    {
        long ticks = Stopwatch.GetTimestamp();
        return Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * (1e9 / Stopwatch.Frequency));
    }
}
