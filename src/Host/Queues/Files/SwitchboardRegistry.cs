using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>The unsliced switchboard of every configured queue of the file back end, for enqueueing into any of them.</summary>
public sealed class SwitchboardRegistry : IQueueRegistry, IDisposable
{
    private readonly Dictionary<string, FileSwitchboard> _switchboards = new(StringComparer.Ordinal);

    /// <summary>Creates one switchboard per queue; names must be unique and the queues unsliced.</summary>
    public SwitchboardRegistry(IEnumerable<FileSwitchboardOptions> queues, ILoggerFactory loggerFactory, TimeProvider time, QueueNotifier notifier)
    {
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        try
        {
            foreach (var options in queues)
            {
                if (options.SliceCount != 1)
                {
                    throw new ArgumentException($"Queue '{options.Name}': registry switchboards are unsliced (slice count {options.SliceCount}).", nameof(queues));
                }

                if (_switchboards.ContainsKey(options.Name))
                {
                    throw new ArgumentException($"Duplicate queue name: {options.Name}", nameof(queues));
                }

                _switchboards[options.Name] = new FileSwitchboard(options, loggerFactory.CreateLogger<FileSwitchboard>(), time, notifier);
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        Names = [.. _switchboards.Keys.Order(StringComparer.Ordinal)];
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Names { get; } = [];

    /// <inheritdoc/>
    public IQueue this[string name] => Get(name);

    /// <summary>The file switchboard of a queue.</summary>
    /// <exception cref="KeyNotFoundException">No such queue.</exception>
    public FileSwitchboard Get(string name) =>
        TryGetSwitchboard(name, out var switchboard) ? switchboard : throw new KeyNotFoundException($"No such queue: {name}");

    /// <inheritdoc/>
    public bool TryGet(string name, [NotNullWhen(true)] out IQueue? queue)
    {
        bool found = TryGetSwitchboard(name, out var switchboard);
        queue = switchboard;
        return found;
    }

    /// <summary>Finds the file switchboard of a queue.</summary>
    public bool TryGetSwitchboard(string name, [NotNullWhen(true)] out FileSwitchboard? switchboard)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _switchboards.TryGetValue(name, out switchboard);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var switchboard in _switchboards.Values)
        {
            switchboard.Dispose();
        }
    }
}
