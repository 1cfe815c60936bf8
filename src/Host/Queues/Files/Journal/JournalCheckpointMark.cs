using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using RunnerHost.Hosting.IO;

namespace RunnerHost.Hosting.Queues.Files.Journal;

/// <summary>
/// The latest checkpoint of a queue's journal in one boot: <c>.journal/checkpoint.BOOTID</c>, one line
/// <c>RHJCHECKPOINT 1 STAMP CHECKSUM</c>. Written only after a <c>syncfs</c> that began at STAMP, so
/// every entry whose record is older was on the disk in the state it had then (present, or durably
/// completed). A torn or damaged mark reads as none: the careful side.
/// </summary>
internal static class JournalCheckpointMark
{
    private const string Prefix = "checkpoint.";

    /// <summary>The stamp of the latest checkpoint of <paramref name="bootId"/>, or null.</summary>
    public static long? Read(string journalDirectory, string? bootId)
    {
        if (bootId is null)
        {
            return null;
        }

        try
        {
            var info = new FileInfo(Path.Combine(journalDirectory, Prefix + bootId));
            if (!info.Exists || info.Length > 256)
            {
                return null;
            }

            var parts = File.ReadAllText(info.FullName, Encoding.ASCII).TrimEnd('\n').Split(' ');
            return parts.Length == 4 && parts[0] == "RHJCHECKPOINT" && parts[1] == "1"
                && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long stamp)
                && parts[3] == Checksum(bootId, parts[2])
                ? stamp
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Records a checkpoint durably. Two writers racing may leave the older stamp: that only makes
    /// the recovery more careful (it may offer a completed entry again), never lose one.
    /// </summary>
    public static void Write(string journalDirectory, string? bootId, long stamp)
    {
        if (bootId is null)
        {
            return;
        }

        string text = string.Create(CultureInfo.InvariantCulture, $"RHJCHECKPOINT 1 {stamp} {Checksum(bootId, stamp.ToString(CultureInfo.InvariantCulture))}\n");
        string final = Path.Combine(journalDirectory, Prefix + bootId);
        DurableFiles.Publish($"{final}.{Environment.ProcessId}.tmp", final, Encoding.ASCII.GetBytes(text), fsync: true, replaceExisting: true);
    }

    private static string Checksum(string bootId, string stamp) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes($"{bootId} {stamp}")))[..16];
}
