namespace RunnerHost.Hosting.Queues.Files;

/// <summary>
/// In-process wake-ups between switchboards: one per host process, shared by all switchboards.
/// An enqueue signals every switchboard registered for the same directory, so a runner waiting on
/// it wakes at once instead of at its next poll.
/// </summary>
public sealed class QueueNotifier
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<Action>> _listeners = new(PathComparer);

    private static StringComparer PathComparer => OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    /// <summary>Calls <paramref name="wake"/> on every <see cref="Signal"/> of <paramref name="directory"/> until the result is disposed.</summary>
    public IDisposable Register(string directory, Action wake)
    {
        ArgumentNullException.ThrowIfNull(wake);
        string key = Normalize(directory);
        lock (_lock)
        {
            if (!_listeners.TryGetValue(key, out var list))
            {
                list = [];
                _listeners[key] = list;
            }

            list.Add(wake);
        }

        return new Registration(this, key, wake);
    }

    /// <summary>Wakes every switchboard of <paramref name="directory"/>.</summary>
    public void Signal(string directory)
    {
        Action[] targets;
        lock (_lock)
        {
            targets = _listeners.TryGetValue(Normalize(directory), out var list) ? [.. list] : [];
        }

        // Outside the lock: a listener must not be able to deadlock the enqueuer.
        foreach (var wake in targets)
        {
            wake();
        }
    }

    private static string Normalize(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
    }

    private void Unregister(string key, Action wake)
    {
        lock (_lock)
        {
            if (_listeners.TryGetValue(key, out var list) && list.Remove(wake) && list.Count == 0)
            {
                _listeners.Remove(key);
            }
        }
    }

    private sealed class Registration(QueueNotifier owner, string key, Action wake) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unregister(key, wake);
            }
        }
    }
}
