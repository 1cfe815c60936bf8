using System.Globalization;
using Microsoft.Extensions.Logging;
using MimeKit;
using RunnerHost.Configuration;
using RunnerHost.Events;
using RunnerHost.Lists;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost;

/// <summary>
/// The base class of every runner, with Mailman's hooks. The outer loop (<see cref="RunAsync"/>)
/// repeats: one pass over the due entries of this slice in FIFO order
/// (<see cref="OneIterationAsync"/>), the periodic hook, then <see cref="SnoozeAsync"/>, until
/// <see cref="Stop"/> is called or the token passed to <see cref="RunAsync"/> is cancelled.
/// </summary>
/// <remarks>
/// <para>Stopping is graceful: <see cref="Stop"/> lets the message in hand finish and fetches no
/// more. Cancelling the token interrupts the dispose hook; the interrupted entry is returned to its
/// queue unchanged. A stop never shunts a message.</para>
/// <para>A runner whose dispose hook throws has the message shunted with an error record in its
/// metadata and a <see cref="RunnerCrash"/> event raised; the runner goes on with the next entry.</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A CancellationTokenSource without a timer holds nothing that needs disposing.")]
public abstract class Runner
{
    private readonly RunnerContext _context;
    // Cancelled once by Stop() to wake a sleeping snooze; never reset, because a stop is final.
    private readonly CancellationTokenSource _stopSignal = new();
    private volatile bool _stopRequested;
    private bool _singlePass;
    private InFlightEntry? _inFlight;

    // The snapshot of the current loop turn, so the snooze need not list the directory again.
    private QueueSnapshot? _passSnapshot;
    private long _lastLoopTicks;

    /// <summary>Creates the runner from the context the host built for it.</summary>
    protected Runner(RunnerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
    }

    /// <summary>The runner name (the <c>[runner.NAME]</c> suffix).</summary>
    public string Name => _context.Settings.Name;

    /// <summary>This instance's slice, 0-based.</summary>
    public int Slice => _context.Slice;

    /// <summary>The number of slices.</summary>
    public int SliceCount => _context.SliceCount;

    /// <summary>The runner's settings.</summary>
    public RunnerSettings Settings => _context.Settings;

    /// <summary>False for runners without a queue (servers, periodic tasks); they get no switchboard and their passes are empty.</summary>
    public virtual bool IsQueueRunner => true;

    /// <summary>This slice's switchboard; null for a non-queue runner or a section without a queue path.</summary>
    public ISwitchboard? Switchboard => IsQueueRunner ? _context.Switchboard : null;

    /// <summary>Every configured queue.</summary>
    protected ISwitchboardRegistry Queues => _context.Queues;

    /// <summary>The mailing lists.</summary>
    protected IListManager Lists => _context.Lists;

    /// <summary>The logger of this runner slice.</summary>
    protected ILogger Logger => _context.Logger;

    /// <summary>The clock.</summary>
    protected TimeProvider Clock => _context.Clock;

    /// <summary>Process-wide runner events.</summary>
    protected IRunnerEvents Events => _context.Events;

    /// <summary>True once <see cref="Stop"/> was called.</summary>
    public bool IsStopping => _stopRequested;

    /// <summary>The entry being processed now and since when; null between entries. Read by the host's heartbeat.</summary>
    public InFlightEntry? InFlight => Volatile.Read(ref _inFlight);

    /// <summary>When the outer loop last completed a turn (heartbeat); null before the first.</summary>
    public DateTimeOffset? LastLoop
    {
        get
        {
            long ticks = Interlocked.Read(ref _lastLoopTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>The slice as the logs show it, e.g. <c>in:0/1</c>.</summary>
    public string Identity => $"{Name}:{Slice}/{SliceCount}";

    /// <summary>Asks the runner to stop after the message in hand; wakes a sleeping runner. Safe from any thread, idempotent.</summary>
    public void Stop()
    {
        _stopRequested = true;
        _stopSignal.Cancel();
    }

    /// <summary>
    /// Recovers interrupted entries, makes one full pass over the due entries (not cut short after the
    /// first file, unlike Mailman's <c>--once</c>), runs the periodic hook and the clean-up, and returns.
    /// </summary>
    public Task RunOnceAsync(CancellationToken cancellationToken = default)
    {
        _singlePass = true;
        return RunAsync(cancellationToken);
    }

    /// <summary>
    /// Runs the loop until stopped. Recovers this slice's interrupted entries first. Clean-up runs when
    /// the loop ends by <see cref="Stop"/> or cancellation; any other exception is logged and rethrown.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        Logger.LogInformation("{Runner} runner started.", Identity);
        try
        {
            if (Switchboard is { } switchboard)
            {
                await switchboard.RecoverAsync(cancellationToken).ConfigureAwait(false);
            }

            // A stop that arrives while the runner sleeps (or before it starts) ends the loop without another pass.
            while (!cancellationToken.IsCancellationRequested && !_stopRequested)
            {
                _passSnapshot = null;
                int count = await OneIterationAsync(cancellationToken).ConfigureAwait(false);
                await RunPeriodicAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Exchange(ref _lastLoopTicks, Clock.GetUtcNow().UtcTicks);
                if (_singlePass || _stopRequested || cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                await SnoozeAsync(count, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancellation is a stop, not a failure.
        }
        catch (ConfigurationValueException ex)
        {
            // A bad setting is the operator's to fix: its message names file, line and key; a stack trace would bury it.
            Logger.LogCritical("{Runner} runner failed: {Error}", Identity, ex.Message);
            throw;
        }
        catch (Exception ex)
        {
            Logger.LogCritical(ex, "{Runner} runner failed: {Error}", Identity, ex.Message);
            throw;
        }

        await CleanUpAsync(CancellationToken.None).ConfigureAwait(false);
        Logger.LogInformation("{Runner} runner exiting.", Identity);
    }

    /// <summary>
    /// One pass over a snapshot of the due entries of this slice, in FIFO order; returns the snapshot size.
    /// Entries that arrive during the pass are seen by the next one.
    /// </summary>
    protected virtual async Task<int> OneIterationAsync(CancellationToken cancellationToken)
    {
        if (Switchboard is not { } switchboard)
        {
            return 0;
        }

        var snapshot = switchboard.GetSnapshot(Clock.GetUtcNow());
        _passSnapshot = snapshot;
        foreach (var filebase in snapshot.Ready)
        {
            if (cancellationToken.IsCancellationRequested || _stopRequested)
            {
                break;
            }

            await ProcessEntryAsync(switchboard, filebase, cancellationToken).ConfigureAwait(false);
            await RunPeriodicAsync(cancellationToken).ConfigureAwait(false);
            if (ShortCircuit())
            {
                break;
            }
        }

        return snapshot.Ready.Count;
    }

    /// <summary>
    /// Processes one dequeued entry: looks up its list (by <c>listid</c>, else <c>listname</c>), shunts it
    /// when the list is missing, sets <c>lang</c>, calls <see cref="DisposeMessageAsync"/>, and re-enqueues
    /// it with a not-before time when the hook asks to keep it queued.
    /// </summary>
    protected virtual async Task ProcessOneFileAsync(QueueEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var message = entry.Message;
        var metadata = entry.Metadata;
        var list = FindList(metadata);
        if (list is null)
        {
            string identifier = metadata.ListId ?? metadata.ListName ?? "(no listid or listname)";
            Logger.LogError(
                "{MessageId} runner \"{Runner}\" shunting message for missing list: {List}",
                message.MessageId ?? "(no Message-ID)",
                Name,
                identifier);
            var shunted = metadata.Clone();
            shunted[MessageDataKeys.Error] = ErrorRecord(entry, "RunnerHost.MissingList", $"No such list: {identifier}", stack: null);
            await Queues[QueueNames.Shunt].EnqueueAsync(message, shunted, cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        string? memberLanguage = message.From.Mailboxes.FirstOrDefault() is { } sender
            ? list.FindMember(sender.Address)?.PreferredLanguage
            : null;
        metadata.Language = memberLanguage ?? list.PreferredLanguage;

        bool keepQueued;
        try
        {
            keepQueued = await DisposeMessageAsync(list, message, metadata, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Events.RaiseCrash(new RunnerCrash(this, list, message, metadata, ex));
            throw;
        }

        if (keepQueued && Switchboard is { } switchboard)
        {
            var notBefore = NextAttemptTime(metadata);
            metadata.Remove(MessageDataKeys.NotBefore);
            string requeued = await switchboard.EnqueueAsync(message, metadata, notBefore: notBefore, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            Logger.LogDebug("{Runner} kept {Filebase} queued as {Requeued}, due {Due:O}", Identity, entry.Filebase, requeued, notBefore);
        }
    }

    /// <summary>
    /// The per-message hook. Return true to keep the message queued (it comes back after the
    /// requeue backoff, or at <see cref="MessageData.NotBefore"/> when set), false when done. An
    /// exception shunts the message; cancellation of <paramref name="cancellationToken"/> returns it
    /// to the queue unchanged.
    /// </summary>
    protected virtual Task<bool> DisposeMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"Runner type {GetType().FullName} ([runner.{Name}]) does not override DisposeMessageAsync, so it cannot process queue entries.");

    /// <summary>Housekeeping hook: called after every entry and once per pass. Its exceptions are logged and do not stop the loop.</summary>
    protected virtual Task DoPeriodicAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Sleeps between passes. Default: returns at once when the pass found entries or
    /// <c>sleep_time</c> is zero; otherwise waits until new work arrives, the next delayed entry is
    /// due, <c>sleep_time</c> passes, or the runner is stopped.
    /// </summary>
    protected virtual async Task SnoozeAsync(int fileCount, CancellationToken cancellationToken)
    {
        var sleep = Settings.SleepTime;
        if (fileCount > 0 || sleep <= TimeSpan.Zero || _stopRequested)
        {
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopSignal.Token);
        if (Switchboard is { } switchboard)
        {
            // New entries set the switchboard's wake flag, so only the delayed ones need the snapshot.
            var snapshot = _passSnapshot ?? switchboard.GetSnapshot(Clock.GetUtcNow());
            if (snapshot.NextDue is { } due)
            {
                var untilDue = due - Clock.GetUtcNow();
                sleep = untilDue < sleep ? (untilDue < TimeSpan.Zero ? TimeSpan.Zero : untilDue) : sleep;
            }

            await switchboard.WaitForWorkAsync(sleep, linked.Token).ConfigureAwait(false);
            return;
        }

        try
        {
            await Task.Delay(sleep, Clock, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Woken by Stop or cancellation.
        }
    }

    /// <summary>Returns true to end the current pass early; by default when the runner is stopping.</summary>
    protected virtual bool ShortCircuit() => _stopRequested;

    /// <summary>Called once after the loop ends by a stop or cancellation.</summary>
    protected virtual Task CleanUpAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>When a kept-queued entry is due again: its <c>not_before</c> when set and later than now, else now plus the doubling backoff.</summary>
    protected virtual DateTimeOffset NextAttemptTime(MessageData metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var now = Clock.GetUtcNow();
        if (metadata.NotBefore is { } requested && requested > now)
        {
            metadata.Remove(MessageDataKeys.RequeueCount);
            return requested;
        }

        long keeps = metadata.TryGetInt64(MessageDataKeys.RequeueCount, out var previous) ? previous : 0;
        metadata[MessageDataKeys.RequeueCount] = keeps + 1;
        double factor = Math.Pow(2, Math.Min(keeps, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(Settings.RequeueBackoff.Ticks * factor, Settings.RequeueBackoffMax.Ticks));
        return now + delay;
    }

    private IMailingList? FindList(MessageData metadata)
    {
        if (metadata.ListId is { } listId)
        {
            return Lists.GetByListId(listId);
        }

        return metadata.ListName is { } listName ? Lists.GetByPostingAddress(listName) : null;
    }

    private async Task ProcessEntryAsync(ISwitchboard switchboard, string filebase, CancellationToken cancellationToken)
    {
        QueueEntry entry;
        try
        {
            entry = await switchboard.DequeueAsync(filebase, cancellationToken).ConfigureAwait(false);
        }
        catch (QueueEntryNotFoundException)
        {
            Logger.LogDebug("{Runner} entry {Filebase} vanished before dequeue; another process took it", Identity, filebase);
            return;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            // A damaged entry is described by its message; a stack is only worth logging for a surprise.
            Logger.LogError(ex is QueueEntryCorruptException ? null : ex, "{Runner} skipping and preserving unparseable message: {Filebase}: {Error}", Identity, filebase, ex.Message);
            await switchboard.FinishAsync(filebase, preserve: true, reason: $"unreadable: {ex.Message}", cancellationToken: CancellationToken.None).ConfigureAwait(false);
            return;
        }

        Volatile.Write(ref _inFlight, new InFlightEntry(filebase, Clock.GetUtcNow()));
        try
        {
            await ProcessOneFileAsync(entry, cancellationToken).ConfigureAwait(false);
            await switchboard.FinishAsync(filebase, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted by a stop: the entry goes back as it was, never to the shunt queue.
            Logger.LogInformation("{Runner} stop interrupted {Filebase}; returned it to the queue", Identity, filebase);
            await switchboard.ReleaseAsync(filebase, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await ShuntAsync(switchboard, entry, ex).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _inFlight, null);
        }
    }

    private async Task ShuntAsync(ISwitchboard switchboard, QueueEntry entry, Exception error)
    {
        Logger.LogError(error, "{Runner} uncaught runner exception for {Filebase}: {Error}", Identity, entry.Filebase, error.Message);
        try
        {
            var metadata = entry.Metadata;
            metadata.WhichQueue = switchboard.Name;
            metadata[MessageDataKeys.Error] = ErrorRecord(entry, error.GetType().FullName ?? error.GetType().Name, error.Message, error.ToString());
            string shunted = await Queues[QueueNames.Shunt].EnqueueAsync(entry.Message, metadata).ConfigureAwait(false);
            Logger.LogError("{Runner} SHUNTING: {Shunted} (was {Filebase})", Identity, shunted, entry.Filebase);
            await switchboard.FinishAsync(entry.Filebase).ConfigureAwait(false);
        }
        catch (Exception shuntError)
        {
            Logger.LogError(shuntError, "{Runner} SHUNTING FAILED, preserving original entry: {Filebase}", Identity, entry.Filebase);
            await switchboard.FinishAsync(entry.Filebase, preserve: true, reason: $"shunt failed: {shuntError.Message}; original error: {error.Message}").ConfigureAwait(false);
        }
    }

    private MessageData ErrorRecord(QueueEntry entry, string type, string message, string? stack)
    {
        long restores = entry.Metadata.TryGetInt64(MessageDataKeys.BackupCount, out var count) ? count : 0;
        var record = new MessageData
        {
            [ErrorRecordKeys.Type] = type,
            [ErrorRecordKeys.Message] = message,
            [ErrorRecordKeys.Runner] = Name,
            [ErrorRecordKeys.Slice] = $"{Slice}/{SliceCount}",
            [ErrorRecordKeys.Queue] = Switchboard?.Name,
            [ErrorRecordKeys.Filebase] = entry.Filebase,
            [ErrorRecordKeys.Time] = Clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
            [ErrorRecordKeys.Attempt] = restores + 1,
        };
        if (stack is not null)
        {
            record[ErrorRecordKeys.Stack] = stack;
        }

        return record;
    }

    private async Task RunPeriodicAsync(CancellationToken cancellationToken)
    {
        try
        {
            await DoPeriodicAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            Logger.LogError(ex, "{Runner} periodic hook failed: {Error}", Identity, ex.Message);
        }
    }
}

/// <summary>The entry a runner is processing and since when.</summary>
/// <param name="Filebase">The entry's filebase.</param>
/// <param name="Since">When processing started.</param>
public sealed record InFlightEntry(string Filebase, DateTimeOffset Since);
