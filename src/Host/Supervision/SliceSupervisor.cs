using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Plugins;

namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// Keeps one slice running under its <see cref="RestartPolicy"/>: starts a worker, watches it
/// (waiting for its slice lock, readiness, heartbeat, <c>dispose_timeout</c>), and after any exit it did
/// not ask for restarts it with backoff or marks it failed (tried again after
/// <c>failed_retry_interval</c>). Operator restarts bypass the budget.
/// </summary>
public sealed class SliceSupervisor
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private readonly Func<ISliceWorker> _createWorker;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly RestartTracker _tracker;
    private readonly Lock _gate = new();
    private TaskCompletionSource _restartRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ISliceWorker? _worker;

    public SliceSupervisor(SliceId id, RestartPolicy policy, Func<ISliceWorker> createWorker, TimeProvider clock, Func<double> random, ILogger logger, string? queueDirectory = null)
    {
        QueueDirectory = queueDirectory;
        ArgumentNullException.ThrowIfNull(policy);
        Id = id;
        Policy = policy;
        _createWorker = createWorker;
        _clock = clock;
        _logger = logger;
        _tracker = new RestartTracker(policy, random);
    }

    /// <summary>Raised on every state change (from the supervising task).</summary>
    public event EventHandler? Changed;

    /// <summary>Raised when an unexpected exit leads to an automatic restart, before the slice enters backoff (operator restarts never raise it).</summary>
    public event EventHandler<WorkerExit>? Restarting;

    public SliceId Id { get; }

    public RestartPolicy Policy { get; }

    public SliceState State { get; private set; } = SliceState.Starting;

    /// <summary>The runner's queue directory, for status; null for a runner without a queue.</summary>
    public string? QueueDirectory { get; }

    public int? Pid => _worker?.Pid;

    public DateTimeOffset? StartedAt { get; private set; }

    public DateTimeOffset? NextStartAt { get; private set; }

    public string? LastExit { get; private set; }

    public string? FailureReason { get; private set; }

    /// <summary>The delay chosen before the last automatic restart; zero until the first.</summary>
    public TimeSpan LastBackoffDelay { get; private set; }

    public Heartbeat? Heartbeat => _worker?.Heartbeat;

    /// <summary>The plugin version the slice runs and its last reload's error, as the worker reported them.</summary>
    public PluginRunState? Plugin => _worker?.Plugin;

    /// <summary>While <see cref="SliceState.Waiting"/>: who holds the slice lock.</summary>
    public SliceWait? Waiting => State == SliceState.Waiting ? _worker?.Waiting : null;

    public int RestartsInWindow
    {
        get
        {
            lock (_gate)
            {
                return _tracker.RestartsInWindow(_clock.GetUtcNow());
            }
        }
    }

    /// <summary>Operator restart (USR1): stop the slice gracefully and start it again at once; never counted.</summary>
    public void RequestRestart()
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            previous = _restartRequested;
            _restartRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    public void Reopen() => _worker?.Reopen();

    /// <summary>Supervises until <paramref name="shutdown"/> is cancelled, then stops the slice (SIGTERM, then SIGKILL after stop_timeout + kill_timeout).</summary>
    public async Task RunAsync(CancellationToken shutdown)
    {
        // One task for the whole run: a new one per poll would pile registrations on the token.
        var stopped = Task.Delay(Timeout.Infinite, shutdown);
        while (!shutdown.IsCancellationRequested)
        {
            var restart = RestartSignal();
            var exit = await RunOnceAsync(restart, stopped, shutdown).ConfigureAwait(false);
            if (exit is null)
            {
                // Stopped by the master: a shutdown ends the loop, an operator restart starts again.
                continue;
            }

            RestartDecision decision;
            lock (_gate)
            {
                decision = _tracker.OnExit(exit, _clock.GetUtcNow());
            }

            if (decision.Action == RestartAction.Restart)
            {
                _logger.LogWarning("{Slice} ({Worker}) exited unexpectedly: {Cause}; restarting in {Delay:0.0}s ({Count}/{Max} restarts in the window)", Id, WorkerName(), LastExit, decision.Delay.TotalSeconds, RestartsInWindow, Policy.MaxRestarts);
                NextStartAt = _clock.GetUtcNow() + decision.Delay;
                LastBackoffDelay = decision.Delay;
                Restarting?.Invoke(this, exit);
                SetState(SliceState.Backoff);
                await Task.WhenAny(Task.Delay(decision.Delay, _clock, shutdown), restart, stopped).ConfigureAwait(false);
                NextStartAt = null;
            }
            else
            {
                await FailAsync(decision.Reason!, restart, stopped, shutdown).ConfigureAwait(false);
            }
        }

        if (State is not SliceState.Failed)
        {
            SetState(SliceState.Stopped);
        }
    }

    // Failed: wait for an operator restart, the shutdown, or failed_retry_interval (then with a fresh budget).
    private async Task FailAsync(string reason, Task restart, Task stopped, CancellationToken shutdown)
    {
        FailureReason = reason;
        var interval = Policy.FailedRetryInterval;
        NextStartAt = interval is { } i ? _clock.GetUtcNow() + i : null;
        string retry = interval is { } every
            ? $"retried after failed_retry_interval ({every}) or by 'runner-host restart'"
            : "'runner-host restart' tries again (failed_retry_interval is off)";
        _logger.LogError("{Slice} FAILED after {Cause}: {Reason}. The other runners keep running; {Retry}", Id, LastExit, reason, retry);
        SetState(SliceState.Failed);
        var retryDue = interval is { } wait ? Task.Delay(wait, _clock, shutdown) : stopped;
        var woken = await Task.WhenAny(restart, stopped, retryDue).ConfigureAwait(false);
        if (woken == retryDue && !shutdown.IsCancellationRequested && !restart.IsCompleted)
        {
            lock (_gate)
            {
                _tracker.ResetForRetry();
            }

            _logger.LogWarning("{Slice} failed {Interval} ago; trying again with a fresh restart budget (failed_retry_interval)", Id, interval);
        }

        NextStartAt = null;
        FailureReason = null;
    }

    // One run of the worker; returns its exit when it ended by itself, null when the master stopped it.
    private async Task<WorkerExit?> RunOnceAsync(Task restart, Task stopped, CancellationToken shutdown)
    {
        var worker = _createWorker();
        await using (worker.ConfigureAwait(false))
        {
            _worker = worker;
            SetState(SliceState.Starting);
            worker.Start();
            var started = _clock.GetUtcNow();
            StartedAt = started;
            lock (_gate)
            {
                _tracker.OnStarted(started);
            }

            _logger.LogInformation("{Slice} started ({Isolation}, pid {Pid})", Id, Policy.Isolation.ToString().ToLowerInvariant(), worker.Pid);
            bool killedByWatchdog = false;
            // The worker's ready and waiting reports wake the loop at once; the poll remains for the watchdog.
            var reported = new WakeSignal();
            worker.Reported += reported.Set;
            while (true)
            {
                var tick = Task.Delay(PollInterval, _clock, CancellationToken.None);
                await Task.WhenAny(worker.Completion, tick, restart, stopped, reported.Task).ConfigureAwait(false);
                reported.Reset();
                if (worker.Completion.IsCompleted)
                {
                    var exit = await worker.Completion.ConfigureAwait(false);
                    LastExit = exit.Describe();
                    return exit;
                }

                if (shutdown.IsCancellationRequested || restart.IsCompleted)
                {
                    await StopAsync(worker, shutdown.IsCancellationRequested ? "shutdown" : "operator restart").ConfigureAwait(false);
                    return null;
                }

                if (State is SliceState.Starting or SliceState.Waiting && worker.IsReady)
                {
                    SetState(SliceState.Running);
                }
                else if (State == SliceState.Starting && worker.Waiting is not null)
                {
                    SetState(SliceState.Waiting);
                }

                // One kill per run: a busy machine may take longer than a poll to reap the process.
                killedByWatchdog = killedByWatchdog || CheckWatchdog(worker);
            }
        }
    }

    // True when it killed the worker.
    private bool CheckWatchdog(ISliceWorker worker)
    {
        if (Policy.DisposeTimeout is not { } limit || worker.Heartbeat is not { InFlight: { } entry, InFlightSince: { } since })
        {
            return false;
        }

        var stuck = _clock.GetUtcNow() - since;
        if (stuck <= limit)
        {
            return false;
        }

        _logger.LogError("{Slice} ({Worker}) stuck on {Entry} for {Stuck:0.0}s (dispose_timeout {Limit}); {Action}", Id, WorkerName(), entry, stuck.TotalSeconds, limit, KillAction(watchdog: true));
        worker.Kill(watchdog: true);
        return true;
    }

    private async Task StopAsync(ISliceWorker worker, string why)
    {
        SetState(SliceState.Stopping);
        _logger.LogInformation("{Slice} stopping ({Worker}, {Why})", Id, WorkerName(), why);
        worker.RequestStop();
        var grace = Policy.StopTimeout + Policy.KillTimeout;
        await Task.WhenAny(worker.Completion, Task.Delay(grace, _clock, CancellationToken.None)).ConfigureAwait(false);
        if (!worker.Completion.IsCompleted)
        {
            _logger.LogError("{Slice} ({Worker}) did not stop within {Grace}; {Action}", Id, WorkerName(), grace, KillAction(watchdog: false));
            worker.Kill(watchdog: false);
        }

        var exit = await worker.Completion.ConfigureAwait(false);
        LastExit = exit.Describe();
        _logger.LogInformation("{Slice} stopped ({Cause})", Id, LastExit);
    }

    // What the logs call the worker: a thread has the master's pid, which must not read as if it were killed.
    private string WorkerName() => Policy.Isolation == Isolation.Thread
        ? "thread in the master"
        : $"pid {FailureText.Pid(Pid)}";

    private string KillAction(bool watchdog) => (Policy.Isolation, watchdog) switch
    {
        (Isolation.Thread, true) => $"cancelling its hook, and abandoning its thread if it does not return within kill_timeout ({Policy.KillTimeout})",
        (Isolation.Thread, false) => "abandoning its thread (cancelled, not waited for): the entry in hand stays .bak until the next start recovers it, and the slice stays locked until the thread returns or the master exits",
        _ => "killing it (SIGKILL); the entry in hand stays .bak until the next start recovers it",
    };

    private Task RestartSignal()
    {
        lock (_gate)
        {
            return _restartRequested.Task;
        }
    }

    private void SetState(SliceState state)
    {
        if (State != state)
        {
            State = state;
            Changed?.Invoke(this, EventArgs.Empty);
        }
    }
}
