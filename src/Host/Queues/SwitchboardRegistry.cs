using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using RunnerHost.Queues;

namespace RunnerHost.Host.Queues;

/// <summary>The unsliced switchboard of every configured queue, for enqueueing into any of them.</summary>
public sealed class SwitchboardRegistry : ISwitchboardRegistry, IDisposable
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
    public ISwitchboard this[string name] =>
        TryGet(name, out var switchboard) ? switchboard : throw new KeyNotFoundException($"No such queue: {name}");

    /// <inheritdoc/>
    public bool TryGet(string name, [NotNullWhen(true)] out ISwitchboard? switchboard)
    {
        ArgumentNullException.ThrowIfNull(name);
        bool found = _switchboards.TryGetValue(name, out var fileSwitchboard);
        switchboard = fileSwitchboard;
        return found;
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
