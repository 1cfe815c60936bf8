using RunnerHost.Hosting.Engine;

namespace RunnerHost.Bench;

/// <summary>A <see cref="NoOpRunner"/> running the host's real loop in the background; stopping it waits for the loop to end.</summary>
public sealed class RunningRunner : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Task _loop;
    private readonly RunnerDriver _driver;

    private RunningRunner(NoOpRunner runner, RunnerDriver driver, Task loop)
    {
        Runner = runner;
        _driver = driver;
        _loop = loop;
    }

    public NoOpRunner Runner { get; }

    /// <summary>Starts the loop and returns once its first pass is done (recovery and listing included), i.e. it is idle or working.</summary>
    public static async Task<RunningRunner> StartAsync(BenchHost host, NoOpRunner runner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(runner);
        var driver = await RunnerDriver.OpenAsync(host.Services, runner, host.RunnerSettings, cancellationToken).ConfigureAwait(false);
        var loop = Task.Run(() => driver.RunAsync(once: false, cancellationToken), cancellationToken);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (driver.LastLoop is null && !loop.IsCompleted)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the benchmark runner did not complete its first pass");
            }

            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }

        return new RunningRunner(runner, driver, loop);
    }

    /// <summary>Starts the loop without waiting for its first pass (the drain timer starts with the slice's opening and recovery).</summary>
    public static async Task<RunningRunner> StartNowAsync(BenchHost host, NoOpRunner runner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(runner);
        var driver = await RunnerDriver.OpenAsync(host.Services, runner, host.RunnerSettings, cancellationToken).ConfigureAwait(false);
        return new RunningRunner(runner, driver, Task.Run(() => driver.RunAsync(once: false, cancellationToken), cancellationToken));
    }

    /// <summary>Waits until every expected message was disposed, or fails when the loop ends or the timeout passes.</summary>
    public async Task WaitForCompletionAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var finished = await Task.WhenAny(Runner.Completion, _loop, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        if (finished != Runner.Completion)
        {
            await finished.ConfigureAwait(false); // Surfaces a loop failure or the cancellation.
            throw new TimeoutException($"the benchmark runner disposed only {Runner.Disposed} messages in {timeout.TotalSeconds:0} s");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Runner.Stop();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        finally
        {
            _driver.Dispose();
        }
    }
}
