using System.Diagnostics.CodeAnalysis;

namespace RunnerHost.Queues;

/// <summary>Every configured queue, for enqueueing into any of them.</summary>
public interface IQueueRegistry
{
    /// <summary>Queue names, sorted.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>The queue with this name.</summary>
    /// <exception cref="KeyNotFoundException">No such queue.</exception>
    IQueue this[string name] { get; }

    /// <summary>Finds a queue by name.</summary>
    /// <param name="name">The queue name.</param>
    /// <param name="queue">The queue, when found.</param>
    bool TryGet(string name, [NotNullWhen(true)] out IQueue? queue);
}
