using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Events;
using RunnerHost.Hosting.Diagnostics.Tracing;
using RunnerHost.Hosting.Lists;
using RunnerHost.Lists;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Engine;

/// <summary>
/// The loop that drives a <see cref="Runner"/>'s hooks over its slice, whatever the back end: passes
/// over the due entries in FIFO order, one lease at a time; the list lookup, <c>lang</c>, the dispose
/// hook; complete, keep queued, shunt with an error record, or release on a stop; the periodic hook,
/// the short circuit and the snooze; the clean-up when stopped.
/// </summary>
/// <remarks>
/// Stopping is graceful: <see cref="RequestStop"/> lets the entry in hand finish and takes no more. Cancelling
/// the token interrupts the dispose hook; the interrupted entry is released unchanged. A stop never shunts.
/// </remarks>
public sealed class QueueRunnerLoop : IRunningRunner, IRunnerLoop
{
    private readonly Runner _runner;
    private readonly IQueueSlice _slice;
    private readonly IListManager _lists;
    private readonly IRunnerEvents _events;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly IEntryOutcomes? _outcomes;
    private InFlightEntry? _inFlight;
    private long _lastLoopTicks;
    // The pass of the current loop turn: its next-due time bounds the snooze.
    private IQueuePass? _pass;
    private string? _sliceLabel;
    private string? _spanName;
    // A hostile or broken traceparent is reported once per runner slice, not once per entry.
    private bool _reportedBadTraceContext;
    // The span of the entry in hand (null with tracing off).
    private Activity? _span;

    public QueueRunnerLoop(Runner runner, IQueueSlice slice, IListManager lists, IRunnerEvents events, ILogger logger, TimeProvider clock, IEntryOutcomes? outcomes = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(slice);
        _runner = runner;
        _slice = slice;
        _lists = lists;
        _events = events;
        _logger = logger;
        _clock = clock;
        _outcomes = outcomes;
    }

    public string Identity => _runner.Identity;

    // "slice/count", built once: the outcome of every entry is recorded with it.
    private string SliceLabel => _sliceLabel ??= $"{_runner.Slice}/{_runner.SliceCount}";

    public InFlightEntry? InFlight => Volatile.Read(ref _inFlight);

    public DateTimeOffset? LastLoop
    {
        get
        {
            long ticks = Interlocked.Read(ref _lastLoopTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    public void RequestStop() => _runner.Stop();

    /// <summary>
    /// Runs the loop until stopped; with <paramref name="once"/>, one full pass (not cut short after the
    /// first entry, unlike Mailman's <c>--once</c>) and the periodic hook. Clean-up runs when the loop ends
    /// by a stop, cancellation or the single pass; any other exception is logged and rethrown.
    /// </summary>
    public async Task RunAsync(bool once, CancellationToken cancellationToken)
    {
        _runner.Loop = this;
        _logger.LogInformation("{Runner} runner started.", Identity);
        try
        {
            // A stop that arrives while the runner sleeps (or before it starts) ends the loop without another pass.
            while (!cancellationToken.IsCancellationRequested && !_runner.IsStopping)
            {
                int count = await OnePassAsync(cancellationToken).ConfigureAwait(false);
                await PeriodicAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Exchange(ref _lastLoopTicks, _clock.GetUtcNow().UtcTicks);
                if (once || _runner.IsStopping || cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                await _runner.InvokeSnoozeAsync(count, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancellation is a stop, not a failure.
        }
        catch (Exception ex)
        {
            // A bad setting is the operator's to fix: its message names file, line and key; a stack trace would bury it.
            _logger.LogCritical(ex is ConfigurationValueException ? null : ex, "{Runner} runner failed: {Error}", Identity, ex.Message);
            throw;
        }
        finally
        {
            _runner.Loop = null;
        }

        await _runner.InvokeCleanUpAsync(CancellationToken.None).ConfigureAwait(false);
        _logger.LogInformation("{Runner} runner exiting.", Identity);
    }

    /// <inheritdoc/>
    async Task IRunnerLoop.WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // New entries set the slice's wake flag, so only the delayed ones bound the wait.
        if (_pass?.NextDue is { } due)
        {
            var untilDue = due - _clock.GetUtcNow();
            timeout = untilDue < timeout ? (untilDue < TimeSpan.Zero ? TimeSpan.Zero : untilDue) : timeout;
        }

        await _slice.WaitForWorkAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    // One pass over the entries due when it started; returns how many were due.
    private async Task<int> OnePassAsync(CancellationToken cancellationToken)
    {
        var pass = await _slice.StartPassAsync(cancellationToken).ConfigureAwait(false);
        _pass = pass;
        while (!cancellationToken.IsCancellationRequested && !_runner.IsStopping)
        {
            if (await pass.TakeNextAsync(cancellationToken).ConfigureAwait(false) is not { } lease)
            {
                break;
            }

            await ProcessLeaseAsync(lease, cancellationToken).ConfigureAwait(false);
            await PeriodicAsync(cancellationToken).ConfigureAwait(false);
            if (_runner.InvokeShortCircuit())
            {
                break;
            }
        }

        return pass.Count;
    }

    private async Task ProcessLeaseAsync(IQueueLease lease, CancellationToken cancellationToken)
    {
        var entry = lease.Entry;
        var started = _clock.GetUtcNow();
        Volatile.Write(ref _inFlight, new InFlightEntry(entry.Id, started));
        // A field, not a local: locals of an async method are fields of its state machine box (all of them in a
        // Debug build), which every entry that awaits allocates.
        _span = StartSpan(entry);
        EntryOutcome outcome;
        try
        {
            outcome = await DisposeAsync(lease, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted by a stop: the entry goes back as it was, never to the shunt queue.
            _logger.LogInformation("{Runner} stop interrupted {Filebase}; returned it to the queue", Identity, entry.Id);
            await lease.ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
            outcome = EntryOutcome.Released;
        }
        catch (RunnerHost.Hosting.Queues.QueueBackendUnavailableException ex)
        {
            // The queues could not store what the runner produced (its back end does not answer): not the
            // message's fault, so it goes back to its queue, and the next pass waits for the back end.
            _logger.LogWarning("{Runner} {Filebase}: the queue back end is unavailable ({Error}); returned it to the queue", Identity, entry.Id, ex.Message);
            await lease.ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
            outcome = EntryOutcome.Released;
        }
        catch (QueueEntryCorruptException ex) when (!entry.IsMessageParsed)
        {
            outcome = await PreserveUnparseableAsync(lease, ex).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            outcome = await ShuntAsync(lease, ex).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _inFlight, null);
        }

        if (_span is not null)
        {
            EndSpan(entry, outcome);
        }

        _outcomes?.Record(_runner.Name, SliceLabel, outcome, _clock.GetUtcNow() - started);
    }

    // One consumer span per entry, continuing the trace the entry's metadata carries. Without a listener (tracing
    // off) the check is all it costs: nothing is read or allocated.
    private Activity? StartSpan(QueueEntry entry)
    {
        if (!TraceSources.Runner.HasListeners())
        {
            return null;
        }

        if (!TraceContextMetadata.TryExtract(entry.Metadata, out var parent, out bool malformed) && malformed && !_reportedBadTraceContext)
        {
            _reportedBadTraceContext = true;
            _logger.LogWarning("{Runner} {Filebase}: the entry's traceparent is not a W3C trace context; it starts a new trace (reported once)", Identity, entry.Id);
        }

        var span = TraceSources.Runner.StartActivity(_spanName ??= $"process {_slice.QueueName}", ActivityKind.Consumer, parent);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("messaging.system", "runner-host");
            span.SetTag("messaging.operation.type", "process");
            span.SetTag("messaging.destination.name", _slice.QueueName);
            span.SetTag("messaging.message.id", entry.Id);
            span.SetTag("runnerhost.runner", _runner.Name);
            span.SetTag("runnerhost.slice", SliceLabel);
            span.SetTag("runnerhost.attempt", entry.Attempt);
        }

        return span;
    }

    private void EndSpan(QueueEntry entry, EntryOutcome outcome)
    {
        using var span = _span!;
        _span = null;
        // The Message-ID only when the runner parsed the message anyway: a span never pays the MIME parse.
        if (entry.IsMessageParsed && entry.Message.MessageId is { } messageId)
        {
            span.SetTag("runnerhost.message_id", messageId);
        }

        span.SetTag("runnerhost.outcome", outcome.ToString());
        if (outcome is EntryOutcome.Shunted or EntryOutcome.Preserved)
        {
            span.SetStatus(ActivityStatusCode.Error, outcome.ToString());
        }
    }

    /// <summary>
    /// Looks up the entry's list (by <c>listid</c>, else <c>listname</c>), shunts it when the list is
    /// missing, sets <c>lang</c>, calls the dispose hook, and keeps the entry queued with a not-before
    /// time when the hook asks to.
    /// </summary>
    private async Task<EntryOutcome> DisposeAsync(IQueueLease lease, CancellationToken cancellationToken)
    {
        var entry = lease.Entry;
        var metadata = entry.Metadata;
        var list = FindList(metadata);
        if (list is null)
        {
            string identifier = metadata.ListId ?? metadata.ListName ?? "(no listid or listname)";
            _logger.LogError(
                "{MessageId} runner \"{Runner}\" shunting message for missing list: {List}",
                entry.Message.MessageId ?? "(no Message-ID)",
                _runner.Name,
                identifier);
            var shunted = metadata.Clone();
            shunted[MessageDataKeys.Error] = ErrorRecord(entry, "RunnerHost.MissingList", $"No such list: {identifier}", stack: null);
            await lease.MoveAsync(QueueNames.Shunt, entry.Message, shunted, CancellationToken.None).ConfigureAwait(false);
            return EntryOutcome.Shunted;
        }

        metadata.Language = MemberLanguage(list, entry) ?? list.PreferredLanguage;

        bool keepQueued;
        try
        {
            keepQueued = await _runner.InvokeProcessAsync(list, entry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !IsUnparseable(ex, entry))
        {
            _events.RaiseCrash(new RunnerCrash(_runner, list, entry.Message, metadata, ex));
            throw;
        }

        if (!keepQueued)
        {
            await lease.CompleteAsync(CancellationToken.None).ConfigureAwait(false);
            return EntryOutcome.Processed;
        }

        var notBefore = _runner.InvokeNextAttemptTime(metadata);
        metadata.Remove(MessageDataKeys.NotBefore);
        string requeued = await lease.RequeueAsync(entry.Message, metadata, notBefore, CancellationToken.None).ConfigureAwait(false);
        _logger.LogDebug("{Runner} kept {Filebase} queued as {Requeued}, due {Due:O}", Identity, entry.Id, requeued, notBefore);
        return EntryOutcome.Requeued;
    }

    // The sender's own language needs the sender, which costs the MIME parse; a configured list whose members all
    // use the list's language (the common case) answers without it, so a runner that only moves bytes never parses.
    private static string? MemberLanguage(IMailingList list, QueueEntry entry)
    {
        if (list is ConfiguredMailingList { HasMemberLanguages: false })
        {
            return null;
        }

        return entry.Message.From.Mailboxes.FirstOrDefault() is { } sender ? list.FindMember(sender.Address)?.PreferredLanguage : null;
    }

    // The stored message itself could not be parsed when first read: the entry is damaged, not the runner's doing.
    private static bool IsUnparseable(Exception error, QueueEntry entry) => error is QueueEntryCorruptException && !entry.IsMessageParsed;

    private async Task<EntryOutcome> PreserveUnparseableAsync(IQueueLease lease, QueueEntryCorruptException error)
    {
        _logger.LogError("{Runner} {Filebase}: the stored message cannot be parsed ({Error}); preserving it", Identity, lease.Entry.Id, error.Message);
        await lease.PreserveAsync($"unreadable: {error.Message}", CancellationToken.None).ConfigureAwait(false);
        return EntryOutcome.Preserved;
    }

    private async Task<EntryOutcome> ShuntAsync(IQueueLease lease, Exception error)
    {
        var entry = lease.Entry;
        _logger.LogError(error, "{Runner} uncaught runner exception for {Filebase}: {Error}", Identity, entry.Id, error.Message);
        try
        {
            var metadata = entry.Metadata;
            metadata.WhichQueue = _slice.QueueName;
            metadata[MessageDataKeys.Error] = ErrorRecord(entry, error.GetType().FullName ?? error.GetType().Name, error.Message, error.ToString());
            string shunted = await lease.MoveAsync(QueueNames.Shunt, entry.Message, metadata, CancellationToken.None).ConfigureAwait(false);
            _logger.LogError("{Runner} SHUNTING: {Shunted} (was {Filebase})", Identity, shunted, entry.Id);
            return EntryOutcome.Shunted;
        }
        catch (Exception shuntError)
        {
            _logger.LogError(shuntError, "{Runner} SHUNTING FAILED, preserving original entry: {Filebase}", Identity, entry.Id);
            await lease.PreserveAsync($"shunt failed: {shuntError.Message}; original error: {error.Message}", CancellationToken.None).ConfigureAwait(false);
            return EntryOutcome.Preserved;
        }
    }

    private MessageData ErrorRecord(QueueEntry entry, string type, string message, string? stack)
    {
        var record = new MessageData
        {
            [ErrorRecordKeys.Type] = type,
            [ErrorRecordKeys.Message] = message,
            [ErrorRecordKeys.Runner] = _runner.Name,
            [ErrorRecordKeys.Slice] = SliceLabel,
            [ErrorRecordKeys.Queue] = _slice.QueueName,
            [ErrorRecordKeys.Filebase] = entry.Id,
            [ErrorRecordKeys.Time] = _clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
            [ErrorRecordKeys.Attempt] = (long)entry.Attempt,
        };
        if (stack is not null)
        {
            record[ErrorRecordKeys.Stack] = stack;
        }

        return record;
    }

    private IMailingList? FindList(MessageData metadata)
    {
        if (metadata.ListId is { } listId)
        {
            return _lists.GetByListId(listId);
        }

        return metadata.ListName is { } listName ? _lists.GetByPostingAddress(listName) : null;
    }

    private async Task PeriodicAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _runner.InvokePeriodicAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "{Runner} periodic hook failed: {Error}", Identity, ex.Message);
        }
    }
}
