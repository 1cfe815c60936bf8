using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Diagnostics.Tracing;

/// <summary>
/// The queue registry runner contexts get: every enqueue made while a span is current carries that span's
/// context in the new entry's metadata, whatever the back end, so the next hop's span continues the trace.
/// Requeues, moves to shunt and replays go through the lease or the back end itself and keep the context they had.
/// </summary>
public sealed class TraceContextQueues(IQueueRegistry inner) : IQueueRegistry
{
    // One wrapper per queue, made once: the indexer stays allocation-free in the runner loop.
    private readonly ConcurrentDictionary<string, IQueue> _wrapped = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Names => inner.Names;

    public IQueue this[string name] => Wrap(inner[name]);

    public bool TryGet(string name, [NotNullWhen(true)] out IQueue? queue)
    {
        if (inner.TryGet(name, out var found))
        {
            queue = Wrap(found);
            return true;
        }

        queue = null;
        return false;
    }

    private IQueue Wrap(IQueue queue)
    {
        if (_wrapped.TryGetValue(queue.Name, out var wrapped) && ReferenceEquals(((TraceContextQueue)wrapped).Inner, queue))
        {
            return wrapped;
        }

        wrapped = new TraceContextQueue(queue);
        _wrapped[queue.Name] = wrapped;
        return wrapped;
    }
}
