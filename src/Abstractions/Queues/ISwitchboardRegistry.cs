namespace RunnerHost.Queues;

/// <summary>The unsliced switchboard of every configured queue, for enqueueing into any of them.</summary>
public interface ISwitchboardRegistry
{
    /// <summary>Queue names, sorted.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>The queue with this name.</summary>
    /// <exception cref="KeyNotFoundException">No such queue.</exception>
    ISwitchboard this[string name] { get; }

    /// <summary>Finds a queue by name.</summary>
    bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ISwitchboard? switchboard);
}
