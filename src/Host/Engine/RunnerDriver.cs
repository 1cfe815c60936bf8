using RunnerHost.Configuration;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Queues;

namespace RunnerHost.Hosting.Engine;

/// <summary>
/// Runs one created runner the way its kind needs: a <see cref="Runner"/> over its slice of its queue
/// (opened, and so recovered, here), a <see cref="ServiceRunner"/> as a service.
/// </summary>
public sealed class RunnerDriver : IRunningRunner, IDisposable
{
    private readonly IRunningRunner _loop;
    private readonly Func<bool, CancellationToken, Task> _run;
    private readonly IOwnedQueueSlice? _slice;

    private RunnerDriver(IRunningRunner loop, Func<bool, CancellationToken, Task> run, IOwnedQueueSlice? slice)
    {
        _loop = loop;
        _run = run;
        _slice = slice;
    }

    public string Identity => _loop.Identity;

    public InFlightEntry? InFlight => _loop.InFlight;

    public DateTimeOffset? LastLoop => _loop.LastLoop;

    /// <summary>Prepares <paramref name="runner"/> to run; a queue runner's slice is opened and recovered (the caller holds the slice lock).</summary>
    /// <exception cref="RunnerCreationException">A queue runner whose section has no queue.</exception>
    public static async Task<RunnerDriver> OpenAsync(HostServices services, RunnerBase runner, RunnerSettings settings, CancellationToken cancellationToken, Action<string>? waiting = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(settings);
        var logger = services.RunnerLogger(settings.Name);
        switch (runner)
        {
            case ServiceRunner service:
                var serviceLoop = new ServiceRunnerLoop(service, logger, services.Clock);
                return new RunnerDriver(serviceLoop, serviceLoop.RunAsync, null);
            case Runner queueRunner when settings.QueuePath is null:
                throw new RunnerCreationException(
                    $"[runner.{settings.Name}] class {runner.GetType().FullName} is a queue runner, but the section has no queue (its path is empty); give it a path, or derive the class from ServiceRunner");
            case Runner queueRunner:
                var outcomes = services.Outcomes;
                string sliceName = $"{runner.Slice}/{runner.SliceCount}";
                var slice = await services.Backend.OpenSliceAsync(
                    settings, runner.Slice, runner.SliceCount, new SliceHooks(() => outcomes?.Record(settings.Name, sliceName, EntryOutcome.Preserved, TimeSpan.Zero), waiting), cancellationToken).ConfigureAwait(false);
                var loop = new QueueRunnerLoop(queueRunner, slice, services.Lists, services.Events, logger, services.Clock, services.Outcomes);
                return new RunnerDriver(loop, loop.RunAsync, slice);
            default:
                throw new RunnerCreationException($"[runner.{settings.Name}] class {runner.GetType().FullName} derives from neither Runner nor ServiceRunner");
        }
    }

    /// <summary>Runs until stopped, or one pass with <paramref name="once"/>.</summary>
    public Task RunAsync(bool once, CancellationToken cancellationToken) => _run(once, cancellationToken);

    public void RequestStop() => _loop.RequestStop();

    public void Dispose() => _slice?.Dispose();
}
