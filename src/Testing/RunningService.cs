namespace RunnerHost.Testing;

/// <summary>A <see cref="ServiceRunner"/> started by <see cref="RunnerTestHost.StartAsync{TService}"/>; dispose it (or <see cref="StopAsync"/>) to stop it.</summary>
/// <typeparam name="TService">The runner type.</typeparam>
public sealed class RunningService<TService> : IAsyncDisposable
    where TService : ServiceRunner
{
    private readonly Task _run;
    private readonly Func<ValueTask> _release;
    private int _stopped;

    internal RunningService(TService runner, Task run, Func<ValueTask> release)
    {
        Runner = runner;
        _run = run;
        _release = release;
    }

    /// <summary>The running instance, built the way the host builds it.</summary>
    public TService Runner { get; }

    /// <summary>Completes when the service ends; faults when its start or periodic hook threw.</summary>
    public Task Completion => _run;

    /// <summary>Stops the service the way the host does (<see cref="RunnerBase.Stop"/>, then its stop hook) and waits for it.</summary>
    /// <returns>Completes when the service stopped; rethrows what ended it.</returns>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            await _run.ConfigureAwait(false);
            return;
        }

        Runner.Stop();
        try
        {
            await _run.ConfigureAwait(false);
        }
        finally
        {
            await _release().ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
