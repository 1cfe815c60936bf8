using Microsoft.Extensions.Logging;

namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// Runs every slice supervisor, fans out operator requests (restart, reopen), and rewrites the
/// status file atomically every second (more often if its listener asks) and on every state change.
/// </summary>
public sealed class Supervisor : IDisposable
{
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(1);

    private readonly MasterPaths _paths;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly DateTimeOffset _startedAt;
    private readonly SemaphoreSlim _changed = new(0);
    private readonly ISupervisorListener? _listener;
    private readonly TimeSpan _passInterval;
    private volatile bool _stopping;

    public Supervisor(IReadOnlyList<SliceSupervisor> slices, MasterPaths paths, TimeProvider clock, ILogger logger, ISupervisorListener? listener = null)
    {
        ArgumentNullException.ThrowIfNull(slices);
        Slices = slices;
        _paths = paths;
        _clock = clock;
        _logger = logger;
        _listener = listener;
        _passInterval = listener?.MaxPassInterval is { } most && most < StatusInterval ? most : StatusInterval;
        _startedAt = clock.GetUtcNow();
        foreach (var slice in slices)
        {
            slice.Changed += OnSliceChanged;
        }
    }

    /// <summary>Raised when a slice enters <see cref="SliceState.Failed"/>.</summary>
    public event EventHandler<SliceSupervisor>? SliceFailed;

    public IReadOnlyList<SliceSupervisor> Slices { get; }

    /// <summary>Supervises until <paramref name="shutdown"/> is cancelled and every slice stopped.</summary>
    public async Task RunAsync(CancellationToken shutdown)
    {
        using var statusStop = new CancellationTokenSource();
        var statusLoop = WriteStatusLoopAsync(statusStop.Token);
        using var registration = shutdown.Register(() => _stopping = true);
        await Task.WhenAll(Slices.Select(s => Task.Run(() => s.RunAsync(shutdown), CancellationToken.None))).ConfigureAwait(false);
        await statusStop.CancelAsync().ConfigureAwait(false);
        await statusLoop.ConfigureAwait(false);
        Pass();
    }

    /// <summary>USR1: every slice (failed and stopped ones too) is stopped gracefully and started again; budgets are untouched.</summary>
    public void RestartAll()
    {
        foreach (var slice in Slices)
        {
            slice.RequestRestart();
        }
    }

    /// <summary>HUP: forwarded to every slice.</summary>
    public void ReopenAll()
    {
        foreach (var slice in Slices)
        {
            slice.Reopen();
        }
    }

    public StatusSnapshot Snapshot() => new(
        Environment.ProcessId,
        _startedAt,
        _clock.GetUtcNow(),
        _stopping,
        [.. Slices.Select(s =>
        {
            var beat = s.Heartbeat;
            var state = s.State;
            bool live = state is SliceState.Starting or SliceState.Waiting or SliceState.Running or SliceState.Stopping;
            var plugin = live ? s.Plugin : null;
            return new SliceStatus(
                s.Id.Runner,
                s.Id.Slice,
                s.Id.Count,
                s.Policy.Isolation.ToString().ToLowerInvariant(),
                state,
                live ? s.Pid : null,
                live ? s.StartedAt : null,
                s.RestartsInWindow,
                s.Policy.MaxRestarts,
                s.LastExit,
                s.FailureReason,
                s.NextStartAt,
                beat?.LastLoop,
                beat?.InFlight,
                beat?.InFlightSince,
                s.QueueDirectory,
                WaitingForPid: s.Waiting?.HolderPid,
                WaitingFor: s.Waiting?.Reason,
                Plugin: plugin?.Plugin,
                PluginVersion: plugin?.Version,
                PluginError: plugin?.ReloadError);
        })]);

    public void Dispose() => _changed.Dispose();

    private void OnSliceChanged(object? sender, EventArgs e)
    {
        _changed.Release();
        if (sender is SliceSupervisor { State: SliceState.Failed } slice)
        {
            SliceFailed?.Invoke(this, slice);
        }
    }

    private async Task WriteStatusLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Pass();
            try
            {
                await _changed.WaitAsync(_passInterval, cancellationToken).ConfigureAwait(false);
                // Coalesce a burst of changes into one write.
                while (_changed.CurrentCount > 0)
                {
                    await _changed.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // One pass of the status loop: the status file, then the listener (which sees the same snapshot).
    private void Pass()
    {
        var snapshot = Snapshot();
        try
        {
            snapshot.WriteAtomically(_paths.StatusFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("Cannot write the status file {File}: {Error}", _paths.StatusFile, ex.Message);
        }

        _listener?.OnPass(snapshot);
    }
}
