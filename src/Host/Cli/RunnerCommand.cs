using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Host.Composition;
using RunnerHost.Host.Configuration;
using RunnerHost.Host.Plugins;
using RunnerHost.Host.Supervision;

namespace RunnerHost.Host.Cli;

/// <summary><c>runner-host runner --runner NAME[:SLICE:COUNT] [--once]</c>: runs one runner slice in the foreground.</summary>
public static class RunnerCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var runnerOption = new Option<string>("--runner", "-r")
        {
            Description = "The runner to run: NAME (its whole queue) or NAME:SLICE:COUNT (one slice; COUNT must equal the section's instances).",
            Required = true,
        };
        var onceOption = new Option<bool>("--once", "-o")
        {
            Description = "Make one full pass over the queue, run the periodic hook, and exit.",
        };
        // Set by the master on its children: heartbeats on stdout, and EOF on stdin (the master died) stops the runner.
        var supervisedOption = new Option<bool>("--supervised") { Hidden = true };
        var command = new Command("runner", "Run one runner slice in the foreground until stopped (SIGTERM/SIGINT stop it gracefully).")
        {
            runnerOption,
            onceOption,
            supervisedOption,
        };
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(() => RunReportingAsync(
            result.GetValue(configOption),
            RunnerSpec.Parse(result.GetRequiredValue(runnerOption)),
            result.GetValue(onceOption),
            result.GetValue(supervisedOption),
            cancellationToken)));
        return command;
    }

    // A supervised child's stderr is the master's, which the master does not read: the cause of a start
    // failure also goes to the master as one line on stdout, for status and the master's log.
    private static async Task<int> RunReportingAsync(string? configFile, RunnerSpec spec, bool once, bool supervised, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(configFile, spec, once, supervised, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (supervised && ex is RunnerCreationException or ConfigurationException or ConfigurationValueException)
        {
            SupervisedLink.ReportCannotStart(ex.Message);
            throw;
        }
    }

    private static async Task<int> RunAsync(string? configFile, RunnerSpec spec, bool once, bool supervised, CancellationToken cancellationToken)
    {
        using var environment = CommandEnvironment.Open(configFile, VarAccess.ReadWrite, reportWarnings: !supervised);
        var configuration = environment.Configuration;
        if (!configuration.TryGetRunner(spec.Name, out var settings))
        {
            throw new UsageException($"no [runner.{spec.Name}] section in {configuration.ConfigFile ?? "the configuration"}");
        }

        if (spec.Explicit && spec.Count != settings.Instances)
        {
            throw new UsageException(
                $"runner spec {spec.Name}:{spec.Slice}:{spec.Count} does not match [runner.{spec.Name}] instances: {settings.Instances}; slices of different counts would overlap");
        }

        var logger = environment.LoggerFactory.CreateLogger("RunnerHost.Cli");
        var stopTimeout = settings.GetDuration("stop_timeout", TimeSpan.FromSeconds(30));
        var session = new RunnerSession();

        // A stop signal asks for a graceful stop; if the message in hand is not done within
        // stop_timeout, cancellation interrupts it and it goes back to its queue.
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnStopSignal(PosixSignalContext signal)
        {
            signal.Cancel = true;
            logger.LogInformation("{Runner} caught {Signal}; stopping (grace {Timeout})", settings.Name, signal.Signal, stopTimeout);
            session.RequestStop();
            hardStop.CancelAfter(stopTimeout);
        }

        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnStopSignal);
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnStopSignal);

        // HUP (forwarded by the master) must not terminate the runner; the logging setup reopens its files.
        using var onHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, signal =>
        {
            signal.Cancel = true;
            logger.LogInformation("{Runner} caught SIGHUP; reopening logs", settings.Name);
        });
        var runner = new ReloadingRunner(environment.Services, settings, spec.Slice, spec.Count, logger);
        session.Attach(runner);
        await using var link = supervised
            ? SupervisedLink.Start(
                () => runner.Current,
                () =>
                {
                    session.RequestStop();
                    hardStop.CancelAfter(stopTimeout);
                },
                logger,
                TimeSpan.FromSeconds(1))
            : null;
        // The master learns of each incarnation (ready again after a reload) and of what plugin version runs.
        runner.Started += () => link?.ReportReady();
        runner.Waiting += reason =>
        {
            if (link is null)
            {
                logger.LogInformation("{Runner} slice {Slice}/{Count}: {Reason}", settings.Name, spec.Slice, spec.Count, reason);
            }

            link?.ReportWaiting(null, reason);
        };
        runner.PluginStateChanged += state => link?.ReportPlugin(state);

        // Held for the whole run, across plugin reloads (and by the kernel until this process is gone);
        // taken before any runner exists, so that its recovery of .bak entries never races a previous
        // instance still finishing its message.
        using var sliceLock = await TakeSliceLockAsync(
            configuration.Paths.LockDir, new SliceId(settings.Name, spec.Slice, spec.Count), link, session, logger, hardStop.Token).ConfigureAwait(false);
        if (sliceLock is null)
        {
            return ExitCodes.Success; // stopped while waiting: nothing was in hand
        }

        await runner.RunAsync(once, hardStop.Token).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>
    /// The slice lock. A child of the master waits for it (the master shows the slice as waiting); a
    /// hand-run runner refuses to start beside a running instance of its slice (or of an overlapping slice
    /// of another instance count). Null when stopped while waiting.
    /// </summary>
    private static async Task<SliceLock?> TakeSliceLockAsync(string lockDirectory, SliceId slice, SupervisedLink? link, RunnerSession session, ILogger logger, CancellationToken hardStop)
    {
        try
        {
            if (link is null)
            {
                return SliceLock.TryAcquire(lockDirectory, slice, out var conflict) ?? throw new UsageException(conflict!.HolderPid is { } pid
                    ? string.Create(CultureInfo.InvariantCulture, $"{slice} is already running (pid {pid}, lock {conflict.File}); a slice never runs twice at once")
                    : $"{slice} is already running, or overlaps a running slice of another instance count (lock {conflict.File} is held); a slice never runs twice at once");
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(hardStop, session.StopToken);
            return await SliceLock.AcquireAsync(
                lockDirectory,
                slice,
                conflict =>
                {
                    logger.LogWarning("{Slice} waiting for its previous instance (pid {Holder}) to release {Lock}", slice, FailureText.Pid(conflict.HolderPid), conflict.File);
                    link.ReportWaiting(conflict.HolderPid);
                },
                stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (hardStop.IsCancellationRequested || session.StopRequested)
        {
            return null;
        }
        catch (IOException ex)
        {
            throw new RunnerCreationException($"{slice}: cannot take the slice lock in {lockDirectory}: {ex.Message}", ex);
        }
    }

    /// <summary>Stop signals arriving before the runner exists are kept for it; the stop token ends a wait for the slice lock.</summary>
    // The stop source is never disposed: a signal handler or the stdin watch may fire at any moment until
    // the process exits, and a source without a timer holds nothing that needs disposing.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A CancellationTokenSource without a timer holds nothing that needs disposing.")]
    private sealed class RunnerSession
    {
        private readonly Lock _gate = new();
        private readonly CancellationTokenSource _stop = new();
        private ReloadingRunner? _runner;
        private bool _stopRequested;

        public bool StopRequested
        {
            get
            {
                lock (_gate)
                {
                    return _stopRequested;
                }
            }
        }

        public CancellationToken StopToken => _stop.Token;

        public void Attach(ReloadingRunner runner)
        {
            lock (_gate)
            {
                _runner = runner;
                if (_stopRequested)
                {
                    runner.RequestStop();
                }
            }
        }

        public void RequestStop()
        {
            lock (_gate)
            {
                _stopRequested = true;
                _runner?.RequestStop();
            }

            _stop.Cancel();
        }
    }
}
