using MimeKit;
using RunnerHost.Inspection;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Plugins.Rest.Dashboard;

/// <summary>One shunted entry with what its error record says.</summary>
public sealed record ShuntedEntry(string Id, string? Subject, string? Runner, string? Queue, string? Time, string? Stack);

/// <summary>Shunted entries that failed the same way: the exception type and message.</summary>
public sealed record ShuntGroup(string Key, string Type, string Message, IReadOnlyList<ShuntedEntry> Entries);

/// <summary>The shunt queue, grouped by how its entries failed, oldest first.</summary>
/// <param name="Groups">The groups, largest first.</param>
/// <param name="Total">Entries in shunt.</param>
/// <param name="Shown">Entries read into the groups (at most <see cref="MaxRead"/>).</param>
public sealed record ShuntGroups(IReadOnlyList<ShuntGroup> Groups, int Total, int Shown)
{
    /// <summary>Each entry is opened to read its error record; a page reads at most this many.</summary>
    public const int MaxRead = 500;

    private const int MaxMessageLength = 500;

    internal static async Task<ShuntGroups> ReadAsync(IQueueInspector inspector, CancellationToken cancellationToken)
    {
        if (!inspector.QueueNames.Contains(QueueNames.Shunt, StringComparer.Ordinal))
        {
            return new ShuntGroups([], 0, 0);
        }

        var page = await inspector.ListAsync(QueueNames.Shunt, new EntryQuery(0, MaxRead), cancellationToken).ConfigureAwait(false);
        var entries = new List<(string Type, string Message, ShuntedEntry Entry)>();
        foreach (var summary in page.Entries)
        {
            if (await inspector.ReadAsync(QueueNames.Shunt, summary.Id, cancellationToken).ConfigureAwait(false) is not { } entry)
            {
                continue; // Replayed or discarded since the listing.
            }

            var error = entry.Error;
            string type = error?.GetString(ErrorRecordKeys.Type) ?? (entry.Damaged ? "(damaged entry)" : "(no error record)");
            string message = OneLine(error?.GetString(ErrorRecordKeys.Message) ?? string.Join("; ", entry.Problems));
            entries.Add((type, message, new ShuntedEntry(
                entry.Id,
                SubjectOf(entry.Message),
                error?.GetString(ErrorRecordKeys.Runner),
                error?.GetString(ErrorRecordKeys.Queue),
                error?.GetString(ErrorRecordKeys.Time),
                error?.GetString(ErrorRecordKeys.Stack))));
        }

        var groups = entries
            .GroupBy(e => (e.Type, e.Message))
            .Select(g => new ShuntGroup(KeyOf(g.Key.Type, g.Key.Message), g.Key.Type, g.Key.Message, [.. g.Select(e => e.Entry)]))
            .OrderByDescending(g => g.Entries.Count)
            .ThenBy(g => g.Type, StringComparer.Ordinal)
            .ToList();
        return new ShuntGroups(groups, page.Total, entries.Count);
    }

    /// <summary>A group's name in a form: stable across page loads, and free of anything a form field could not carry.</summary>
    public static string KeyOf(string type, string message) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(type + "\n" + message)))[..16];

    private static string OneLine(string text)
    {
        string line = text.ReplaceLineEndings(" ").Trim();
        return line.Length > MaxMessageLength ? line[..MaxMessageLength] + "…" : line;
    }

    private static string? SubjectOf(ReadOnlyMemory<byte>? bytes)
    {
        if (bytes is not { Length: > 0 } content)
        {
            return null;
        }

        try
        {
            using var stream = new MemoryStream(content.ToArray(), writable: false);
            return HeaderList.Load(stream)[HeaderId.Subject];
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
