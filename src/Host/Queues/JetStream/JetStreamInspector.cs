using System.Globalization;
using NATS.Client.Core;
using RunnerHost.Inspection;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>
/// The inspection surface over JetStream queues: what every command, the REST API and metrics read.
/// Entries are listed from the stream's subjects (one per entry), read by their subject, and found
/// in a runner's hands through the slice consumers' unacknowledged counts.
/// </summary>
public sealed class JetStreamInspector : IQueueInspector
{
    private const string HolderHeader = "RunnerHost-Holder";

    private readonly JetStreamStore _store;
    private readonly JetStreamQueueRegistry _queues;
    private readonly JetStreamPreservation _preservation;
    private readonly IReadOnlyDictionary<string, int> _sliceCounts;
    private readonly TimeProvider _clock;
    private readonly StoredEntryDecoder _decoder = new();

    public JetStreamInspector(JetStreamStore store, JetStreamQueueRegistry queues, JetStreamPreservation preservation, IReadOnlyDictionary<string, int> sliceCounts, TimeProvider clock)
    {
        _store = store;
        _queues = queues;
        _preservation = preservation;
        _sliceCounts = sliceCounts;
        _clock = clock;
        QueueNames = [.. sliceCounts.Keys.Order(StringComparer.Ordinal)];
    }

    public IReadOnlyList<string> QueueNames { get; }

    public bool IsEntryId(string queue, string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(id);
        _ = SliceCount(queue);
        return QueueFileName.TryParse(id, _clock.GetUtcNow(), out _, out problem);
    }

    public async Task<QueueSummary> SummarizeAsync(string queue, CancellationToken cancellationToken = default)
    {
        int sliceCount = SliceCount(queue);
        var now = _clock.GetUtcNow();
        IReadOnlyList<Listed> entries;
        HashSet<string> inHand;
        try
        {
            (entries, var strays) = await ListAllAsync(queue, now, cancellationToken).ConfigureAwait(false);
            inHand = await InRunnersHandsAsync(queue, cancellationToken).ConfigureAwait(false);
            return Summarize(queue, sliceCount, entries, inHand, strays, now);
        }
        catch (Exception ex) when (ex is QueueBackendUnavailableException or NatsException)
        {
            var empty = Enumerable.Range(0, sliceCount).Select(_ => new SliceSummary(0, 0, null)).ToList();
            return new QueueSummary(queue, empty, 0, 0, 0, null, null, new int[QueueSummary.AgeBuckets.Count], 0, [], ex.Message);
        }
    }

    public async Task<EntryPage> ListAsync(string queue, EntryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        _ = SliceCount(queue);
        if (query.Offset < 0 || query.Limit < 1 || query.Limit > EntryQuery.MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query, $"Offset must be 0 or more and Limit 1 to {EntryQuery.MaxLimit}.");
        }

        var now = _clock.GetUtcNow();
        var (entries, _) = await ListAllAsync(queue, now, cancellationToken).ConfigureAwait(false);
        var inHand = await InRunnersHandsAsync(queue, cancellationToken).ConfigureAwait(false);
        bool bad = IsBad(queue);
        var summaries = new List<EntrySummary>();
        foreach (var entry in entries)
        {
            var state = StateOf(queue, entry.Place, entry.Parts, inHand.Contains(entry.Id), now);
            if (query.State is null || state == query.State)
            {
                summaries.Add(new EntrySummary(entry.Id, state, entry.Parts.Due, 0));
            }
        }

        if (bad)
        {
            // bad lists by when entries were preserved, as its reasons tell.
            var detailed = new List<EntrySummary>(summaries.Count);
            foreach (var summary in summaries)
            {
                detailed.Add(await WithDetailsAsync(queue, summary, cancellationToken).ConfigureAwait(false));
            }

            summaries = [.. detailed.OrderBy(e => e.PreservedAt).ThenBy(e => e.Id, StringComparer.Ordinal)];
        }
        else
        {
            summaries = [.. summaries.OrderBy(e => e.Due).ThenBy(e => Digest(e.Id), StringComparer.Ordinal)];
        }

        var ordered = query.Order == EntryOrder.NewestFirst ? Enumerable.Reverse(summaries) : summaries;
        var page = new List<EntrySummary>();
        foreach (var summary in ordered.Skip(query.Offset).Take(query.Limit))
        {
            page.Add(bad ? summary : await WithSizeAsync(queue, summary, cancellationToken).ConfigureAwait(false));
        }

        return new EntryPage(summaries.Count, page);
    }

    public async Task<EntryInspection?> ReadAsync(string queue, string id, CancellationToken cancellationToken = default)
    {
        _ = SliceCount(queue);
        var now = _clock.GetUtcNow();
        if (!QueueFileName.TryParse(id, now, out var parts, out _))
        {
            return null;
        }

        if (await FindAsync(queue, id, parts, cancellationToken).ConfigureAwait(false) is not var (place, stored))
        {
            return null;
        }

        bool inHand = place == EntryPlace.Ready && (await InRunnersHandsAsync(queue, cancellationToken).ConfigureAwait(false)).Contains(id);
        var content = QueueFileFormat.ReadWhatYouCan(stored.Data);
        MessageData? reason = null;
        string? reasonProblem = null;
        if (IsBad(queue))
        {
            (reason, reasonProblem) = JetStreamPreservation.ReadReason(stored);
        }

        return new EntryInspection(
            queue,
            id,
            StateOf(queue, place, parts, inHand, now),
            KindOf(queue, place, stored),
            parts.Due,
            null,
            stored.Data.LongLength,
            content.Problems,
            content.Version,
            content.MetadataLength,
            content.MessageLength,
            content.ChecksumValid,
            content.Metadata,
            content.Metadata is null ? content.MetadataText : null,
            content.Message,
            reason,
            reasonProblem);
    }

    public async Task<IQueueLease?> TakeAsync(string queue, string id, CancellationToken cancellationToken = default)
    {
        _ = SliceCount(queue);
        if (IsBad(queue))
        {
            throw new InvalidOperationException($"Entries in '{RunnerHost.Queues.QueueNames.Bad}' are not taken; requeue or discard them.");
        }

        if (!QueueFileName.TryParse(id, _clock.GetUtcNow(), out var parts, out _)
            || await FindAsync(queue, id, parts, cancellationToken).ConfigureAwait(false) is not var (place, stored)
            || place == EntryPlace.Held
            || (await InRunnersHandsAsync(queue, cancellationToken).ConfigureAwait(false)).Contains(id))
        {
            return null;
        }

        // Read before it is moved: a damaged entry stays where it is, for the operator to decide.
        var (decoded, message) = _decoder.Decode(stored.Data, cancellationToken);
        var headers = new NatsHeaders { [HolderHeader] = string.Create(CultureInfo.InvariantCulture, $"{_store.Settings.HostName} {Environment.ProcessId} {_clock.GetUtcNow():O}") };
        var heldSubject = _store.Names.Subject(queue, EntryPlace.Held, id, parts.Digest);
        var published = await _store.PublishAsync(queue, heldSubject, stored.Data, $"held:{_store.Names.Stream(queue)}:{stored.Sequence}", headers, cancellationToken).ConfigureAwait(false);
        if (!await _store.DeleteAsync(queue, stored.Sequence, CancellationToken.None).ConfigureAwait(false))
        {
            // Another taker won meanwhile: ours is a copy of nothing.
            await _store.DeleteAsync(queue, published.Sequence, CancellationToken.None).ConfigureAwait(false);
            return null;
        }

        var held = new StoredMessage(heldSubject, published.Sequence, stored.Data, headers);
        return new HeldLease(_store, _queues, _preservation, queue, new QueueEntry(id, message, decoded.Metadata, decoded.Message, 1), held, place, parts.Digest);
    }

    public async Task<DiscardOutcome> DiscardAsync(string queue, string id, CancellationToken cancellationToken = default)
    {
        _ = SliceCount(queue);
        if (!QueueFileName.TryParse(id, _clock.GetUtcNow(), out var parts, out _)
            || await FindAsync(queue, id, parts, cancellationToken).ConfigureAwait(false) is not var (place, stored))
        {
            return DiscardOutcome.NotFound;
        }

        if (place == EntryPlace.Held || (place == EntryPlace.Ready && (await InRunnersHandsAsync(queue, cancellationToken).ConfigureAwait(false)).Contains(id)))
        {
            return DiscardOutcome.InProgress;
        }

        return await _store.DeleteAsync(queue, stored.Sequence, CancellationToken.None).ConfigureAwait(false) ? DiscardOutcome.Discarded : DiscardOutcome.NotFound;
    }

    public async Task<string> RequeueAsync(string queue, string id, string targetQueue, CancellationToken cancellationToken = default)
    {
        _ = SliceCount(queue);
        var target = _queues.Get(targetQueue);
        if (IsBad(targetQueue))
        {
            throw new InvalidOperationException($"'{RunnerHost.Queues.QueueNames.Bad}' takes no new entries; name the queue the entry should go to.");
        }

        if (!IsBad(queue))
        {
            var lease = await TakeAsync(queue, id, cancellationToken).ConfigureAwait(false) ?? throw new KeyNotFoundException($"No entry {id} in queue '{queue}'.");
            var metadata = lease.Entry.Metadata.Clone();
            metadata[MessageDataKeys.RequeuedFrom] = queue + "/" + id;
            string moved = await target.EnqueueRawAsync(lease.Entry.RawMessage, metadata, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            await lease.CompleteAsync(CancellationToken.None).ConfigureAwait(false);
            return moved;
        }

        if (!QueueFileName.TryParse(id, _clock.GetUtcNow(), out var parts, out _)
            || await FindAsync(queue, id, parts, cancellationToken).ConfigureAwait(false) is not var (_, stored))
        {
            throw new KeyNotFoundException($"No preserved entry {id} in bad ({_store.Names.Stream(queue)}).");
        }

        var decoded = QueueFileFormat.Decode(stored.Data);
        var requeued = decoded.Metadata;
        requeued[MessageDataKeys.RequeuedFrom] = RunnerHost.Queues.QueueNames.Bad + "/" + id;
        var (newId, _) = await target.StoreAsync(decoded.Message, NewEntry.PrepareMetadata(requeued, null), null, $"requeue:{_store.Names.Stream(queue)}:{stored.Sequence}", null, cancellationToken).ConfigureAwait(false);
        await _store.DeleteAsync(queue, stored.Sequence, CancellationToken.None).ConfigureAwait(false);
        return newId;
    }

    /// <summary>
    /// Returns entries of one slice that an operator's command on this host held when it died (its pid is
    /// gone) to where they were taken from; the file back end's recovery of <c>.bak</c> files does the same.
    /// Returns how many came back.
    /// </summary>
    public async Task<int> ReturnAbandonedAsync(string queue, int slice, int sliceCount, CancellationToken cancellationToken)
    {
        int returned = 0;
        var subjects = await _store.ListSubjectsAsync(queue, _store.Names.SliceFilter(queue, EntryPlace.Held, slice, sliceCount), cancellationToken).ConfigureAwait(false);
        foreach (var subject in subjects.Keys)
        {
            if (!_store.Names.TryParseSubject(queue, subject, out _, out string id) || !QueueFileName.TryParse(id, out var parts, out _)
                || await _store.GetLastAsync(queue, subject, cancellationToken).ConfigureAwait(false) is not { } held
                || !IsAbandoned(held.Header(HolderHeader)))
            {
                continue;
            }

            var place = parts.Due > _clock.GetUtcNow() ? EntryPlace.Later : EntryPlace.Ready;
            await _store.PublishAsync(queue, _store.Names.Subject(queue, place, id, parts.Digest), held.Data, $"back:{_store.Names.Stream(queue)}:{held.Sequence}", null, cancellationToken).ConfigureAwait(false);
            await _store.DeleteAsync(queue, held.Sequence, CancellationToken.None).ConfigureAwait(false);
            returned++;
        }

        return returned;
    }

    // "host pid time", as TakeAsync writes it: abandoned when the holder ran on this host and is gone.
    private bool IsAbandoned(string? holder)
    {
        var fields = holder?.Split(' ');
        return fields is { Length: >= 2 } && fields[0] == _store.Settings.HostName
            && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && !Supervision.Posix.IsAlive(pid);
    }

    private sealed record Listed(string Id, EntryPlace Place, QueueFileNameParts Parts);

    private static bool IsBad(string queue) => queue == RunnerHost.Queues.QueueNames.Bad;

    private static string Digest(string id) => id[(id.IndexOf('+', StringComparison.Ordinal) + 1)..];

    private static EntryState StateOf(string queue, EntryPlace place, QueueFileNameParts parts, bool inHand, DateTimeOffset now) => place switch
    {
        _ when IsBad(queue) => EntryState.Preserved,
        EntryPlace.Held => EntryState.InProgress,
        EntryPlace.Ready when inHand => EntryState.InProgress,
        _ when queue == RunnerHost.Queues.QueueNames.Shunt => EntryState.Shunted,
        EntryPlace.Later => EntryState.DueLater,
        _ when parts.Due > now => EntryState.DueLater,
        _ => EntryState.Ready,
    };

    private string KindOf(string queue, EntryPlace place, StoredMessage stored)
    {
        string where = string.Create(CultureInfo.InvariantCulture, $"JetStream stream {_store.Names.Stream(queue)}, sequence {stored.Sequence}");
        return place switch
        {
            _ when IsBad(queue) => $"preserved entry ({where})",
            EntryPlace.Held => $"entry held by an operator's command: {stored.Header(HolderHeader) ?? "holder unknown"} ({where})",
            EntryPlace.Later => $"entry due later, made ready by its slice's runner when due ({where})",
            _ => $"ready entry ({where})",
        };
    }

    private int SliceCount(string queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return _sliceCounts.TryGetValue(queue, out int count) ? count : throw new KeyNotFoundException($"No such queue: {queue}");
    }

    private async Task<(IReadOnlyList<Listed> Entries, List<StrayEntry> Strays)> ListAllAsync(string queue, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var subjects = await _store.ListSubjectsAsync(queue, _store.Names.AllSubjects(queue), cancellationToken).ConfigureAwait(false);
        var entries = new List<Listed>(subjects.Count);
        var strays = new List<StrayEntry>();
        foreach (var subject in subjects.Keys)
        {
            if (!_store.Names.TryParseSubject(queue, subject, out var place, out string id))
            {
                strays.Add(new StrayEntry(subject, "not an entry subject of this installation's layout"));
            }
            else if (!QueueFileName.TryParse(id, now, out var parts, out string? problem))
            {
                strays.Add(new StrayEntry(subject, problem));
            }
            else
            {
                entries.Add(new Listed(id, place, parts));
            }
        }

        return (entries, strays);
    }

    // The entries runners hold now: with one unacknowledged entry per slice consumer, a consumer with one
    // pending holds the first ready entry of its slice.
    private async Task<HashSet<string>> InRunnersHandsAsync(string queue, CancellationToken cancellationToken)
    {
        var inHand = new HashSet<string>(StringComparer.Ordinal);
        if (IsBad(queue) || queue == RunnerHost.Queues.QueueNames.Shunt)
        {
            return inHand;
        }

        var pending = new List<(string Filter, ulong From)>();
        try
        {
            await foreach (var consumer in _store.Connection.JetStream.ListConsumersAsync(_store.Names.Stream(queue), cancellationToken).ConfigureAwait(false))
            {
                if (consumer.Info.NumAckPending > 0 && consumer.Info.Config.FilterSubject is { } filter)
                {
                    pending.Add((filter, consumer.Info.AckFloor.StreamSeq + 1));
                }
            }
        }
        catch (NATS.Client.JetStream.NatsJSApiException ex) when (JetStreamStore.IsStreamMissing(ex))
        {
            return inHand; // never used: nothing in anyone's hands
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is NatsException && ex is not NATS.Client.JetStream.NatsJSApiException))
        {
            throw new QueueBackendUnavailableException($"the queue back end ({_store.Connection.Servers}) did not answer: {ex.Message}", ex);
        }

        foreach (var (filter, from) in pending)
        {
            if (await _store.GetNextAsync(queue, filter, from, cancellationToken).ConfigureAwait(false) is { } first
                && _store.Names.TryParseSubject(queue, first.Subject, out _, out string id))
            {
                inHand.Add(id);
            }
        }

        return inHand;
    }

    private async Task<(EntryPlace Place, StoredMessage Stored)?> FindAsync(string queue, string id, QueueFileNameParts parts, CancellationToken cancellationToken)
    {
        foreach (var place in new[] { EntryPlace.Ready, EntryPlace.Later, EntryPlace.Held })
        {
            if (await _store.GetLastAsync(queue, _store.Names.Subject(queue, place, id, parts.Digest), cancellationToken).ConfigureAwait(false) is { } stored)
            {
                return (place, stored);
            }
        }

        return null;
    }

    private async Task<EntrySummary> WithSizeAsync(string queue, EntrySummary summary, CancellationToken cancellationToken)
    {
        var parts = QueueFileName.Parse(summary.Id);
        return await FindAsync(queue, summary.Id, parts, cancellationToken).ConfigureAwait(false) is var (_, stored)
            ? summary with { Size = stored.Data.LongLength }
            : summary;
    }

    private async Task<EntrySummary> WithDetailsAsync(string queue, EntrySummary summary, CancellationToken cancellationToken)
    {
        var parts = QueueFileName.Parse(summary.Id);
        if (await FindAsync(queue, summary.Id, parts, cancellationToken).ConfigureAwait(false) is not var (_, stored))
        {
            return summary;
        }

        var (reason, problem) = JetStreamPreservation.ReadReason(stored);
        var preservedAt = DateTimeOffset.TryParse(reason?.GetString("time"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var recorded) ? recorded : summary.Due;
        return summary with
        {
            Size = stored.Data.LongLength,
            PreservedAt = preservedAt,
            Reason = reason is not null ? reason.GetString("reason") ?? "(no reason recorded)" : $"({problem})",
        };
    }

    private static QueueSummary Summarize(string queue, int sliceCount, IReadOnlyList<Listed> listed, HashSet<string> inHand, List<StrayEntry> strays, DateTimeOffset now)
    {
        var summary = new QueueSummaryBuilder(queue, sliceCount, now);
        foreach (var entry in listed)
        {
            bool inProgress = entry.Place == EntryPlace.Held || inHand.Contains(entry.Id);
            summary.Add(SliceMath.SliceOf(entry.Parts.Digest, summary.SliceCount), entry.Parts.Due, inProgress, inProgress ? null : entry.Parts.Due);
        }

        foreach (var stray in strays)
        {
            summary.AddStray(stray.Name, stray.Problem);
        }

        return summary.Build(null);
    }
}
