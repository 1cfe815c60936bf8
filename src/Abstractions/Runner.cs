using MimeKit;
using RunnerHost.Lists;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost;

/// <summary>
/// A queue runner: Mailman's hooks, driven by the host over this slice of the runner's queue. The host
/// makes passes over the due entries in FIFO order; for each it looks up the list, sets <c>lang</c> and
/// calls <see cref="ProcessEntryAsync"/>, which by default parses the message and calls <see cref="ProcessMessageAsync"/> (Mailman's <c>_dispose</c>), then <see cref="DoPeriodicAsync"/>
/// and <see cref="ShortCircuit"/>; after a pass, <see cref="DoPeriodicAsync"/> and <see cref="SnoozeAsync"/>;
/// when stopped, <see cref="CleanUpAsync"/>.
/// </summary>
/// <remarks>
/// <para>Stopping is graceful: <see cref="RunnerBase.Stop"/> lets the message in hand finish and takes no
/// more. When the runner's <c>stop_timeout</c> has passed, the hook's token is cancelled; the interrupted
/// entry returns to its queue unchanged. A stop never shunts a message.</para>
/// <para>When <see cref="ProcessMessageAsync"/> throws, the message is moved to the shunt queue with an
/// error record in its metadata, a <see cref="Events.RunnerCrash"/> event is raised, and the runner goes on.</para>
/// </remarks>
public abstract class Runner : RunnerBase
{
    /// <summary>Creates the runner from the context the host built for it.</summary>
    /// <param name="context">The host's context.</param>
    protected Runner(RunnerContext context)
        : base(context)
    {
    }

    /// <summary>Set by the host while it runs this runner; gives <see cref="WaitForWorkAsync"/> its queue.</summary>
    internal IRunnerLoop? Loop { get; set; }

    /// <summary>
    /// The per-message hook (Mailman's <c>_dispose</c>). Return true to keep the message queued (it
    /// comes back after the requeue backoff, or at <see cref="MessageData.NotBefore"/> when set), false
    /// when done. An exception shunts the message; cancellation of <paramref name="cancellationToken"/>
    /// returns it to the queue unchanged.
    /// </summary>
    /// <param name="mailingList">The message's list.</param>
    /// <param name="message">The message; changes are kept when it is kept queued or shunted.</param>
    /// <param name="metadata">Its metadata; changes are kept when it is kept queued or shunted.</param>
    /// <param name="cancellationToken">Cancelled when a stop's grace period has passed.</param>
    protected virtual Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"Runner type {GetType().FullName} ([runner.{Name}]) does not override ProcessMessageAsync, so it cannot process queue entries.");

    /// <summary>
    /// The per-entry hook, added in 2.3: the whole entry, whose message is parsed only when
    /// <see cref="QueueEntry.Message"/> is read. The default reads it and calls <see cref="ProcessMessageAsync"/>.
    /// A runner that only moves bytes (archives, forwards, copies <see cref="QueueEntry.RawMessage"/>) overrides
    /// this one instead and never pays for the MIME parse. Same contract as <see cref="ProcessMessageAsync"/>:
    /// true keeps the entry queued, an exception shunts it, cancellation returns it unchanged.
    /// </summary>
    /// <param name="mailingList">The entry's list.</param>
    /// <param name="entry">The entry; changes to <see cref="QueueEntry.Metadata"/> (and to a parsed message) are kept when it is kept queued or shunted.</param>
    /// <param name="cancellationToken">Cancelled when a stop's grace period has passed.</param>
    protected virtual Task<bool> ProcessEntryAsync(IMailingList mailingList, QueueEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return ProcessMessageAsync(mailingList, entry.Message, entry.Metadata, cancellationToken);
    }

    /// <summary>Housekeeping hook: called after every entry and once per pass. Its exceptions are logged and do not stop the runner.</summary>
    /// <param name="cancellationToken">Cancelled when the runner is stopped hard.</param>
    protected virtual Task DoPeriodicAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Sleeps between passes. Default: returns at once when the pass found entries, when
    /// <c>sleep_time</c> is zero or when stopping; otherwise <see cref="WaitForWorkAsync"/> for
    /// <c>sleep_time</c>. An exception ends the run as a failure.
    /// </summary>
    /// <param name="entryCount">How many entries the pass found due.</param>
    /// <param name="cancellationToken">Cancelled when the runner is stopped hard.</param>
    protected virtual Task SnoozeAsync(int entryCount, CancellationToken cancellationToken)
    {
        var sleep = Settings.SleepTime;
        return entryCount > 0 || sleep <= TimeSpan.Zero || IsStopping
            ? Task.CompletedTask
            : WaitForWorkAsync(sleep, cancellationToken);
    }

    /// <summary>Returns true to end the current pass early; by default when the runner is stopping.</summary>
    protected virtual bool ShortCircuit() => IsStopping;

    /// <summary>Called once after the runner stopped.</summary>
    /// <param name="cancellationToken">Not cancelled by the host.</param>
    protected virtual Task CleanUpAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>When a kept-queued entry is due again: its <c>not_before</c> when set and later than now, else now plus the doubling backoff.</summary>
    /// <param name="metadata">The entry's metadata; the requeue count is kept in it.</param>
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

    /// <summary>
    /// Waits until new entries may have arrived in this slice, the next entry kept for later is due,
    /// <paramref name="timeout"/> passes, or the runner is stopped. Never throws for a stop.
    /// </summary>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="cancellationToken">Ends the wait early.</param>
    protected async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, StopToken);
        if (Loop is { } loop)
        {
            await loop.WaitForWorkAsync(timeout, linked.Token).ConfigureAwait(false);
            return;
        }

        try
        {
            await Task.Delay(timeout, Clock, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Woken by a stop or cancellation.
        }
    }

    internal Task<bool> InvokeProcessAsync(IMailingList mailingList, QueueEntry entry, CancellationToken cancellationToken) =>
        ProcessEntryAsync(mailingList, entry, cancellationToken);

    internal Task InvokePeriodicAsync(CancellationToken cancellationToken) => DoPeriodicAsync(cancellationToken);

    internal Task InvokeSnoozeAsync(int entryCount, CancellationToken cancellationToken) => SnoozeAsync(entryCount, cancellationToken);

    internal bool InvokeShortCircuit() => ShortCircuit();

    internal Task InvokeCleanUpAsync(CancellationToken cancellationToken) => CleanUpAsync(cancellationToken);

    internal DateTimeOffset InvokeNextAttemptTime(MessageData metadata) => NextAttemptTime(metadata);
}

/// <summary>What the host's loop gives the runner it drives; the host implements it.</summary>
internal interface IRunnerLoop
{
    /// <summary>Waits for new work in the runner's slice, or until the next delayed entry is due, at most <paramref name="timeout"/>.</summary>
    Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken);
}
