using System.Globalization;
using RunnerHost.Host.Queues;
using RunnerHost.Messages;
using RunnerHost.Operations;
using RunnerHost.Queues;

namespace RunnerHost.Host.Operations;

/// <summary>What <c>unshunt</c> does with the selected entries.</summary>
public enum ShuntAction
{
    /// <summary>Enqueue each into its <c>whichq</c> (default <c>in</c>) and remove it from shunt.</summary>
    Replay,

    /// <summary>Delete each.</summary>
    Discard,

    /// <summary>List each (id, queue, list, error) and change nothing.</summary>
    DryRun,
}

/// <summary>Which shunt entries to act on; every given filter must match (an empty selection selects all).</summary>
public sealed record ShuntSelection
{
    public IReadOnlyCollection<string> Ids { get; init; } = [];

    /// <summary>The queue the entry goes back to (its <c>whichq</c>, default <c>in</c>).</summary>
    public string? Queue { get; init; }

    public string? ListId { get; init; }

    /// <summary>Entries shunted at or after this time (the shunt filebase's time).</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>The error type: its full name, or its last segment (<c>InvalidOperationException</c>).</summary>
    public string? ErrorType { get; init; }

    internal bool NeedsMetadata => Queue is not null || ListId is not null || ErrorType is not null;

    internal bool MatchesName(string filebase, QueueFileNameParts parts) =>
        (Ids.Count == 0 || Ids.Contains(filebase))
        && (Since is not { } since || parts.Time >= QueueFileName.ToUnixSeconds(since));

    internal bool MatchesContent(ShuntedEntry entry) =>
        (Queue is null || string.Equals(entry.TargetQueue, Queue, StringComparison.Ordinal))
        && (ListId is null || string.Equals(entry.ListId, ListId, StringComparison.Ordinal))
        && (ErrorType is null || (entry.ErrorType is { } type
            && (string.Equals(type, ErrorType, StringComparison.Ordinal) || type.EndsWith("." + ErrorType, StringComparison.Ordinal))));
}

/// <summary>A shunt entry as listed: where it goes back to and why it was shunted.</summary>
public sealed record ShuntedEntry(string Filebase, string TargetQueue, string? ListId, string? ErrorType, string? ErrorMessage, string? ReadProblem);

/// <summary>
/// <c>unshunt</c>: replays, discards or lists shunted entries. Every failure is one stderr line and
/// leaves the entry in shunt as <c>.pck</c>; replays are journaled so that none is replayed twice.
/// </summary>
public sealed class ShuntReplayer(FileSwitchboard shunt, Func<string, ISwitchboard?> findQueue, TimeProvider time, TextWriter output, TextWriter errors, bool terminal = false)
{
    /// <summary>Set on a replayed message: the shunt filebase it came from.</summary>
    public const string ReplayedFromKey = "replayed_from";

    /// <summary>Set on a replayed message: how many times it was replayed from shunt.</summary>
    public const string ReplayCountKey = "replay_count";

    /// <summary>The error record of the last shunt, kept on a replayed message as history (its <c>error</c> key is removed).</summary>
    public const string LastErrorKey = "last_error";

    /// <summary>Acts on the selected entries in FIFO order; returns the number of failures.</summary>
    public async Task<int> RunAsync(ShuntSelection selection, ShuntAction action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selection);
        if (action != ShuntAction.DryRun)
        {
            // Entries a crashed unshunt left taken (.bak) come back first, as in Mailman.
            await shunt.RecoverAsync(cancellationToken).ConfigureAwait(false);
        }

        var journal = ReplayJournal.Open(shunt.Directory);
        var selected = Select(selection);
        int failures = 0;
        foreach (var id in selection.Ids.Where(id => !selected.Any(e => e.Filebase == id)).Order(StringComparer.Ordinal))
        {
            await errors.WriteLineAsync($"Cannot unshunt message {id}: no such entry in shunt").ConfigureAwait(false);
            failures++;
        }

        using var progress = new ProgressReporter(errors, action == ShuntAction.Discard ? "discard" : "unshunt", selected.Count, terminal, time);
        foreach (var entry in selected)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string? failure = action switch
            {
                ShuntAction.DryRun => await ListAsync(entry, journal).ConfigureAwait(false),
                ShuntAction.Discard => await DiscardAsync(entry).ConfigureAwait(false),
                _ => await ReplayAsync(entry, journal, cancellationToken).ConfigureAwait(false),
            };
            if (failure is not null)
            {
                progress.WriteLine($"Cannot unshunt message {entry.Filebase}: {failure}");
                failures++;
            }

            progress.Advance();
        }

        return failures;
    }

    /// <summary>The shunt entries that match, in FIFO order. Reads metadata only when a filter needs it or for the listing.</summary>
    public IReadOnlyList<ShuntedEntry> Select(ShuntSelection selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var entries = new List<ShuntedEntry>();
        var now = time.GetUtcNow();
        foreach (var filebase in shunt.GetFiles())
        {
            if (!QueueFileName.TryParse(filebase, now, out var parts, out _) || !selection.MatchesName(filebase, parts))
            {
                continue;
            }

            var entry = Read(filebase);
            if (entry is not null && (!selection.NeedsMetadata || (entry.ReadProblem is null && selection.MatchesContent(entry))))
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    private ShuntedEntry? Read(string filebase)
    {
        var read = EntryFileReader.Read(Path.Combine(shunt.Directory, filebase + ".pck"));
        if (read.IsMissing)
        {
            return null; // Taken meanwhile.
        }

        var content = read.Bytes is { } bytes
            ? QueueFileFormat.ReadWhatYouCan(bytes)
            : new PartialEntry(null, null, null, null, null, null, false, [read.Problem!]);
        var metadata = content.Metadata;
        var error = metadata?.GetNested(MessageDataKeys.Error);
        return new ShuntedEntry(
            filebase,
            metadata?.WhichQueue ?? QueueNames.In,
            metadata?.ListId,
            error?.GetString(ErrorRecordKeys.Type),
            error?.GetString(ErrorRecordKeys.Message),
            content.Problems.Count > 0 ? string.Join("; ", content.Problems) : null);
    }

    private async Task<string?> ListAsync(ShuntedEntry entry, ReplayJournal journal)
    {
        string error = entry.ReadProblem is { } problem
            ? $"(unreadable: {problem})"
            : entry.ErrorType is null ? "(no error recorded)" : $"{entry.ErrorType}: {OneLine(entry.ErrorMessage)}";
        string replayed = journal.TryGet(entry.Filebase, out var record) ? $"  [already replayed to {record!.Queue} at {record.Time}]" : string.Empty;
        await output.WriteLineAsync($"{entry.Filebase}  {entry.TargetQueue}  {entry.ListId ?? "-"}  {error}{replayed}").ConfigureAwait(false);
        return null;
    }

    private async Task<string?> DiscardAsync(ShuntedEntry entry)
    {
        string path = Path.Combine(shunt.Directory, entry.Filebase + ".pck");
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"cannot delete: {ex.Message}";
        }

        await output.WriteLineAsync($"{entry.Filebase} discarded").ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Replays the entries named <paramref name="filebases"/> (every entry when null) and reports each,
    /// without writing to the output or error writers: the <see cref="IShuntReplay"/> service's work.
    /// Entries a crashed unshunt left taken are not recovered here (a replay may be running elsewhere).
    /// </summary>
    public async Task<IReadOnlyList<ShuntReplayOutcome>> ReplayAsync(IReadOnlyCollection<string>? filebases, CancellationToken cancellationToken)
    {
        if (filebases is { Count: 0 })
        {
            return [];
        }

        var journal = ReplayJournal.Open(shunt.Directory);
        var selected = Select(new ShuntSelection { Ids = filebases ?? [] });
        var outcomes = new List<ShuntReplayOutcome>();
        foreach (var id in (filebases ?? []).Where(id => !selected.Any(e => e.Filebase == id)))
        {
            outcomes.Add(new ShuntReplayOutcome(id, ShuntReplayStatus.NotFound, Problem: "no such entry in shunt"));
        }

        foreach (var entry in selected)
        {
            cancellationToken.ThrowIfCancellationRequested();
            outcomes.Add(await ReplayOneAsync(entry, journal, cancellationToken).ConfigureAwait(false));
        }

        return outcomes;
    }

    /// <summary>The command's replay of one entry: the shared replay, then its own line on stdout, or its failure text.</summary>
    private async Task<string?> ReplayAsync(ShuntedEntry listed, ReplayJournal journal, CancellationToken cancellationToken)
    {
        var outcome = await ReplayOneAsync(listed, journal, cancellationToken).ConfigureAwait(false);
        switch (outcome.Status)
        {
            case ShuntReplayStatus.Replayed:
                await output.WriteLineAsync($"{listed.Filebase} -> {outcome.Queue} {outcome.NewFilebase}").ConfigureAwait(false);
                return null;
            case ShuntReplayStatus.AlreadyReplayed when journal.TryGet(listed.Filebase, out var record):
                return $"already replayed to {record!.Queue} as {record.NewFilebase} at {record.Time} (see {journal.Path}); refusing to replay it twice; use --discard to remove it";
            case ShuntReplayStatus.NoSuchQueue:
                return $"No such queue: {outcome.Queue} (its whichq); the entry stays in shunt";
            default:
                return outcome.Problem;
        }
    }

    /// <summary>
    /// Replays one listed entry: refused when journaled or when its queue is unknown; else taken, enqueued
    /// into its queue with the replay metadata, journaled and only then removed. Writes nothing.
    /// </summary>
    private async Task<ShuntReplayOutcome> ReplayOneAsync(ShuntedEntry listed, ReplayJournal journal, CancellationToken cancellationToken)
    {
        if (journal.TryGet(listed.Filebase, out var record))
        {
            return new ShuntReplayOutcome(listed.Filebase, ShuntReplayStatus.AlreadyReplayed, record!.Queue, Problem: $"already replayed to {record.Queue} as {record.NewFilebase} at {record.Time}; refusing to replay it twice");
        }

        if (findQueue(listed.TargetQueue) is not { } target)
        {
            return new ShuntReplayOutcome(listed.Filebase, ShuntReplayStatus.NoSuchQueue, listed.TargetQueue, Problem: $"no such queue: {listed.TargetQueue} (its whichq); the entry stays in shunt");
        }

        QueueEntry entry;
        try
        {
            entry = await shunt.DequeueAsync(listed.Filebase, cancellationToken).ConfigureAwait(false);
        }
        catch (QueueEntryNotFoundException)
        {
            return new ShuntReplayOutcome(listed.Filebase, ShuntReplayStatus.NotFound, target.Name, Problem: "taken by another process meanwhile");
        }
        catch (Exception ex) when (ex is QueueEntryCorruptException or IOException)
        {
            await shunt.ReleaseAsync(listed.Filebase, CancellationToken.None).ConfigureAwait(false);
            return new ShuntReplayOutcome(listed.Filebase, ShuntReplayStatus.Failed, target.Name, Problem: $"unreadable: {ex.Message}");
        }

        string newFilebase;
        try
        {
            newFilebase = await target.EnqueueRawAsync(entry.RawMessage, ReplayMetadata(entry), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or OperationCanceledException)
        {
            await shunt.ReleaseAsync(listed.Filebase, CancellationToken.None).ConfigureAwait(false);
            return new ShuntReplayOutcome(listed.Filebase, ShuntReplayStatus.Failed, target.Name, Problem: $"enqueue into {target.Name} failed: {ex.Message}");
        }

        // Journal before removal: if we die in between, the next unshunt refuses the leftover instead of sending it twice.
        journal.Append(listed.Filebase, target.Name, newFilebase, time.GetUtcNow());
        await shunt.FinishAsync(listed.Filebase, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        return new ShuntReplayOutcome(listed.Filebase, ShuntReplayStatus.Replayed, target.Name, newFilebase);
    }

    private static MessageData ReplayMetadata(QueueEntry entry)
    {
        var metadata = entry.Metadata.Clone();
        if (metadata.GetNested(MessageDataKeys.Error) is { } error)
        {
            metadata[LastErrorKey] = error;
        }

        // whichq and error describe the shunting; the next shunt writes them afresh.
        metadata.Remove(MessageDataKeys.Error);
        metadata.Remove(MessageDataKeys.WhichQueue);
        metadata[ReplayedFromKey] = entry.Filebase;
        metadata[ReplayCountKey] = (metadata.TryGetInt64(ReplayCountKey, out long count) ? count : 0) + 1;
        return metadata;
    }

    private static string OneLine(string? text) => (text ?? string.Empty).ReplaceLineEndings(" ");
}
