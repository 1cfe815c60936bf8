using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>
/// A runner's slice of a queue on JetStream: the slice's durable pull consumer (one unacknowledged entry
/// at most, so FIFO per slice across every host), held under this host's <see cref="SliceClaim"/>.
/// A pass first makes the slice's due "later" entries ready (by this host's clock), then takes the
/// ready ones as the consumer delivers them. Waiting for work is a pull request that the server answers
/// when an entry arrives: no polling.
/// </summary>
public sealed class JetStreamSlice : IOwnedQueueSlice
{
    /// <summary>The attempt after which an entry is preserved as a likely poison message (as with files).</summary>
    public const int MaxAttempts = 3;

    // The shortest pull the client accepts; a shorter wait sleeps instead.
    private static readonly TimeSpan ShortestPull = TimeSpan.FromSeconds(1);

    // How stale the slice's view of its later entries may get.
    private static readonly TimeSpan RescanInterval = TimeSpan.FromSeconds(2);

    private readonly JetStreamSliceContext _context;
    private readonly INatsJSConsumer _consumer;
    private readonly SliceClaim _claim;
    private readonly Action? _preservedDamaged;
    private readonly CancellationTokenSource _closing;
    private readonly List<JetStreamLease> _inHand = [];
    private readonly StoredEntryDecoder _decoder = new();
    private INatsJSMsg<byte[]>? _early;
    private DateTimeOffset? _nextDue;
    private DateTimeOffset _lastScan = DateTimeOffset.MinValue;
    private int _disposed;

    private JetStreamSlice(JetStreamSliceContext context, INatsJSConsumer consumer, SliceClaim claim, int slice, int sliceCount, Action? preservedDamaged, CancellationTokenSource closing)
    {
        _context = context;
        _consumer = consumer;
        _claim = claim;
        Slice = slice;
        SliceCount = sliceCount;
        _preservedDamaged = preservedDamaged;
        _closing = closing;
    }

    public string QueueName => _context.Queue;

    public int Slice { get; }

    public int SliceCount { get; }

    /// <summary>Opens a slice whose claim this host holds; its consumer is created (or updated) here.</summary>
    internal static async Task<JetStreamSlice> OpenAsync(
        Func<CancellationToken, JetStreamSliceContext> context, SliceClaim claim, int slice, int sliceCount, Action? preservedDamaged, CancellationTokenSource closing, CancellationToken cancellationToken)
    {
        var shared = context(closing.Token);
        var consumer = await EnsureConsumerAsync(shared, slice, sliceCount, cancellationToken).ConfigureAwait(false);
        return new JetStreamSlice(shared, consumer, claim, slice, sliceCount, preservedDamaged, closing);
    }

    public async Task<IQueuePass> StartPassAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfLost();
        // Through an outage the runner pauses here instead of failing: its entries wait on the servers.
        await _context.Store.Connection.WhenOpenAsync(null, cancellationToken).ConfigureAwait(false);
        try
        {
            await PromoteDueEntriesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is QueueBackendUnavailableException or NatsException or TimeoutException)
        {
            _context.Logger.LogDebug("Queue {Queue}: due entries not made ready yet: {Error}", QueueName, ex.Message);
        }

        return new Pass(this);
    }

    public async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (_early is not null || timeout <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            if (timeout < ShortestPull || !_context.Store.Connection.IsOpen)
            {
                await Task.Delay(timeout < ShortestPull ? timeout : ShortestPull, _context.Clock, cancellationToken).ConfigureAwait(false);
                return;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
            _early = await _consumer.NextAsync<byte[]>(opts: new NatsJSNextOpts { Expires = timeout }, cancellationToken: linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A stop; the contract says the wait ends without throwing.
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            _context.Logger.LogDebug("Queue {Queue}: waiting for work: {Error}", QueueName, ex.Message);
            await SleepQuietlyAsync(ShortestPull, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Stops progress of anything still in hand (the process is going: the server offers it again
        // after the ack wait); an entry pulled early but never handed out goes back at once, uncounted.
        List<JetStreamLease> inHand;
        lock (_inHand)
        {
            inHand = [.. _inHand];
        }

        var early = _early;
        _early = null;
        Task.Run(async () =>
        {
            foreach (var lease in inHand)
            {
                await lease.AbandonAsync().ConfigureAwait(false);
            }

            if (early is { } delivery)
            {
                await GiveBackAsync(delivery).ConfigureAwait(false);
            }

            _closing.Cancel();
            await _claim.DisposeAsync().ConfigureAwait(false);
        }).Wait(TimeSpan.FromSeconds(5));
        _closing.Dispose();
    }

    private static async Task<INatsJSConsumer> EnsureConsumerAsync(JetStreamSliceContext context, int slice, int sliceCount, CancellationToken cancellationToken)
    {
        var names = context.Store.Names;
        string stream = names.Stream(context.Queue);
        string name = JetStreamNames.Consumer(context.Queue, slice, sliceCount);
        var config = new NATS.Client.JetStream.Models.ConsumerConfig(name)
        {
            DurableName = name,
            FilterSubject = names.SliceFilter(context.Queue, EntryPlace.Ready, slice, sliceCount),
            AckPolicy = NATS.Client.JetStream.Models.ConsumerConfigAckPolicy.Explicit,
            DeliverPolicy = NATS.Client.JetStream.Models.ConsumerConfigDeliverPolicy.All,
            // One entry in flight per slice, whichever host pulls: FIFO order and one runner at a time.
            MaxAckPending = 1,
            AckWait = context.AckWait,
            MaxDeliver = -1,
            NumReplicas = 0,
        };
        await context.Store.EnsureStreamAsync(context.Queue, cancellationToken).ConfigureAwait(false);
        try
        {
            return await context.Store.Answered(context.Store.Connection.JetStream.CreateOrUpdateConsumerAsync(stream, config, cancellationToken).AsTask()).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == 10100)
        {
            // "filtered consumer not unique on workqueue stream": slices of another instance count remain
            // from an earlier configuration. Every host runs one configuration; the old slices go.
            await foreach (var other in context.Store.Connection.JetStream.ListConsumerNamesAsync(stream, cancellationToken).ConfigureAwait(false))
            {
                if (other != name && other.StartsWith(context.Queue + "_", StringComparison.Ordinal))
                {
                    context.Logger.LogWarning("Queue {Queue}: removing consumer {Consumer} of another instance count (the configuration now has {Count} instances)", context.Queue, other, sliceCount);
                    await context.Store.Connection.JetStream.DeleteConsumerAsync(stream, other, cancellationToken).ConfigureAwait(false);
                }
            }

            return await context.Store.Answered(context.Store.Connection.JetStream.CreateOrUpdateConsumerAsync(stream, config, cancellationToken).AsTask()).ConfigureAwait(false);
        }
    }

    private void ThrowIfLost()
    {
        if (_claim.Lost is { } lost)
        {
            throw new QueueBackendUnavailableException($"queue {QueueName} slice {Slice}/{SliceCount}: {lost}; restarting waits for the slice again");
        }
    }

    // Entries kept with a not-before time wait on the slice's "later" subjects; due ones are made ready
    // here: stored ready (de-duplicated by id) first, then removed from later, so a crash between leaves a copy, never none.
    private async Task PromoteDueEntriesAsync(CancellationToken cancellationToken)
    {
        var store = _context.Store;
        var names = store.Names;
        var now = _context.Clock.GetUtcNow();
        // Other processes add later entries too (out keeps a message for retry): a listing at most a
        // few seconds old is used until its soonest entry falls due.
        if ((_nextDue is not { } known || known > now) && now - _lastScan < RescanInterval && !_context.LaterEntryAdded)
        {
            return;
        }

        _lastScan = now;
        _context.LaterEntryAdded = false;
        DateTimeOffset? nextDue = null;
        var subjects = await store.ListSubjectsAsync(QueueName, names.SliceFilter(QueueName, EntryPlace.Later, Slice, SliceCount), cancellationToken).ConfigureAwait(false);
        var due = new List<(string Subject, string Id, QueueFileNameParts Parts)>();
        foreach (var subject in subjects.Keys)
        {
            if (!names.TryParseSubject(QueueName, subject, out _, out string id) || !QueueFileName.TryParse(id, now, out var parts, out _))
            {
                continue;
            }

            if (parts.Due <= now)
            {
                due.Add((subject, id, parts));
            }
            else
            {
                nextDue = nextDue is { } soonest && soonest <= parts.Due ? soonest : parts.Due;
            }
        }

        foreach (var (subject, id, parts) in due.OrderBy(d => d.Parts.Time))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await store.GetLastAsync(QueueName, subject, cancellationToken).ConfigureAwait(false) is not { } later)
            {
                continue;
            }

            await store.PublishAsync(QueueName, names.Subject(QueueName, EntryPlace.Ready, id, parts.Digest), later.Data, "ready:" + id, null, cancellationToken).ConfigureAwait(false);
            await store.DeleteAsync(QueueName, later.Sequence, cancellationToken).ConfigureAwait(false);
        }

        _nextDue = nextDue;
    }

    private async Task<INatsJSMsg<byte[]>?> NextDeliveryAsync(CancellationToken cancellationToken)
    {
        if (_early is { } early)
        {
            _early = null;
            return early;
        }

        lock (_inHand)
        {
            // One unended entry per slice (MaxAckPending 1): the server would hold the pull until it ends.
            if (_inHand.Any(l => !l.IsEnded))
            {
                return null;
            }
        }

        // A delivery still in a dead runner's hands blocks the slice until the ack wait frees it: the pull
        // then gets nothing, and the short expiry keeps the pass from hanging on it.
        await foreach (var delivery in _consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1, Expires = ShortestPull }, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            return delivery;
        }

        return null;
    }

    // A delivery as a lease; null when it was no entry to hand out (preserved to bad, and acknowledged).
    private async Task<JetStreamLease?> ToLeaseAsync(INatsJSMsg<byte[]> delivery, CancellationToken cancellationToken)
    {
        var metadata = delivery.Metadata;
        ulong sequence = metadata?.Sequence.Stream ?? 0;
        long delivered = (long)(metadata?.NumDelivered ?? 1);
        long uncounted = delivered > 1
            ? await _context.RetryAsync("read the attempts of", delivery.Subject, () => _context.Uncounted.GetAsync(QueueName, sequence, cancellationToken)).ConfigureAwait(false)
            : 0;
        int attempt = (int)Math.Clamp(delivered - uncounted, 1, int.MaxValue);
        byte[] data = delivery.Data ?? [];
        if (!_context.Store.Names.TryParseSubject(QueueName, delivery.Subject, out _, out string id))
        {
            await PreserveAndAckAsync(delivery, id.Length > 0 ? id : delivery.Subject, data, $"unreadable: the subject {delivery.Subject} names no entry", damaged: true).ConfigureAwait(false);
            return null;
        }

        // The same bound as the file back end and this back end's later-scan: a far-future or garbage id is
        // preserved with the reason, never processed as if it were sound.
        if (!QueueFileName.TryParse(id, _context.Clock.GetUtcNow(), out _, out string? nameProblem))
        {
            await PreserveAndAckAsync(delivery, id, data, $"unreadable: the subject {delivery.Subject} names no valid entry: {nameProblem}", damaged: true).ConfigureAwait(false);
            return null;
        }

        if (attempt > MaxAttempts)
        {
            _context.Logger.LogError("Queue {Queue} slice {Slice}/{SliceCount}: {Id} was interrupted {Count} times; preserving it as a likely poison message", QueueName, Slice, SliceCount, id, MaxAttempts);
            await PreserveAndAckAsync(delivery, id, data, $"offered {MaxAttempts} times and each attempt was interrupted; preserved as a likely poison message", damaged: false).ConfigureAwait(false);
            return null;
        }

        try
        {
            var lease = new JetStreamLease(_context, delivery, _decoder.ToEntry(id, data, _ => attempt), sequence, uncounted > 0);
            lock (_inHand)
            {
                _inHand.RemoveAll(l => l.IsEnded);
                _inHand.Add(lease);
            }

            return lease;
        }
        catch (QueueEntryCorruptException ex)
        {
            _context.Logger.LogError("Queue {Queue} slice {Slice}/{SliceCount}: skipping and preserving unparseable message: {Id}: {Error}", QueueName, Slice, SliceCount, id, ex.Message);
            await PreserveAndAckAsync(delivery, id, data, $"unreadable: {ex.Message}", damaged: true).ConfigureAwait(false);
            return null;
        }
    }

    private async Task PreserveAndAckAsync(INatsJSMsg<byte[]> delivery, string id, byte[] data, string reason, bool damaged)
    {
        ulong sequence = delivery.Metadata?.Sequence.Stream ?? 0;
        await _context.PreserveAsync(id, data, reason, $"bad:{_context.Store.Names.Stream(QueueName)}:{sequence}").ConfigureAwait(false);
        await _context.RetryAsync("acknowledge", id, () => delivery.AckAsync(new AckOpts { DoubleAck = true })).ConfigureAwait(false);
        try
        {
            await _context.Uncounted.ForgetAsync(QueueName, sequence, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException)
        {
            // The key expires on its own.
        }

        if (damaged)
        {
            _preservedDamaged?.Invoke();
        }
    }

    private async Task GiveBackAsync(INatsJSMsg<byte[]> delivery)
    {
        try
        {
            await _context.Uncounted.AddAsync(QueueName, delivery.Metadata?.Sequence.Stream ?? 0, CancellationToken.None).ConfigureAwait(false);
            await delivery.NakAsync(new AckOpts { DoubleAck = true }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException or TimeoutException)
        {
            // Offered again after the ack wait.
        }
    }

    private async Task SleepQuietlyAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _context.Clock, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ends the wait.
        }
    }

    /// <summary>
    /// One pass: entries as the consumer delivers them, until it has none ready. <see cref="Count"/> is
    /// how many were handed out (a slice blocked by an entry still in a dead runner's hands counts 0, so
    /// its runner sleeps instead of spinning until the ack wait frees it).
    /// </summary>
    private sealed class Pass(JetStreamSlice slice) : IQueuePass
    {
        private bool _done;

        public int Count { get; private set; }

        public DateTimeOffset? NextDue => slice._nextDue;

        public async Task<IQueueLease?> TakeNextAsync(CancellationToken cancellationToken = default)
        {
            while (!_done)
            {
                cancellationToken.ThrowIfCancellationRequested();
                slice.ThrowIfLost();
                INatsJSMsg<byte[]>? delivery;
                try
                {
                    delivery = await slice.NextDeliveryAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NatsException or TimeoutException)
                {
                    slice._context.Logger.LogDebug("Queue {Queue}: fetch failed: {Error}", slice.QueueName, ex.Message);
                    delivery = null;
                }

                if (delivery is not { } message)
                {
                    _done = true;
                    break;
                }

                if (await slice.ToLeaseAsync(message, cancellationToken).ConfigureAwait(false) is { } lease)
                {
                    Count++;
                    return lease;
                }
            }

            return null;
        }
    }
}
