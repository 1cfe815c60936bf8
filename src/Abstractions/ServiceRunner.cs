namespace RunnerHost;

/// <summary>
/// A runner without a queue: a server such as the LMTP listener or the REST API, with start and stop
/// in the manner of <c>IHostedService</c>. The host calls <see cref="StartAsync"/> once, then
/// <see cref="DoPeriodicAsync"/> every <c>sleep_time</c> until the runner is stopped, then
/// <see cref="StopAsync"/>. An exception from <see cref="StartAsync"/> or <see cref="DoPeriodicAsync"/>
/// ends the run as a failure (the master restarts it under its policy).
/// </summary>
public abstract class ServiceRunner : RunnerBase
{
    /// <summary>Creates the runner from the context the host built for it.</summary>
    /// <param name="context">The host's context.</param>
    protected ServiceRunner(RunnerContext context)
        : base(context)
    {
    }

    /// <summary>Starts serving; completes once the service serves (e.g. listens). Default: nothing (a runner of periodic work only).</summary>
    /// <param name="cancellationToken">Cancelled when the host gives up on the start (a stop before it served).</param>
    protected virtual Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stops serving gracefully: work in hand finishes. Default: nothing.</summary>
    /// <param name="cancellationToken">Cancelled when the runner's <c>stop_timeout</c> has passed: give up on what is left.</param>
    protected virtual Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Housekeeping while serving, every <c>sleep_time</c>. Default: nothing.</summary>
    /// <param name="cancellationToken">Cancelled when the runner is stopped hard.</param>
    protected virtual Task DoPeriodicAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal Task InvokeStartAsync(CancellationToken cancellationToken) => StartAsync(cancellationToken);

    internal Task InvokeStopAsync(CancellationToken cancellationToken) => StopAsync(cancellationToken);

    internal Task InvokePeriodicAsync(CancellationToken cancellationToken) => DoPeriodicAsync(cancellationToken);
}
