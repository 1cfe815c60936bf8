using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Plugins;

namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// A slice inside the master (<c>isolation: thread</c>), in its own plugin scope, loaded from its own
/// private copy and hot-reloaded like a child's (<see cref="ReloadingRunner"/>). It takes the slice lock
/// first (waiting while a previous instance holds it), then creates and runs the runner. A stop is
/// <see cref="RunnerBase.Stop"/> and, after stop_timeout, cancellation. A thread cannot be killed: after
/// <see cref="Kill"/> the master stops waiting for it (the run is abandoned; whatever entry it holds stays
/// <c>.bak</c>, and its slice lock stays held until it really returns or the process exits).
/// </summary>
public sealed class ThreadWorker : ISliceWorker
{
    private readonly HostServices _services;
    private readonly RunnerSettings _settings;
    private readonly SliceId _slice;
    private readonly string _lockDirectory;
    private readonly TimeSpan _stopTimeout;
    private readonly TimeSpan _killTimeout;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _hardStop = new();
    private readonly TaskCompletionSource<WorkerExit> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ReloadingRunner? _runner;
    private volatile bool _ready;
    private volatile bool _watchdog;
    private volatile SliceWait? _waiting;
    private Task? _run;

    public ThreadWorker(HostServices services, RunnerSettings settings, SliceId slice, string lockDirectory, TimeSpan stopTimeout, TimeSpan killTimeout, TimeProvider clock, ILogger logger)
    {
        _killTimeout = killTimeout;
        _services = services;
        _settings = settings;
        _slice = slice;
        _lockDirectory = lockDirectory;
        _stopTimeout = stopTimeout;
        _clock = clock;
        _logger = logger;
    }

    public event Action? Reported;

    public int? Pid => Environment.ProcessId;

    public bool IsReady => _ready;

    public SliceWait? Waiting => _waiting;

    public Heartbeat? Heartbeat => _runner?.Current is { } runner && _ready
        ? new Heartbeat(_clock.GetUtcNow(), runner.LastLoop, runner.InFlight?.Id, runner.InFlight?.Since)
        : null;

    public PluginRunState? Plugin => _runner?.PluginState;

    public Task<WorkerExit> Completion => _run is null ? throw new InvalidOperationException("not started") : _completion.Task;

    public void Start() => _run = Task.Run(async () =>
    {
        WorkerExit exit;
        try
        {
            exit = await RunAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            exit = new WorkerExit(null, Error: $"{ex.GetType().Name}: {ex.Message}", Watchdog: _watchdog);
        }

        _completion.TrySetResult(exit);
    });

    public void RequestStop()
    {
        if (_runner is { } runner)
        {
            runner.RequestStop();
            _hardStop.CancelAfter(_stopTimeout);
        }
        else
        {
            // Waiting for the lock or being created: nothing in hand.
            _hardStop.Cancel();
        }
    }

    /// <summary>
    /// Cancels the hook; a thread that does not return is abandoned: at once when it was cancelled before
    /// (a stop, whose stop_timeout and kill_timeout have passed), else (the watchdog) after kill_timeout.
    /// </summary>
    public void Kill(bool watchdog)
    {
        _watchdog |= watchdog;
        bool hadItsCancellation = _hardStop.IsCancellationRequested;
        _hardStop.Cancel();
        if (hadItsCancellation)
        {
            Abandon();
        }
        else
        {
            _ = Task.Delay(_killTimeout, _clock, CancellationToken.None).ContinueWith(_ => Abandon(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private void Abandon() => _completion.TrySetResult(new WorkerExit(null, Watchdog: _watchdog, Abandoned: true));

    public void Reopen() => _logger.LogInformation("{Slice} reopen: thread runners share the master's logs", _slice);

    public async ValueTask DisposeAsync()
    {
        if (_run is null)
        {
            _hardStop.Dispose();
            return;
        }

        if (!_completion.Task.IsCompleted)
        {
            _hardStop.Cancel();
            Abandon();
        }

        // An abandoned run still uses the token: leave the source to the collector then.
        if (_run.IsCompleted)
        {
            await _run.ConfigureAwait(false);
            _hardStop.Dispose();
        }
    }

    private async Task<WorkerExit> RunAsync()
    {
        SliceLock sliceLock;
        try
        {
            // Before the runner exists, so that its recovery of .bak entries never races a previous instance.
            sliceLock = await SliceLock.AcquireAsync(_lockDirectory, _slice, OnWaiting, _hardStop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return new WorkerExit(0); // stopped while waiting: nothing was in hand
        }
        catch (IOException ex)
        {
            return new WorkerExit(4, Error: $"cannot take the slice lock: {ex.Message}", CannotStart: true);
        }

        using (sliceLock)
        {
            _waiting = null;
            try
            {
                var runner = new ReloadingRunner(_services, _settings, _slice.Slice, _slice.Count, _logger);
                runner.Started += () =>
                {
                    _waiting = null;
                    _ready = true;
                    Reported?.Invoke();
                };
                runner.Waiting += reason =>
                {
                    _waiting = new SliceWait(null, _clock.GetUtcNow(), FailureText.OneLine(reason));
                    Reported?.Invoke();
                };
                _runner = runner;
                await runner.RunAsync(once: false, _hardStop.Token).ConfigureAwait(false);
                return new WorkerExit(0, Watchdog: _watchdog);
            }
            catch (Exception ex) when (ex is RunnerCreationException or ConfigurationException or ConfigurationValueException)
            {
                return new WorkerExit(ex is RunnerCreationException ? 4 : 3, Error: FailureText.OneLine(ex.Message), CannotStart: true);
            }
            catch (Exception ex)
            {
                // Runner.RunAsync logged it at critical level; the supervisor decides about a restart.
                return new WorkerExit(null, Error: $"{ex.GetType().Name}: {ex.Message}", Watchdog: _watchdog);
            }
        }
    }

    private void OnWaiting(SliceLockConflict conflict)
    {
        _waiting = new SliceWait(conflict.HolderPid, _clock.GetUtcNow());
        Reported?.Invoke();
        _logger.LogWarning("{Slice} waiting for its previous instance (pid {Holder}) to release {Lock}", _slice, FailureText.Pid(conflict.HolderPid), conflict.File);
    }
}
