using Microsoft.Extensions.Logging;

using RunnerHost.Hosting.IO;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>
/// Wakes a waiting runner when entries may have arrived: in-process enqueues signal the shared
/// <see cref="QueueNotifier"/>; other processes' renames are seen by a FileSystemWatcher, started on
/// the first wait. Without a watcher, the wait's timeout is the poll.
/// </summary>
internal sealed class FileWakeUp : IDisposable
{
    private readonly string _directory;
    private readonly string _queueName;
    private readonly ILogger _logger;
    private readonly IDisposable _registration;
    // Sticky auto-reset wake flag: a count of at most one survives until the next wait consumes it.
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly Lock _watcherLock = new();
    private FileSystemWatcher? _watcher;
    private bool _watchUnavailable;
    private bool _disposed;

    public FileWakeUp(string directory, string queueName, QueueNotifier notifier, ILogger logger)
    {
        _directory = directory;
        _queueName = queueName;
        _logger = logger;
        _registration = notifier.Register(directory, Wake);
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        EnsureWatcher();
        try
        {
            await _wake.WaitAsync(ClampTimeout(timeout), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A stop wakes the runner; it is not an error.
        }
    }

    public void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already set: the flag is sticky, one pending wake is enough.
        }
        catch (ObjectDisposedException)
        {
            // Raced with Dispose.
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _registration.Dispose();
        lock (_watcherLock)
        {
            _watcher?.Dispose();
            _watcher = null;
        }

        _wake.Dispose();
    }

    private void EnsureWatcher()
    {
        lock (_watcherLock)
        {
            if (_watcher is not null || _watchUnavailable)
            {
                return;
            }

            try
            {
                DurableFiles.EnsureDirectory(_directory);
                var watcher = new FileSystemWatcher(_directory, "*" + QueueDirectoryScan.ReadyExtension)
                {
                    NotifyFilter = NotifyFilters.FileName,
                };
                watcher.Created += (_, _) => Wake();
                watcher.Renamed += (_, _) => Wake();
                watcher.Error += (_, _) => Wake(); // Overflow: events lost, so rescan.
                watcher.EnableRaisingEvents = true;
                _watcher = watcher;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                // Without a watcher other processes' writes are seen at the next timeout; say so once.
                _watchUnavailable = true;
                _logger.LogWarning(ex, "Queue {Queue}: cannot watch {Directory}; relying on polling", _queueName, _directory);
            }
        }
    }

    private static TimeSpan ClampTimeout(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return timeout;
        }

        var max = TimeSpan.FromMilliseconds(int.MaxValue);
        return timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout > max ? max : timeout;
    }
}
