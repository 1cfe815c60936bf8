using Microsoft.Extensions.Logging;
using MimeKit;
using NATS.Client.Core;
using NATS.Client.JetStream;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>
/// An entry delivered by its slice's consumer and not yet acknowledged. While it is in hand, progress
/// is reported every third of the ack wait, so a long dispose is never offered again while its runner
/// lives. Every ending stores what replaces the entry first (acknowledged by the stream), then
/// acknowledges the delivery, retrying through an outage: the runner pauses there, and a crash in
/// between offers the entry again (at least once, never lost).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The progress source is cancelled and disposed when the lease ends, which the contract makes happen once.")]
internal sealed class JetStreamLease : IQueueLease
{
    private static readonly AckOpts Confirmed = new() { DoubleAck = true };

    private readonly JetStreamSliceContext _context;
    private readonly INatsJSMsg<byte[]> _delivery;
    private readonly ulong _sequence;
    private readonly bool _hasUncounted;
    private readonly CancellationTokenSource _inHand = new();
    private readonly Task _progress;
    private int _ended;

    public JetStreamLease(JetStreamSliceContext context, INatsJSMsg<byte[]> delivery, QueueEntry entry, ulong sequence, bool hasUncounted)
    {
        _context = context;
        _delivery = delivery;
        _sequence = sequence;
        _hasUncounted = hasUncounted;
        Entry = entry;
        _progress = ReportProgressAsync();
    }

    public string QueueName => _context.Queue;

    /// <summary>True once an ending started.</summary>
    public bool IsEnded => Volatile.Read(ref _ended) != 0;

    public QueueEntry Entry { get; }

    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        await StopProgressAsync().ConfigureAwait(false);
        await _context.RetryAsync("acknowledge", Entry.Id, () => _delivery.AckAsync(Confirmed)).ConfigureAwait(false);
        await ForgetAsync().ConfigureAwait(false);
    }

    public async Task ReleaseAsync(CancellationToken cancellationToken = default)
    {
        await StopProgressAsync().ConfigureAwait(false);
        // Recorded before the nak: the redelivery this causes is no attempt.
        await _context.RetryAsync("record the release of", Entry.Id, async () => await _context.Uncounted.AddAsync(QueueName, _sequence, CancellationToken.None).ConfigureAwait(false)).ConfigureAwait(false);
        await _context.RetryAsync("give back", Entry.Id, () => _delivery.NakAsync(Confirmed)).ConfigureAwait(false);
    }

    public async Task<string> RequeueAsync(MimeMessage message, MessageData metadata, DateTimeOffset notBefore, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        byte[] bytes = JetStreamQueue.Serialize(message, CancellationToken.None);
        var prepared = NewEntry.PrepareMetadata(metadata, null);
        string id = await _context.RetryAsync("requeue", Entry.Id, async () =>
            (await _context.Queues.Get(QueueName).StoreAsync(bytes, prepared, notBefore, MoveId("requeue"), null, CancellationToken.None).ConfigureAwait(false)).Id).ConfigureAwait(false);
        _context.LaterEntryAdded = true;
        await CompleteAsync(CancellationToken.None).ConfigureAwait(false);
        return id;
    }

    public async Task PreserveAsync(string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        try
        {
            await _context.PreserveAsync(Entry.Id, _delivery.Data ?? [], reason, MoveId("bad")).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or NatsException)
        {
            // Never thrown: the entry stays unacknowledged and is offered again.
            await StopProgressAsync().ConfigureAwait(false);
            _context.Logger.LogError("Queue {Queue}: could not preserve {Id} to bad ({Reason}): {Error}; it is offered again", QueueName, Entry.Id, reason, ex.Message);
            return;
        }

        await CompleteAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async Task<string> MoveAsync(string queue, MimeMessage message, MessageData metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        byte[] bytes = JetStreamQueue.Serialize(message, CancellationToken.None);
        var prepared = NewEntry.PrepareMetadata(metadata, null);
        var target = _context.Queues.Get(queue);
        string id = await _context.RetryAsync("move", Entry.Id, async () =>
            (await target.StoreAsync(bytes, prepared, null, MoveId("move:" + queue), null, CancellationToken.None).ConfigureAwait(false)).Id).ConfigureAwait(false);
        await CompleteAsync(CancellationToken.None).ConfigureAwait(false);
        return id;
    }

    /// <summary>The process dies with the entry in hand (the contract tests' lost process): progress stops, nothing is acknowledged.</summary>
    internal Task AbandonAsync() => StopProgressAsync();

    // One id per delivery's ending: a retried store of this ending never stores twice. A crash before the
    // acknowledgement brings a new delivery, whose ending stores again (at least once, as with files).
    private string MoveId(string what) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{what}:{_context.Store.Names.Stream(QueueName)}:{_sequence}:{_delivery.Metadata?.NumDelivered ?? 0}");

    private async Task ForgetAsync()
    {
        if (_hasUncounted)
        {
            try
            {
                await _context.Uncounted.ForgetAsync(QueueName, _sequence, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException)
            {
                // The key expires on its own.
            }
        }
    }

    private async Task StopProgressAsync()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            await _inHand.CancelAsync().ConfigureAwait(false);
            await _progress.ConfigureAwait(false);
            _inHand.Dispose();
            return;
        }

        await _progress.ConfigureAwait(false);
    }

    private async Task ReportProgressAsync()
    {
        using var timer = new PeriodicTimer(_context.AckWait / 3, _context.Clock);
        try
        {
            while (await timer.WaitForNextTickAsync(_inHand.Token).ConfigureAwait(false))
            {
                try
                {
                    await _delivery.AckProgressAsync(cancellationToken: _inHand.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NatsException or TimeoutException || (ex is OperationCanceledException && !_inHand.IsCancellationRequested))
                {
                    _context.Logger.LogDebug("Queue {Queue}: progress of {Id} not reported: {Error}", QueueName, Entry.Id, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Ended.
        }
    }
}
