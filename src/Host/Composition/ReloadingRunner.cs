using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Hosting.Engine;
using RunnerHost.Hosting.Plugins;

namespace RunnerHost.Hosting.Composition;

/// <summary>
/// Runs one runner slice and hot-reloads its plugin, the same way in a <c>runner</c> process (alone or
/// a master's child) and in a master's thread: when the plugin's deployed folder changed and settled
/// (<c>plugin_reload: auto</c>) or <c>runner-host plugins reload NAME</c> asked, the new files are
/// copied privately and loaded while the old version keeps running; only if they load and the runner's
/// class resolves is the runner stopped gracefully (the message in hand finishes; nothing is fetched
/// after it) and started again on the new version. A version that does not load, or whose runner cannot
/// be created, is reported (log, <see cref="PluginState"/>) and the old version runs on.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The stop source holds no timer; a stop may arrive at any moment until the process exits.")]
public sealed class ReloadingRunner
{
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    private readonly HostServices _services;
    private readonly RunnerSettings _settings;
    private readonly int _slice;
    private readonly int _sliceCount;
    private readonly ILogger _logger;
    private readonly PluginSnapshotStore _snapshots;
    private readonly PluginReloadMode _mode;
    private readonly Lock _gate = new();
    private RunnerDriver? _current;
    private bool _stopRequested;
    private PluginGeneration? _pending;
    private Task _preparation = Task.CompletedTask;
    private bool _preparing;
    private bool _prepareAgain;
    private PluginRunState? _state;
    // Ends a wait to open the slice; never disposed: a stop may arrive at any moment, and it holds no timer.
    private readonly CancellationTokenSource _stopped = new();

    /// <exception cref="ConfigurationValueException"><c>plugin_reload</c> is neither auto nor manual.</exception>
    public ReloadingRunner(HostServices services, RunnerSettings settings, int slice, int sliceCount, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        _services = services;
        _settings = settings;
        _slice = slice;
        _sliceCount = sliceCount;
        _logger = logger;
        _mode = PluginReloadModes.FromSettings(settings);
        _snapshots = new PluginSnapshotStore(PluginSnapshotStore.RootOf(services.Configuration.Paths.VarDir), logger, QuietPeriod);
    }

    /// <summary>Raised each time a runner incarnation is created and about to run (after every reload too).</summary>
    public event Action? Started;

    /// <summary>Raised, with one line, while the slice waits to open (for the queue back end, or another host's claim on the slice).</summary>
    public event Action<string>? Waiting;

    /// <summary>Raised when <see cref="PluginState"/> changes.</summary>
    public event Action<PluginRunState>? PluginStateChanged;

    /// <summary>The runner incarnation running now, if any.</summary>
    public IRunningRunner? Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>The plugin and version running, and the last reload's error; null before the first load.</summary>
    public PluginRunState? PluginState => Volatile.Read(ref _state);

    /// <summary>Graceful stop: the current incarnation finishes its message in hand; no reload starts another.</summary>
    public void RequestStop()
    {
        lock (_gate)
        {
            _stopRequested = true;
            _current?.RequestStop();
            _stopped.Cancel();
        }
    }

    /// <summary>Runs until stopped (or one pass with <paramref name="once"/>, which never reloads).</summary>
    /// <exception cref="RunnerCreationException">The first version cannot be loaded or its runner created; one line.</exception>
    public async Task RunAsync(bool once, CancellationToken cancellationToken)
    {
        var generation = await PluginGeneration.LoadAsync(_services, _settings, _snapshots).ConfigureAwait(false);
        PluginRunnerScope? instance = null;
        try
        {
            instance = await generation.CreateAsync(_settings, _slice, _sliceCount).ConfigureAwait(false);
            SetState(generation.State());
            while (true)
            {
                RunnerDriver runnerDriver;
                try
                {
                    using var stopOrCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopped.Token);
                    runnerDriver = await RunnerDriver.OpenAsync(_services, instance.Runner, _settings, stopOrCancel.Token, reason => Waiting?.Invoke(reason)).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (StopRequested || cancellationToken.IsCancellationRequested)
                {
                    return; // stopped while waiting to open: nothing was in hand
                }

                using var runner = runnerDriver;
                Attach(runner);
                if (once)
                {
                    await runner.RunAsync(once: true, cancellationToken).ConfigureAwait(false);
                    return;
                }

                using (Watch(generation, runner))
                {
                    await runner.RunAsync(once: false, cancellationToken).ConfigureAwait(false);
                }

                var next = await DetachAsync().ConfigureAwait(false);
                if (next is null || cancellationToken.IsCancellationRequested || StopRequested)
                {
                    if (next is not null)
                    {
                        await next.DisposeAsync().ConfigureAwait(false);
                    }

                    return;
                }

                _logger.LogInformation("{Runner} drained; reloading plugin {Plugin} ({Old} -> {New})", runner.Identity, next.Plugin.Name, generation.Plugin.Version, next.Plugin.Version);
                await instance.DisposeAsync().ConfigureAwait(false);
                instance = null;
                try
                {
                    instance = await next.CreateAsync(_settings, _slice, _sliceCount).ConfigureAwait(false);
                }
                catch (RunnerCreationException ex)
                {
                    await next.DisposeAsync().ConfigureAwait(false);
                    string error = $"the runner cannot be created from the new version {next.Plugin.Version}: {ex.Message}";
                    _logger.LogError("{Runner} plugin {Plugin}: {Error}; running {Version} again", runner.Identity, generation.Plugin.Name, error, generation.Plugin.Version);
                    instance = await generation.CreateAsync(_settings, _slice, _sliceCount).ConfigureAwait(false);
                    SetState(generation.State(error));
                    continue;
                }

                await generation.DisposeAsync().ConfigureAwait(false);
                generation = next;
                SetState(generation.State());
                // The previous scope and catalog are disposed: give its load context a chance to be collected.
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
        finally
        {
            if (await DetachAsync().ConfigureAwait(false) is { } pending)
            {
                await pending.DisposeAsync().ConfigureAwait(false);
            }

            if (instance is not null)
            {
                await instance.DisposeAsync().ConfigureAwait(false);
            }

            await generation.DisposeAsync().ConfigureAwait(false);
        }
    }

    private bool StopRequested
    {
        get
        {
            lock (_gate)
            {
                return _stopRequested;
            }
        }
    }

    private void Attach(RunnerDriver runner)
    {
        lock (_gate)
        {
            _current = runner;
            if (_stopRequested)
            {
                runner.RequestStop();
            }
        }

        Started?.Invoke();
    }

    // Ends the incarnation: no further change reaches it; returns the validated next version, if one is waiting.
    private async Task<PluginGeneration?> DetachAsync()
    {
        Task preparation;
        lock (_gate)
        {
            _current = null;
            preparation = _preparation;
        }

        await preparation.ConfigureAwait(false);
        lock (_gate)
        {
            var next = _pending;
            _pending = null;
            return next;
        }
    }

    private PluginChangeWatcher? Watch(PluginGeneration generation, RunnerDriver runner)
    {
        try
        {
            return new PluginChangeWatcher(
                _services.Configuration.Paths.PluginDir,
                generation.Plugin.Name,
                _mode,
                PluginReloadRequest.PathOf(_services.Configuration.Paths.VarDir, generation.Plugin.Name),
                generation.SourceFingerprint,
                QuietPeriod,
                PollInterval,
                forced => OnPluginChanged(runner, generation.Plugin.Name, forced),
                _logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("{Runner} cannot watch plugin {Plugin} for changes ({Error}); restart the runner to upgrade it", runner.Identity, generation.Plugin.Name, ex.Message);
            return null;
        }
    }

    private void OnPluginChanged(RunnerDriver runner, string plugin, bool forced)
    {
        lock (_gate)
        {
            // Stopping, already switching, or a change that reached an incarnation which just ended.
            if (_stopRequested || _pending is not null || _current != runner)
            {
                return;
            }

            if (_preparing)
            {
                _prepareAgain = true;
                return;
            }

            _preparing = true;
            _logger.LogInformation("{Runner} plugin {Plugin} {Why}; loading its current files", runner.Identity, plugin, forced ? "reload requested" : "changed");
            _preparation = Task.Run(() => PrepareAsync(runner));
        }
    }

    // Loads the deployed version next to the running one; a good one becomes the pending generation and the runner is asked to drain.
    private async Task PrepareAsync(RunnerDriver runner)
    {
        try
        {
            while (true)
            {
                lock (_gate)
                {
                    _prepareAgain = false;
                }

                PluginGeneration? next = null;
                string? error = null;
                try
                {
                    next = await PluginGeneration.LoadAsync(_services, _settings, _snapshots).ConfigureAwait(false);
                }
                catch (RunnerCreationException ex)
                {
                    error = ex.Message;
                }

                if (next is null)
                {
                    var running = PluginState;
                    _logger.LogError(
                        "{Runner} plugin {Plugin} reload failed, still running {Version}: {Error}",
                        runner.Identity,
                        running?.Plugin,
                        running?.Version,
                        error);
                    if (running is not null)
                    {
                        SetState(running with { ReloadError = error });
                    }
                }
                else
                {
                    lock (_gate)
                    {
                        if (!_stopRequested && _pending is null && _current == runner)
                        {
                            _pending = next;
                            next = null;
                            _logger.LogInformation("{Runner} plugin {Plugin} {Version} loaded; draining to switch to it", runner.Identity, _pending.Plugin.Name, _pending.Plugin.Version);
                            runner.RequestStop();
                            return;
                        }
                    }

                    await next.DisposeAsync().ConfigureAwait(false);
                    return;
                }

                lock (_gate)
                {
                    if (!_prepareAgain || _stopRequested || _current != runner)
                    {
                        return;
                    }
                }
            }
        }
        catch (Exception ex)
        {
            // Whatever the new files do wrong, the running version goes on.
            _logger.LogError(ex, "{Runner} plugin reload failed: {Error}", runner.Identity, ex.Message);
        }
        finally
        {
            lock (_gate)
            {
                _preparing = false;
            }
        }
    }

    private void SetState(PluginRunState state)
    {
        Volatile.Write(ref _state, state);
        PluginStateChanged?.Invoke(state);
    }
}
