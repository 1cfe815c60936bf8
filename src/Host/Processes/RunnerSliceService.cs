using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Cli;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Processes;

/// <summary>
/// A runner process's one hosted service: takes the slice lock and runs the slice (reloading its plugin
/// when it changes) until the host stops it. The host's stop is graceful: the message in hand finishes and
/// nothing more is taken; when the host's shutdown timeout (<c>stop_timeout</c>) runs out first, the
/// message in hand is interrupted and goes back to its queue. A run that ends by itself (<c>--once</c>, a
/// failure, the master gone) stops the host; <see cref="Completion"/> then carries its outcome.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The hard-stop source holds no timer; it may be cancelled until the process exits.")]
internal sealed class RunnerSliceService(
    HostServices services,
    RunnerSliceRequest request,
    IHostApplicationLifetime application,
    ILoggerFactory loggerFactory) : IHostedService
{
    private readonly RunnerSession _session = new();
    private readonly CancellationTokenSource _hardStop = new();
    private readonly ILogger _logger = loggerFactory.CreateLogger("RunnerHost.Cli");
    private Task<int>? _run;

    /// <summary>The run's exit code, or its failure; completes after the host stopped it.</summary>
    public Task<int> Completion => _run ?? Task.FromResult(ExitCodes.Success);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _run = Task.Run(RunAsync, CancellationToken.None);
        _run.ContinueWith(_ => application.StopApplication(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _session.RequestStop();
        if (_run is null)
        {
            return;
        }

        // The host's token runs out after its shutdown timeout, stop_timeout: then the message in hand is interrupted.
        using var interrupt = cancellationToken.Register(() => _hardStop.Cancel());
        await _run.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
    }

    private async Task<int> RunAsync()
    {
        var settings = request.Settings;
        var spec = request.Spec;
        var runner = new ReloadingRunner(services, settings, spec.Slice, spec.Count, _logger);
        _session.Attach(runner);
        await using var link = request.Supervised
            ? SupervisedLink.Start(() => runner.Current, application.StopApplication, _logger, TimeSpan.FromSeconds(1))
            : null;
        // The master learns of each incarnation (ready again after a reload) and of what plugin version runs.
        runner.Started += () => link?.ReportReady();
        runner.Waiting += reason =>
        {
            if (link is null)
            {
                _logger.LogInformation("{Runner} slice {Slice}/{Count}: {Reason}", settings.Name, spec.Slice, spec.Count, reason);
            }

            link?.ReportWaiting(null, reason);
        };
        runner.PluginStateChanged += state => link?.ReportPlugin(state);

        // Held for the whole run, across plugin reloads (and by the kernel until this process is gone);
        // taken before any runner exists, so that its recovery of .bak entries never races a previous
        // instance still finishing its message.
        using var sliceLock = await TakeSliceLockAsync(
            services.Configuration.Paths.LockDir, new SliceId(settings.Name, spec.Slice, spec.Count), link).ConfigureAwait(false);
        if (sliceLock is null)
        {
            return ExitCodes.Success; // stopped while waiting: nothing was in hand
        }

        await runner.RunAsync(request.Once, _hardStop.Token).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>
    /// The slice lock. A child of the master waits for it (the master shows the slice as waiting); a
    /// hand-run runner refuses to start beside a running instance of its slice (or of an overlapping slice
    /// of another instance count). Null when stopped while waiting.
    /// </summary>
    private async Task<SliceLock?> TakeSliceLockAsync(string lockDirectory, SliceId slice, SupervisedLink? link)
    {
        try
        {
            if (link is null)
            {
                return SliceLock.TryAcquire(lockDirectory, slice, out var conflict) ?? throw new UsageException(conflict!.HolderPid is { } pid
                    ? string.Create(CultureInfo.InvariantCulture, $"{slice} is already running (pid {pid}, lock {conflict.File}); a slice never runs twice at once")
                    : $"{slice} is already running, or overlaps a running slice of another instance count (lock {conflict.File} is held); a slice never runs twice at once");
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(_hardStop.Token, _session.StopToken);
            return await SliceLock.AcquireAsync(
                lockDirectory,
                slice,
                conflict =>
                {
                    _logger.LogWarning("{Slice} waiting for its previous instance (pid {Holder}) to release {Lock}", slice, FailureText.Pid(conflict.HolderPid), conflict.File);
                    link.ReportWaiting(conflict.HolderPid);
                },
                stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_hardStop.IsCancellationRequested || _session.StopRequested)
        {
            return null;
        }
        catch (IOException ex)
        {
            throw new RunnerCreationException($"{slice}: cannot take the slice lock in {lockDirectory}: {ex.Message}", ex);
        }
    }
}
