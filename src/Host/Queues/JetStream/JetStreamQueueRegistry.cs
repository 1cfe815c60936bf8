using System.Diagnostics.CodeAnalysis;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>Every configured queue on JetStream.</summary>
public sealed class JetStreamQueueRegistry(IEnumerable<string> names, JetStreamStore store, TimeProvider clock) : IQueueRegistry
{
    private readonly Dictionary<string, JetStreamQueue> _queues = names.Distinct(StringComparer.Ordinal).ToDictionary(n => n, n => new JetStreamQueue(n, store, clock), StringComparer.Ordinal);

    public IReadOnlyList<string> Names => [.. _queues.Keys.Order(StringComparer.Ordinal)];

    public IQueue this[string name] => Get(name);

    public JetStreamQueue Get(string name) =>
        _queues.TryGetValue(name, out var queue) ? queue : throw new KeyNotFoundException($"No such queue: {name}");

    public bool TryGet(string name, [NotNullWhen(true)] out IQueue? queue)
    {
        bool found = _queues.TryGetValue(name, out var jetStreamQueue);
        queue = jetStreamQueue;
        return found;
    }
}
