using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Plugins.Rest;

/// <summary>The outcome of replaying one shunt entry.</summary>
internal sealed record ReplayOutcome(string Filebase, ReplayStatus Status, string? Queue = null, string? NewFilebase = null, string? Problem = null);

internal enum ReplayStatus
{
    Replayed,
    NotFound,
    AlreadyReplayed,
    NoSuchQueue,
    Failed,
}

/// <summary>
/// Replays shunted entries the way the host's <c>unshunt</c> does (the plugin cannot call the host):
/// take the entry from shunt, enqueue its exact bytes into its <c>whichq</c> (default <c>in</c>) with
/// the same replay metadata, record it in <c>shunt/replayed.journal</c> and only then remove it. An
/// entry already in the journal is refused, so a crash between enqueue and removal never sends a
/// message twice. Replays of this process run one at a time.
/// </summary>
internal sealed class ShuntReplay(QueueFiles files, TimeProvider clock, ILoggerFactory loggerFactory) : IDisposable
{
    private const string ReplayedFromKey = "replayed_from";
    private const string ReplayCountKey = "replay_count";
    private const string LastErrorKey = "last_error";
    private const string JournalName = "replayed.journal";

    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly ILogger _logger = loggerFactory.CreateLogger("RunnerHost.Plugins.Rest.ShuntReplay");

    public async Task<IReadOnlyList<ReplayOutcome>> ReplayAsync(IReadOnlyList<string>? filebases, CancellationToken cancellationToken)
    {
        var shunt = files.Find(QueueNames.Shunt) ?? throw new InvalidOperationException("no shunt queue is configured");
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var journal = ReadJournal();
            var present = shunt.GetFiles();
            var outcomes = new List<ReplayOutcome>();
            foreach (var filebase in filebases ?? present)
            {
                outcomes.Add(present.Contains(filebase)
                    ? await ReplayOneAsync(shunt, filebase, journal, cancellationToken).ConfigureAwait(false)
                    : new ReplayOutcome(filebase, ReplayStatus.NotFound, Problem: "no such entry in shunt"));
            }

            return outcomes;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<ReplayOutcome> ReplayOneAsync(ISwitchboard shunt, string filebase, Dictionary<string, string> journal, CancellationToken cancellationToken)
    {
        if (journal.TryGetValue(filebase, out var record))
        {
            return new ReplayOutcome(filebase, ReplayStatus.AlreadyReplayed, Problem: $"already replayed ({record}); refusing to replay it twice");
        }

        QueueEntry entry;
        try
        {
            entry = await shunt.DequeueAsync(filebase, cancellationToken).ConfigureAwait(false);
        }
        catch (QueueEntryNotFoundException)
        {
            return new ReplayOutcome(filebase, ReplayStatus.NotFound, Problem: "taken by another process meanwhile");
        }
        catch (Exception ex) when (ex is QueueEntryCorruptException or IOException)
        {
            await shunt.ReleaseAsync(filebase, CancellationToken.None).ConfigureAwait(false);
            return new ReplayOutcome(filebase, ReplayStatus.Failed, Problem: $"unreadable: {ex.Message}");
        }

        string target = entry.Metadata.WhichQueue ?? QueueNames.In;
        if (files.Find(target) is not { } queue)
        {
            await shunt.ReleaseAsync(filebase, CancellationToken.None).ConfigureAwait(false);
            return new ReplayOutcome(filebase, ReplayStatus.NoSuchQueue, Queue: target, Problem: $"no such queue: {target} (its whichq); the entry stays in shunt");
        }

        string newFilebase;
        try
        {
            newFilebase = await queue.EnqueueRawAsync(entry.RawMessage, ReplayMetadata(entry), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or OperationCanceledException)
        {
            await shunt.ReleaseAsync(filebase, CancellationToken.None).ConfigureAwait(false);
            return new ReplayOutcome(filebase, ReplayStatus.Failed, Queue: target, Problem: $"enqueue into {target} failed: {ex.Message}");
        }

        // Journal before removal: if we die in between, the next replay refuses the leftover instead of sending it twice.
        AppendJournal(filebase, target, newFilebase);
        journal[filebase] = $"to {target} as {newFilebase}";
        await shunt.FinishAsync(filebase, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        _logger.LogInformation("Unshunted {Filebase} -> {Queue} {NewFilebase}", filebase, target, newFilebase);
        return new ReplayOutcome(filebase, ReplayStatus.Replayed, target, newFilebase);
    }

    public void Dispose() => _oneAtATime.Dispose();

    private static MessageData ReplayMetadata(QueueEntry entry)
    {
        var metadata = entry.Metadata.Clone();
        if (metadata.GetNested(MessageDataKeys.Error) is { } error)
        {
            metadata[LastErrorKey] = error;
        }

        metadata.Remove(MessageDataKeys.Error);
        metadata.Remove(MessageDataKeys.WhichQueue);
        metadata[ReplayedFromKey] = entry.Filebase;
        metadata[ReplayCountKey] = (metadata.TryGetInt64(ReplayCountKey, out long count) ? count : 0) + 1;
        return metadata;
    }

    private string JournalPath => Path.Combine(files.DirectoryOf(QueueNames.Shunt), JournalName);

    /// <summary>Filebase → a description of its replay, from the journal the host's <c>unshunt</c> shares (one <c>FILEBASE QUEUE NEW-FILEBASE TIME</c> line each).</summary>
    private Dictionary<string, string> ReadJournal()
    {
        var records = new Dictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(JournalPath))
        {
            foreach (var fields in File.ReadLines(JournalPath).Select(l => l.Split(' ')).Where(f => f.Length == 4))
            {
                records[fields[0]] = $"to {fields[1]} as {fields[2]} at {fields[3]}";
            }
        }

        return records;
    }

    private void AppendJournal(string filebase, string queue, string newFilebase)
    {
        string time = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        using var stream = new FileStream(JournalPath, FileMode.Append, FileAccess.Write, FileShare.Read);
        stream.Write(Encoding.UTF8.GetBytes($"{filebase} {queue} {newFilebase} {time}\n"));
        stream.Flush(flushToDisk: true);
    }
}
