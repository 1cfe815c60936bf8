using RunnerHost.Inspection;
using RunnerHost.Messages;
using RunnerHost.Operations;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Operations;

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

    internal bool MatchesName(string id, DateTimeOffset? due) =>
        (Ids.Count == 0 || Ids.Contains(id))
        && (Since is not { } since || (due is { } shuntedAt && shuntedAt >= since));

    internal bool MatchesContent(ShuntedEntry entry) =>
        (Queue is null || string.Equals(entry.TargetQueue, Queue, StringComparison.Ordinal))
        && (ListId is null || string.Equals(entry.ListId, ListId, StringComparison.Ordinal))
        && (ErrorType is null || (entry.ErrorType is { } type
            && (string.Equals(type, ErrorType, StringComparison.Ordinal) || type.EndsWith("." + ErrorType, StringComparison.Ordinal))));
}

/// <summary>A shunt entry as listed: where it goes back to and why it was shunted.</summary>
public sealed record ShuntedEntry(string Filebase, string TargetQueue, string? ListId, string? ErrorType, string? ErrorMessage, string? ReadProblem);

/// <summary>
/// <c>unshunt</c>: replays, discards or lists shunted entries, through the inspection surface (so it
/// works on every queue back end). Every failure is one stderr line and leaves the entry in shunt;
/// replays are journaled so that none is replayed twice.
/// </summary>
public sealed class ShuntReplayer(IQueueInspector inspector, IQueueRegistry queues, ReplayJournal journal, TimeProvider time, TextWriter output, TextWriter errors, bool terminal = false)
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
        var selected = await SelectAsync(selection, cancellationToken).ConfigureAwait(false);
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
                ShuntAction.DryRun => await ListAsync(entry).ConfigureAwait(false),
                ShuntAction.Discard => await DiscardAsync(entry, cancellationToken).ConfigureAwait(false),
                _ => await ReplayAsync(entry, cancellationToken).ConfigureAwait(false),
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

    /// <summary>The shunt entries that match, in FIFO order. Reads each entry for the listing and the content filters.</summary>
    public async Task<IReadOnlyList<ShuntedEntry>> SelectAsync(ShuntSelection selection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var entries = new List<ShuntedEntry>();
        int offset = 0;
        while (true)
        {
            var page = await inspector.ListAsync(QueueNames.Shunt, new EntryQuery(offset, EntryQuery.MaxLimit, State: EntryState.Shunted), cancellationToken).ConfigureAwait(false);
            foreach (var listed in page.Entries)
            {
                if (!selection.MatchesName(listed.Id, listed.Due))
                {
                    continue;
                }

                var entry = await ReadAsync(listed.Id, cancellationToken).ConfigureAwait(false);
                if (entry is not null && (!selection.NeedsMetadata || (entry.ReadProblem is null && selection.MatchesContent(entry))))
                {
                    entries.Add(entry);
                }
            }

            offset += page.Entries.Count;
            if (page.Entries.Count == 0 || offset >= page.Total)
            {
                return entries;
            }
        }
    }

    private async Task<ShuntedEntry?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        if (await inspector.ReadAsync(QueueNames.Shunt, id, cancellationToken).ConfigureAwait(false) is not { } content)
        {
            return null; // Taken meanwhile.
        }

        var metadata = content.Metadata;
        var error = content.Error;
        return new ShuntedEntry(
            id,
            metadata?.WhichQueue ?? QueueNames.In,
            metadata?.ListId,
            error?.GetString(ErrorRecordKeys.Type),
            error?.GetString(ErrorRecordKeys.Message),
            content.Damaged ? string.Join("; ", content.Problems) : null);
    }

    private async Task<string?> ListAsync(ShuntedEntry entry)
    {
        string error = entry.ReadProblem is { } problem
            ? $"(unreadable: {problem})"
            : entry.ErrorType is null ? "(no error recorded)" : $"{entry.ErrorType}: {OneLine(entry.ErrorMessage)}";
        string replayed = journal.TryGet(entry.Filebase, out var record) ? $"  [already replayed to {record!.Queue} at {record.Time}]" : string.Empty;
        await output.WriteLineAsync($"{entry.Filebase}  {entry.TargetQueue}  {entry.ListId ?? "-"}  {error}{replayed}").ConfigureAwait(false);
        return null;
    }

    private async Task<string?> DiscardAsync(ShuntedEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            switch (await inspector.DiscardAsync(QueueNames.Shunt, entry.Filebase, cancellationToken).ConfigureAwait(false))
            {
                case DiscardOutcome.NotFound:
                    return "taken by another process meanwhile";
                case DiscardOutcome.InProgress:
                    return "being replayed by another process";
            }
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
    /// </summary>
    public async Task<IReadOnlyList<ShuntReplayOutcome>> ReplayAsync(IReadOnlyCollection<string>? filebases, CancellationToken cancellationToken)
    {
        if (filebases is { Count: 0 })
        {
            return [];
        }

        var selected = await SelectAsync(new ShuntSelection { Ids = filebases ?? [] }, cancellationToken).ConfigureAwait(false);
        var outcomes = new List<ShuntReplayOutcome>();
        foreach (var id in (filebases ?? []).Where(id => !selected.Any(e => e.Filebase == id)))
        {
            outcomes.Add(new ShuntReplayOutcome(id, ShuntReplayStatus.NotFound, Problem: "no such entry in shunt"));
        }

        foreach (var entry in selected)
        {
            cancellationToken.ThrowIfCancellationRequested();
            outcomes.Add(await ReplayOneAsync(entry, cancellationToken).ConfigureAwait(false));
        }

        return outcomes;
    }

    /// <summary>The command's replay of one entry: the shared replay, then its own line on stdout, or its failure text.</summary>
    private async Task<string?> ReplayAsync(ShuntedEntry listed, CancellationToken cancellationToken)
    {
        var outcome = await ReplayOneAsync(listed, cancellationToken).ConfigureAwait(false);
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
    private async Task<ShuntReplayOutcome> ReplayOneAsync(ShuntedEntry listed, CancellationToken cancellationToken)
    {
        if (journal.TryGet(listed.Filebase, out var record))
        {
            return new ShuntReplayOutcome(listed.Filebase, ShuntReplayStatus.AlreadyReplayed, record!.Queue, Problem: $"already replayed to {record.Queue} as {record.NewFilebase} at {record.Time}; refusing to replay it twice");
        }

        if (!queues.TryGet(listed.TargetQueue, out var target) || listed.TargetQueue == QueueNames.Bad)
        {
            return new ShuntReplayOutcome(listed.Filebase, ShuntReplayStatus.NoSuchQueue, listed.TargetQueue, Problem: $"no such queue: {listed.TargetQueue} (its whichq); the entry stays in shunt");
        }

        IQueueLease? lease;
        try
        {
            lease = await inspector.TakeAsync(QueueNames.Shunt, listed.Filebase, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is QueueEntryCorruptException or IOException)
        {
            return new ShuntReplayOutcome(listed.Filebase, ShuntReplayStatus.Failed, target.Name, Problem: $"unreadable: {ex.Message}");
        }

        if (lease is null)
        {
            return new ShuntReplayOutcome(listed.Filebase, ShuntReplayStatus.NotFound, target.Name, Problem: "taken by another process meanwhile");
        }

        string newFilebase;
        try
        {
            newFilebase = await target.EnqueueRawAsync(lease.Entry.RawMessage, ReplayMetadata(lease.Entry), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or OperationCanceledException or InvalidOperationException)
        {
            await lease.ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
            return new ShuntReplayOutcome(listed.Filebase, ShuntReplayStatus.Failed, target.Name, Problem: $"enqueue into {target.Name} failed: {ex.Message}");
        }

        // Journal before removal: if we die in between, the next unshunt refuses the leftover instead of sending it twice.
        journal.Append(listed.Filebase, target.Name, newFilebase, time.GetUtcNow());
        await lease.CompleteAsync(CancellationToken.None).ConfigureAwait(false);
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
        metadata[ReplayedFromKey] = entry.Id;
        metadata[ReplayCountKey] = (metadata.TryGetInt64(ReplayCountKey, out long count) ? count : 0) + 1;
        return metadata;
    }

    private static string OneLine(string? text) => (text ?? string.Empty).ReplaceLineEndings(" ");
}
