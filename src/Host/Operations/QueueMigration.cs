using System.Globalization;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Queues.JetStream;
using RunnerHost.Inspection;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Operations;

/// <summary>The migration cannot go on: the source or the target failed, or a copy could not be made whole.</summary>
public sealed class QueueMigrationException : Exception
{
    public QueueMigrationException()
    {
    }

    public QueueMigrationException(string message)
        : base(message)
    {
    }

    public QueueMigrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>What moving one queue did (in a dry run: would do).</summary>
/// <param name="Queue">The queue.</param>
/// <param name="Moved">Entries stored on the target and removed from the source (in a dry run: sound entries that would be).</param>
/// <param name="InProgress">Entries a runner or an operator's command held: left in the source.</param>
/// <param name="Damaged">Entries whose content is not a sound entry: left in the source.</param>
/// <param name="NotRemoved">Entries stored on the target whose source copy was taken or removed meanwhile: the message may be processed twice.</param>
/// <param name="Strays">What the source holds with the queue that is no entry (see <c>runner-host queues</c>): left as it is.</param>
/// <param name="Details">One line per entry that was not moved, saying why.</param>
public sealed record QueueMigrationResult(string Queue, int Moved, int InProgress, int Damaged, int NotRemoved, int Strays, IReadOnlyList<string> Details)
{
    /// <summary>True when the source queue holds nothing any more.</summary>
    public bool Complete => InProgress == 0 && Damaged == 0 && NotRemoved == 0 && Strays == 0;
}

/// <summary>Every queue's result, in the order moved; <paramref name="StoppedBy"/> says why the move stopped early, if it did.</summary>
public sealed record QueueMigrationReport(IReadOnlyList<QueueMigrationResult> Queues, string? StoppedBy)
{
    /// <summary>True when every entry of every queue was moved.</summary>
    public bool Complete => StoppedBy is null && Queues.All(q => q.Complete);
}

/// <summary>
/// Moves every entry of every queue (shunt and bad included) from one queue back end to another, through
/// their inspection surfaces: each entry is stored on the target first, and only then removed from the
/// source, so that a crash in between leaves a duplicate, never a loss. Entries in progress and damaged
/// entries are left where they are and reported. The caller makes sure no runner runs on either side.
/// </summary>
public sealed class QueueMigration(IQueueBackend source, IQueueBackend target, TimeProvider clock, ILogger logger)
{
    /// <summary>Moves (or, with <paramref name="dryRun"/>, only counts) every queue of the source.</summary>
    public async Task<QueueMigrationReport> RunAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var results = new List<QueueMigrationResult>();
        foreach (string queue in source.Inspector.QueueNames)
        {
            var tally = new Tally(queue);
            try
            {
                await MoveQueueAsync(queue, tally, dryRun, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                results.Add(tally.ToResult());
                return new QueueMigrationReport(results, "interrupted");
            }
            catch (Exception ex) when (IsStorageFailure(ex))
            {
                logger.LogError(ex, "Moving queue {Queue} stopped", queue);
                results.Add(tally.ToResult());
                return new QueueMigrationReport(results, $"{queue}: {ex.Message}");
            }

            results.Add(tally.ToResult());
        }

        return new QueueMigrationReport(results, null);
    }

    private static bool IsStorageFailure(Exception ex) =>
        ex is QueueMigrationException or QueueBackendUnavailableException or NatsException or TimeoutException or IOException or UnauthorizedAccessException;

    private async Task MoveQueueAsync(string queue, Tally tally, bool dryRun, CancellationToken cancellationToken)
    {
        var summary = await source.Inspector.SummarizeAsync(queue, cancellationToken).ConfigureAwait(false);
        if (summary.Problem is { } problem)
        {
            throw new QueueMigrationException($"the source cannot be listed: {problem}");
        }

        tally.Strays = summary.StrayCount;
        if (summary.StrayCount > 0)
        {
            tally.Details.Add(string.Create(CultureInfo.InvariantCulture, $"strays: {queue}: {summary.StrayCount} stored {(summary.StrayCount == 1 ? "thing is" : "things are")} no entry and stay (see 'runner-host queues')"));
        }

        // The whole listing first: removing entries while paging by offset would skip some.
        foreach (var listed in await ListAllAsync(queue, cancellationToken).ConfigureAwait(false))
        {
            string where = queue + "/" + listed.Id;
            if (listed.State == EntryState.InProgress)
            {
                tally.InProgress++;
                tally.Details.Add($"in progress: {where}: held by a runner or an operator's command (left in place)");
                continue;
            }

            var entry = await source.Inspector.ReadAsync(queue, listed.Id, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                tally.Details.Add($"gone: {where}: removed by someone else before it was moved");
                continue;
            }

            if (entry.State == EntryState.InProgress)
            {
                tally.InProgress++;
                tally.Details.Add($"in progress: {where}: held by a runner or an operator's command (left in place)");
                continue;
            }

            if (entry.Damaged || entry.Metadata is null || entry.Message is null)
            {
                tally.Damaged++;
                string why = entry.Problems.Count > 0 ? string.Join("; ", entry.Problems) : "its content could not be read";
                tally.Details.Add($"damaged: {where}: {why.ReplaceLineEndings(" ")} (left in place)");
                continue;
            }

            if (dryRun)
            {
                tally.Moved++;
                continue;
            }

            string stored = queue == QueueNames.Bad
                ? await PreserveOnTargetAsync(entry, cancellationToken).ConfigureAwait(false)
                : await EnqueueOnTargetAsync(entry, cancellationToken).ConfigureAwait(false);

            // Durable on the target: from here on the source copy is the one to remove, whatever happens.
            var removed = await source.Inspector.DiscardAsync(queue, entry.Id, CancellationToken.None).ConfigureAwait(false);
            if (removed == DiscardOutcome.Discarded)
            {
                tally.Moved++;
                logger.LogDebug("Moved {Queue}/{Id} to the target as {Stored}", queue, entry.Id, stored);
            }
            else
            {
                tally.NotRemoved++;
                tally.Details.Add($"not removed: {where}: stored on the target as {stored}, but the source entry was {(removed == DiscardOutcome.InProgress ? "taken by a runner" : "removed")} meanwhile: it may be processed twice");
            }
        }
    }

    private async Task<List<EntrySummary>> ListAllAsync(string queue, CancellationToken cancellationToken)
    {
        var entries = new List<EntrySummary>();
        while (true)
        {
            var page = await source.Inspector.ListAsync(queue, new EntryQuery(entries.Count, EntryQuery.MaxLimit), cancellationToken).ConfigureAwait(false);
            entries.AddRange(page.Entries);
            if (page.Entries.Count == 0 || entries.Count >= page.Total)
            {
                return entries;
            }
        }
    }

    // Metadata as it was (volatile '_' keys are dropped, as on every enqueue); an entry kept for later stays due when it was.
    private async Task<string> EnqueueOnTargetAsync(EntryInspection entry, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        DateTimeOffset? notBefore = entry.Due is { } due && due > now ? due : null;
        return await target.Queues[entry.Queue].EnqueueRawAsync(entry.Message!.Value, entry.Metadata, notBefore: notBefore, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores a preserved entry in the target's bad with its reason. bad takes no enqueue; preservation is
    /// what writes there, so the entry goes through the target's own preservation.
    /// </summary>
    private async Task<string> PreserveOnTargetAsync(EntryInspection entry, CancellationToken cancellationToken)
    {
        string reason = entry.Reason?.GetString("reason") ?? $"({entry.ReasonProblem ?? "no reason recorded"})";
        string? from = entry.Reason?.GetString("queue");
        if (target is JetStreamQueueBackend jetStream)
        {
            // Straight into the bad stream, keeping the entry's id where it is one: a copy put into a live
            // queue first could be taken by another host's runner before it was preserved.
            byte[] stored = QueueFileFormat.Encode(entry.Metadata!, entry.Message!.Value.Span);
            var preservation = new JetStreamPreservation(jetStream.Store, clock);
            await preservation.PreserveAsync(string.IsNullOrEmpty(from) ? QueueNames.Bad : from, entry.Id, stored, reason, "migrate:" + entry.Id, cancellationToken).ConfigureAwait(false);
            return QueueNames.Bad + "/" + entry.Id;
        }

        // Elsewhere (files) no runner runs meanwhile (the caller holds every slice lock): the copy is enqueued
        // into the queue it was preserved from, taken and preserved there, as a runner would preserve it.
        string scratch = from is not null && from != QueueNames.Bad && target.Queues.TryGet(from, out _) ? from : QueueNames.Shunt;
        if (!target.Queues.TryGet(scratch, out var queue))
        {
            throw new QueueMigrationException($"bad/{entry.Id}: the target has no queue '{scratch}' to preserve it through");
        }

        string id = await queue.EnqueueRawAsync(entry.Message!.Value, entry.Metadata, cancellationToken: cancellationToken).ConfigureAwait(false);
        var lease = await target.Inspector.TakeAsync(scratch, id, CancellationToken.None).ConfigureAwait(false)
            ?? throw new QueueMigrationException($"bad/{entry.Id}: its copy {scratch}/{id} was taken by someone else before it could be preserved");
        await lease.PreserveAsync(reason, CancellationToken.None).ConfigureAwait(false);

        // PreserveAsync logs its failures rather than throwing them: check that bad holds the copy with its reason.
        var preserved = await target.Inspector.ReadAsync(QueueNames.Bad, id, CancellationToken.None).ConfigureAwait(false);
        if (preserved?.Reason?.GetString("reason") != reason)
        {
            // Nothing half-made stays on the target; the source keeps the entry.
            if (preserved is not null)
            {
                await target.Inspector.DiscardAsync(QueueNames.Bad, id, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await lease.CompleteAsync(CancellationToken.None).ConfigureAwait(false);
            }

            throw new QueueMigrationException($"bad/{entry.Id}: it could not be preserved with its reason on the target (see the log); it stays in the source");
        }

        return QueueNames.Bad + "/" + id;
    }

    private sealed class Tally(string queue)
    {
        public int Moved { get; set; }

        public int InProgress { get; set; }

        public int Damaged { get; set; }

        public int NotRemoved { get; set; }

        public int Strays { get; set; }

        public List<string> Details { get; } = [];

        public QueueMigrationResult ToResult() => new(queue, Moved, InProgress, Damaged, NotRemoved, Strays, Details);
    }
}
