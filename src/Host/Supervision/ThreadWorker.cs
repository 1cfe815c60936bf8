using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Host.Composition;
using RunnerHost.Host.Configuration;
using RunnerHost.Host.Plugins;

namespace RunnerHost.Host.Supervision;

/// <summary>
/// A slice inside the master (<c>isolation: thread</c>), in its own plugin scope, loaded from its own
/// private copy and hot-reloaded like a child's (<see cref="ReloadingRunner"/>). A stop is
/// <see cref="Runner.Stop"/> and, after stop_timeout, cancellation; a thread cannot be killed, so
/// <see cref="Kill"/> cancels the dispose hook (the entry returns to its queue) and waits for it.
/// </summary>
public sealed class ThreadWorker : ISliceWorker
{
    private readonly HostServices _services;
    private readonly RunnerSettings _settings;
    private readonly SliceId _slice;
    private readonly TimeSpan _stopTimeout;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _hardStop = new();
    private volatile ReloadingRunner? _runner;
    private volatile bool _ready;
    private volatile bool _watchdog;
    private Task<WorkerExit>? _completion;

    public ThreadWorker(HostServices services, RunnerSettings settings, SliceId slice, TimeSpan stopTimeout, ILogger logger)
    {
        _services = services;
        _settings = settings;
        _slice = slice;
        _stopTimeout = stopTimeout;
        _logger = logger;
    }

    public int? Pid => Environment.ProcessId;

    public bool IsReady => _ready;

    public Heartbeat? Heartbeat => _runner?.Current is { } runner && _ready
        ? new Heartbeat(DateTimeOffset.UtcNow, runner.LastLoop, runner.InFlight?.Filebase, runner.InFlight?.Since)
        : null;

    public PluginRunState? Plugin => _runner?.PluginState;

    public Task<WorkerExit> Completion => _completion ?? throw new InvalidOperationException("not started");

    public void Start() => _completion = Task.Run(RunAsync);

    public void RequestStop()
    {
        if (_runner is { } runner)
        {
            runner.RequestStop();
            _hardStop.CancelAfter(_stopTimeout);
        }
        else
        {
            _hardStop.Cancel();
        }
    }

    public void Kill(bool watchdog)
    {
        _watchdog |= watchdog;
        _hardStop.Cancel();
    }

    public void Reopen() => _logger.LogInformation("{Slice} reopen: thread runners share the master's logs", _slice);

    public async ValueTask DisposeAsync()
    {
        if (_completion is { IsCompleted: false } completion)
        {
            await _hardStop.CancelAsync().ConfigureAwait(false);
            await completion.ConfigureAwait(false);
        }

        _hardStop.Dispose();
    }

    private async Task<WorkerExit> RunAsync()
    {
        try
        {
            var runner = new ReloadingRunner(_services, _settings, _slice.Slice, _slice.Count, _logger);
            runner.Started += () => _ready = true;
            _runner = runner;
            await runner.RunAsync(once: false, _hardStop.Token).ConfigureAwait(false);
            return new WorkerExit(0, Watchdog: _watchdog);
        }
        catch (Exception ex) when (ex is RunnerCreationException or ConfigurationException or ConfigurationValueException)
        {
            return new WorkerExit(ex is RunnerCreationException ? 4 : 3, Error: ex.Message, CannotStart: true);
        }
        catch (Exception ex)
        {
            // Runner.RunAsync logged it at critical level; the supervisor decides about a restart.
            return new WorkerExit(null, Error: $"{ex.GetType().Name}: {ex.Message}", Watchdog: _watchdog);
        }
    }
}
