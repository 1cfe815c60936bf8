using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using RunnerHost.Queues;

namespace RunnerHost.Plugins.Rest;

/// <summary>One entry as listed: its name, when it is due, and whether a runner holds it.</summary>
internal sealed record QueueItem(string Filebase, DateTimeOffset Due, string State);

/// <summary>An entry read without taking it: the metadata object and the message bytes, or why it cannot be read.</summary>
internal sealed record EntryContent(string State, JsonElement? Metadata, byte[]? Message, string? Problem);

/// <summary>
/// Read-only access to queue entries by file name (docs/queue-format.md). The contract's
/// <see cref="ISwitchboard"/> can only take entries, and a read must not disturb a runner, so entries
/// are read from <c>queue_dir/NAME/</c>; everything that changes a queue goes through the switchboards.
/// </summary>
internal sealed partial class QueueFiles(string queueDir, ISwitchboardRegistry queues)
{
    private const int TrailerLength = 70;

    public IReadOnlyList<string> Names => queues.Names;

    public ISwitchboard? Find(string name) => queues.TryGet(name, out var switchboard) ? switchboard : null;

    /// <summary>True for names shaped like <c>&lt;time&gt;+&lt;40 hex&gt;</c>; anything else (a <c>/</c>, <c>..</c>, …) is refused before it reaches the file system.</summary>
    public static bool IsFilebase(string filebase) => FilebasePattern().IsMatch(filebase);

    /// <summary>The entries of a queue, FIFO: ready (<c>.pck</c>, or <c>.psv</c> in bad) and taken (<c>.bak</c>).</summary>
    public static IReadOnlyList<QueueItem> List(ISwitchboard queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        string ready = ReadyExtension(queue.Name);
        return
        [
            .. queue.GetFiles(ready).Select(f => new QueueItem(f, DueTime(f), "ready"))
                .Concat(queue.GetFiles(".bak").Select(f => new QueueItem(f, DueTime(f), "taken")))
                .OrderBy(i => i.Due).ThenBy(i => i.Filebase, StringComparer.Ordinal),
        ];
    }

    /// <summary>When an entry becomes due: the time part of its name.</summary>
    public static DateTimeOffset DueTime(string filebase)
    {
        string time = filebase.Split('+')[0];
        return double.TryParse(time, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds)
            ? DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond))
            : DateTimeOffset.UnixEpoch;
    }

    public static string ReadyExtension(string queueName) => queueName == QueueNames.Bad ? ".psv" : ".pck";

    public string DirectoryOf(string queueName) => Path.Combine(queueDir, queueName);

    /// <summary>Reads an entry in place; null when there is no such file.</summary>
    public async Task<EntryContent?> ReadAsync(string queueName, string filebase, CancellationToken cancellationToken)
    {
        foreach (var (extension, state) in new[] { (ReadyExtension(queueName), "ready"), (".bak", "taken") })
        {
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(Path.Combine(DirectoryOf(queueName), filebase + extension), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                continue;
            }

            return Parse(bytes, state);
        }

        return null;
    }

    private static EntryContent Parse(byte[] bytes, string state)
    {
        int newline = Array.IndexOf(bytes, (byte)'\n', 0, Math.Min(bytes.Length, 128));
        var fields = newline < 0 ? [] : Encoding.ASCII.GetString(bytes, 0, newline).Split(' ');
        if (fields.Length != 4 || fields[0] != "RUNNERHOST-QUEUE" || fields[1] != "1"
            || !int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out int metadataLength)
            || !int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out int messageLength))
        {
            return new EntryContent(state, null, null, "malformed header (not a version 1 queue entry)");
        }

        long end = (long)newline + 1 + metadataLength + messageLength;
        if (bytes.Length != end + TrailerLength)
        {
            return new EntryContent(state, null, null, $"truncated or too long: expected {end + TrailerLength} bytes got {bytes.Length}");
        }

        string trailer = Encoding.ASCII.GetString(bytes, (int)end, TrailerLength);
        string hash = Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(0, (int)end)));
        if (trailer != $"\nEND {hash}\n")
        {
            return new EntryContent(state, null, null, "checksum mismatch or malformed trailer");
        }

        try
        {
            using var document = JsonDocument.Parse(bytes.AsMemory(newline + 1, metadataLength));
            return new EntryContent(state, document.RootElement.Clone(), bytes[(newline + 1 + metadataLength)..(int)end], null);
        }
        catch (JsonException ex)
        {
            return new EntryContent(state, null, null, $"metadata JSON invalid: {ex.Message}");
        }
    }

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)?\+[0-9a-f]{40}$")]
    private static partial Regex FilebasePattern();
}
