using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;

namespace RunnerHost.Hosting.Engine;

/// <summary>
/// Runs a <see cref="ServiceRunner"/>: start, the periodic hook every <c>sleep_time</c> until stopped,
/// then a graceful stop whose token is cancelled when the host's hard stop comes (after <c>stop_timeout</c>).
/// </summary>
public sealed class ServiceRunnerLoop(ServiceRunner runner, ILogger logger, TimeProvider clock) : IRunningRunner
{
    private long _lastLoopTicks;

    public string Identity => runner.Identity;

    public InFlightEntry? InFlight => null;

    public DateTimeOffset? LastLoop
    {
        get
        {
            long ticks = Interlocked.Read(ref _lastLoopTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    public void RequestStop() => runner.Stop();

    /// <summary>Serves until stopped (with <paramref name="once"/>: starts, runs the periodic hook once, stops).</summary>
    public async Task RunAsync(bool once, CancellationToken cancellationToken)
    {
        logger.LogInformation("{Runner} runner started.", Identity);
        using var startGate = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, runner.StopToken);
        bool started = false;
        try
        {
            await runner.InvokeStartAsync(startGate.Token).ConfigureAwait(false);
            started = true;
            while (!runner.IsStopping && !cancellationToken.IsCancellationRequested)
            {
                await runner.InvokePeriodicAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Exchange(ref _lastLoopTicks, clock.GetUtcNow().UtcTicks);
                if (once)
                {
                    break;
                }

                await SleepAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || (!started && runner.IsStopping))
        {
            // A stop, not a failure.
        }
        catch (Exception ex)
        {
            // A bad setting is the operator's to fix: its message names file, line and key; a stack trace would bury it.
            logger.LogCritical(ex is ConfigurationValueException ? null : ex, "{Runner} runner failed: {Error}", Identity, ex.Message);
            await StopServiceAsync(started, cancellationToken).ConfigureAwait(false);
            throw;
        }

        await StopServiceAsync(started, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("{Runner} runner exiting.", Identity);
    }

    private async Task StopServiceAsync(bool started, CancellationToken hardStop)
    {
        if (!started)
        {
            return;
        }

        try
        {
            await runner.InvokeStopAsync(hardStop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (hardStop.IsCancellationRequested)
        {
            logger.LogWarning("{Runner} did not stop within its stop_timeout; gave up on what was left", Identity);
        }
    }

    private async Task SleepAsync(CancellationToken cancellationToken)
    {
        var sleep = runner.Settings.SleepTime;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, runner.StopToken);
        try
        {
            await Task.Delay(sleep > TimeSpan.Zero ? sleep : TimeSpan.FromSeconds(1), clock, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Woken by a stop.
        }
    }
}
