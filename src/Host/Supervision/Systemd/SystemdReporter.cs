using Microsoft.Extensions.Logging;

namespace RunnerHost.Hosting.Supervision.Systemd;

/// <summary>
/// The master's side of <c>Type=notify</c>: <c>READY=1</c> once every slice is running for the first
/// time, <c>STATUS=</c> whenever the summary line changes, <c>WATCHDOG=1</c> from the supervisor loop's
/// passes, <c>STOPPING=1</c> when shutdown begins. MAINPID is implicit: the master is the main process.
/// </summary>
public sealed class SystemdReporter : ISupervisorListener, IDisposable
{
    private readonly SystemdNotifier _notifier;
    private readonly TimeProvider _clock;
    private readonly TimeSpan? _watchdog;
    private readonly Lock _gate = new();
    private bool _ready;
    private bool _stopping;
    private string? _status;
    private long? _lastPing;

    private SystemdReporter(SystemdNotifier notifier, TimeSpan? watchdog, TimeProvider clock)
    {
        _notifier = notifier;
        _watchdog = watchdog;
        _clock = clock;
    }

    public TimeSpan? MaxPassInterval => _watchdog;

    /// <summary>
    /// A reporter when systemd asked for notifications, else null. Takes <c>NOTIFY_SOCKET</c> and the
    /// watchdog variables out of this process's environment, as sd_notify's unset_environment does, so that
    /// no runner child (nor a plugin in a thread slice) notifies systemd in the master's name.
    /// </summary>
    public static SystemdReporter? FromEnvironment(TimeProvider clock, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(logger);
        string? socket = Take(SystemdNotifier.SocketVariable);
        string? usec = Take(WatchdogInterval.UsecVariable);
        string? pid = Take(WatchdogInterval.PidVariable);
        if (SystemdNotifier.Create(socket, logger) is not { } notifier)
        {
            return null;
        }

        var watchdog = WatchdogInterval.Parse(usec, pid, Environment.ProcessId, out string? warning);
        if (warning is not null)
        {
            logger.LogWarning("{Warning}", warning);
        }

        logger.LogInformation("Notifying systemd through {Socket}; watchdog pings {Watchdog}", FailureText.OneLine(socket!), watchdog is { } every ? $"every {every.TotalSeconds:0.###}s" : "off");
        return new SystemdReporter(notifier, watchdog, clock);
    }

    public void OnPass(StatusSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        string status = SystemdStatusLine.From(snapshot);
        lock (_gate)
        {
            if (status != _status)
            {
                _status = status;
                _notifier.Notify("STATUS=" + status);
            }

            if (!_ready && !_stopping && snapshot.Slices.All(s => s.State == SliceState.Running))
            {
                _ready = true;
                _notifier.Notify("READY=1");
            }

            // Passes come at least every interval; a burst of state changes does not add pings.
            long now = _clock.GetTimestamp();
            if (_watchdog is { } interval && (_lastPing is not { } last || _clock.GetElapsedTime(last, now) >= interval / 2))
            {
                _lastPing = now;
                _notifier.Notify("WATCHDOG=1");
            }
        }
    }

    /// <summary>Shutdown began: the unit shows "deactivating" from here on.</summary>
    public void OnStopping()
    {
        lock (_gate)
        {
            if (!_stopping)
            {
                _stopping = true;
                _notifier.Notify("STOPPING=1");
            }
        }
    }

    public void Dispose() => _notifier.Dispose();

    private static string? Take(string variable)
    {
        string? value = Environment.GetEnvironmentVariable(variable);
        Environment.SetEnvironmentVariable(variable, null);
        return value;
    }
}
