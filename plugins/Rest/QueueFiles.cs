using System.Text.Json;
using RunnerHost.Host.Queues;
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
/// Names, files and entries are read by the host's own parsers (compiled in from src/Host/Queues, see
/// Rest.csproj), so the API and the runners never disagree about an entry.
/// </summary>
internal sealed class QueueFiles(string queueDir, ISwitchboardRegistry queues, TimeProvider clock)
{
    public IReadOnlyList<string> Names => queues.Names;

    public ISwitchboard? Find(string name) => queues.TryGet(name, out var switchboard) ? switchboard : null;

    /// <summary>True for names the host's parser accepts as <c>&lt;time&gt;+&lt;40 hex&gt;</c>; anything else (a <c>/</c>, <c>..</c>, …) is refused before it reaches the file system.</summary>
    public bool IsFilebase(string filebase) => QueueFileName.TryParse(filebase, clock.GetUtcNow(), out _, out _);

    /// <summary>The entries of a queue, FIFO: ready (<c>.pck</c>, or <c>.psv</c> in bad) and taken (<c>.bak</c>).</summary>
    public IReadOnlyList<QueueItem> List(ISwitchboard queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        string ready = ReadyExtension(queue.Name);
        var now = clock.GetUtcNow();
        return
        [
            .. Items(queue.GetFiles(ready), "ready", now)
                .Concat(Items(queue.GetFiles(QueueDirectoryScan.TakenExtension), "taken", now))
                .OrderBy(i => i.Due).ThenBy(i => i.Filebase, StringComparer.Ordinal),
        ];
    }

    /// <summary>When an entry becomes due: the time part of its name; null when the name does not parse.</summary>
    public DateTimeOffset? DueTime(string filebase) =>
        QueueFileName.TryParse(filebase, clock.GetUtcNow(), out var parts, out _) ? parts.Due : null;

    public static string ReadyExtension(string queueName) =>
        queueName == QueueNames.Bad ? QueueDirectoryScan.PreservedExtension : QueueDirectoryScan.ReadyExtension;

    public string DirectoryOf(string queueName) => Path.Combine(queueDir, queueName);

    /// <summary>Reads an entry in place; null when there is no such file.</summary>
    public Task<EntryContent?> ReadAsync(string queueName, string filebase, CancellationToken cancellationToken)
    {
        foreach (var (extension, state) in new[] { (ReadyExtension(queueName), "ready"), (QueueDirectoryScan.TakenExtension, "taken") })
        {
            cancellationToken.ThrowIfCancellationRequested();
            var read = EntryFileReader.Read(Path.Combine(DirectoryOf(queueName), filebase + extension));
            if (read.IsMissing)
            {
                continue;
            }

            return Task.FromResult<EntryContent?>(read.Bytes is { } bytes ? Parse(bytes, state) : new EntryContent(state, null, null, read.Problem));
        }

        return Task.FromResult<EntryContent?>(null);
    }

    private static IEnumerable<QueueItem> Items(IEnumerable<string> filebases, string state, DateTimeOffset now)
    {
        foreach (string filebase in filebases)
        {
            // The switchboard lists only names that parse; one that does not is skipped, never guessed at.
            if (QueueFileName.TryParse(filebase, now, out var parts, out _))
            {
                yield return new QueueItem(filebase, parts.Due, state);
            }
        }
    }

    private static EntryContent Parse(byte[] bytes, string state)
    {
        var content = QueueFileFormat.ReadWhatYouCan(bytes);
        if (content.Problems.Count > 0)
        {
            return new EntryContent(state, null, null, string.Join("; ", content.Problems));
        }

        using var document = JsonDocument.Parse(MetadataJson.Serialize(content.Metadata!));
        return new EntryContent(state, document.RootElement.Clone(), content.Message!.Value.ToArray(), null);
    }
}
