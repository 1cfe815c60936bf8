using System.Globalization;
using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Diagnostics;
using RunnerHost.Hosting.Plugins;
using RunnerHost.Hosting.Supervision.Systemd;

namespace RunnerHost.Hosting.Supervision;

/// <summary>Options of <c>runner-host start</c> that shape the master's behaviour.</summary>
/// <param name="ExitOnFailure">Stop every runner when one slice fails for good.</param>
/// <param name="ReopenOwnLogs">What SIGHUP does to the master's own log file, besides forwarding it to the runners.</param>
public sealed record MasterOptions(bool ExitOnFailure, Action? ReopenOwnLogs = null);

/// <summary>
/// The master: holds the single-master lock, starts every <c>start: yes</c> runner's slices under one
/// <see cref="Supervisor"/>, and maps signals: TERM/INT stop everything gracefully, HUP is forwarded
/// (log reopen), USR1 restarts every runner without charging budgets.
/// </summary>
public sealed class Master
{
    /// <summary>Exit code when the lock is held by another master.</summary>
    public const int AlreadyRunning = 2;

    private readonly HostConfiguration _configuration;
    private readonly HostServices _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly MasterOptions _options;

    public Master(HostServices services, MasterOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        _services = services;
        _configuration = services.Configuration;
        _loggerFactory = services.LoggerFactory;
        _logger = _loggerFactory.CreateLogger("RunnerHost.Master");
        _options = options;
        Paths = MasterPaths.From(_configuration.Paths);
    }

    public MasterPaths Paths { get; }

    /// <summary>Runs until TERM/INT (or <paramref name="cancellationToken"/>); returns the process exit code.</summary>
    public async Task<int> RunAsync(Action? onLocked, CancellationToken cancellationToken)
    {
        using var masterLock = MasterLock.TryAcquire(Paths.LockFile);
        if (masterLock is null)
        {
            int? pid = await WaitForPidAsync().ConfigureAwait(false);
            await Console.Error.WriteLineAsync($"Error: the master is already running (pid {pid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}, lock {Paths.LockFile})").ConfigureAwait(false);
            return AlreadyRunning;
        }

        TryDelete(Paths.StatusFile); // a killed master's last status
        // Informational only: the lock is the truth. Written after the lock so that it names the holder.
        await File.WriteAllTextAsync(Paths.PidFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n", CancellationToken.None).ConfigureAwait(false);
        onLocked?.Invoke();
        try
        {
            return await SuperviseAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            TryDelete(Paths.StatusFile);
            TryDelete(Paths.PidFile);
        }
    }

    private async Task<int> SuperviseAsync(CancellationToken cancellationToken)
    {
        var runners = _configuration.Runners.Where(r => r.Start).ToList();
        var policies = runners.ToDictionary(r => r.Name, RestartPolicy.FromSettings, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, policy) in policies)
        {
            if (policy.CheckConsistency() is { } warning)
            {
                _logger.LogWarning("[runner.{Runner}] {Warning}", name, warning);
            }
        }

        // Each thread-isolated slice loads (and hot-reloads) its plugins itself, like a child process does.
        bool anyThreads = runners.Any(r => policies[r.Name].Isolation == Isolation.Thread);
        var random = new Random();
        var slices = new List<SliceSupervisor>();
        foreach (var settings in runners)
        {
            var policy = policies[settings.Name];
            for (int slice = 0; slice < settings.Instances; slice++)
            {
                var id = new SliceId(settings.Name, slice, settings.Instances);
                var logger = _loggerFactory.CreateLogger("RunnerHost.Master");
                Func<ISliceWorker> factory = policy.Isolation == Isolation.Thread
                    ? () => new ThreadWorker(_services, settings, id, _configuration.Paths.LockDir, policy.StopTimeout, policy.KillTimeout, _services.Clock, logger)
                    : () => new ChildProcessWorker(id, _configuration.ConfigFile, _services.Clock, logger);
                slices.Add(new SliceSupervisor(id, policy, factory, _services.Clock, random.NextDouble, logger, settings.QueuePath));
            }
        }

        // Restarts and states for `runner-host metrics`: written on every state change and every 5 s.
        // Thread slices count their messages here too, since they run in this process.
        using var masterMetrics = new MasterMetrics(slices, _services.Clock);
        using var threadMetrics = anyThreads ? new RunnerMetrics() : null;
        if (threadMetrics is not null)
        {
            _services.Outcomes ??= threadMetrics;
        }

        await using var metricsWriter = new MetricsFileWriter(
            Path.Combine(MetricsFileWriter.DirectoryOf(_configuration.Paths.VarDir), MasterMetrics.FileName),
            _loggerFactory.CreateLogger("RunnerHost.Metrics"),
            MasterMetrics.MeterName,
            RunnerMetrics.MeterName);
        foreach (var slice in slices)
        {
            slice.Changed += (_, _) => metricsWriter.RequestWrite();
        }

        // Under systemd (Type=notify): readiness, a status line, watchdog pings from the supervisor loop.
        using var systemd = SystemdReporter.FromEnvironment(_services.Clock, _logger);
        using var supervisor = new Supervisor(slices, Paths, _services.Clock, _logger, systemd);
        using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopping = systemd is null ? default : shutdown.Token.Register(systemd.OnStopping);
        int exitCode = 0;
        supervisor.SliceFailed += (_, slice) =>
        {
            if (_options.ExitOnFailure)
            {
                _logger.LogError("{Slice} failed and --exit-on-failure is set: stopping the master", slice.Id);
                exitCode = 1;
                shutdown.Cancel();
            }
        };

        // Every signal the master handles, in one place (TERM/INT stop, HUP reopen and forward, USR1 restart).
        using var signals = new ProcessSignals(
            onStop: signal =>
            {
                _logger.LogInformation("Master caught {Signal}; stopping every runner", signal);
                shutdown.Cancel();
            },
            onHangup: () =>
            {
                _options.ReopenOwnLogs?.Invoke();
                _logger.LogInformation("Master caught SIGHUP; forwarding it to the runners (log reopen)");
                supervisor.ReopenAll();
            },
            onUser1: () =>
            {
                _logger.LogInformation("Master caught SIGUSR1; restarting every runner (not counted against restart budgets)");
                supervisor.RestartAll();
            });

        _logger.LogInformation("Master started (pid {Pid}): {Count} slices of {Runners} runners", Environment.ProcessId, slices.Count, runners.Count);
        await supervisor.RunAsync(shutdown.Token).ConfigureAwait(false);
        _logger.LogInformation("Master stopped");
        return exitCode;
    }

    // The holder writes the pid file just after taking the lock; give it a moment.
    private async Task<int?> WaitForPidAsync()
    {
        for (int i = 0; i < 20; i++)
        {
            if (Paths.ReadPid() is { } pid && Posix.IsAlive(pid))
            {
                return pid;
            }

            await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
        }

        return null;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Informational files only.
        }
    }
}
