using Microsoft.Extensions.Logging;
using RunnerHost.Events;

namespace RunnerHost.Hosting.Events;

/// <summary>The process-wide event hub; one instance per host process, never static (statics would pin plugin load contexts).</summary>
public sealed class RunnerEvents(ILogger<RunnerEvents> logger) : IRunnerEvents
{
    private readonly object _gate = new();
    private List<Action<RunnerCrash>> _crashHandlers = [];

    public IDisposable SubscribeToCrashes(Action<RunnerCrash> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            // Copy-on-write: raising iterates a snapshot without holding the lock.
            _crashHandlers = [.. _crashHandlers, handler];
        }

        return new Subscription(() =>
        {
            lock (_gate)
            {
                _crashHandlers = _crashHandlers.Where(h => h != handler).ToList();
            }
        });
    }

    public void RaiseCrash(RunnerCrash crash)
    {
        ArgumentNullException.ThrowIfNull(crash);
        List<Action<RunnerCrash>> handlers;
        lock (_gate)
        {
            handlers = _crashHandlers;
        }

        foreach (var handler in handlers)
        {
            try
            {
                handler(crash);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "A runner crash subscriber failed: {Error}", ex.Message);
            }
        }
    }

    private sealed class Subscription(Action unsubscribe) : IDisposable
    {
        private Action? _unsubscribe = unsubscribe;

        public void Dispose() => Interlocked.Exchange(ref _unsubscribe, null)?.Invoke();
    }
}
