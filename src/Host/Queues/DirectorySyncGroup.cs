namespace RunnerHost.Host.Queues;

/// <summary>
/// Group commit of directory fsyncs: concurrent enqueues that renamed their files into one
/// directory share a single <c>fsync(directory)</c>. A caller joins after its rename; one leader
/// fsyncs for everyone who joined before that fsync started, the others wait for it. No caller
/// returns before an fsync that started after its rename has completed.
/// </summary>
public sealed class DirectorySyncGroup
{
    private readonly string _directory;
    private readonly Action<string> _fsync;
    private readonly Lock _lock = new();
    // Tickets are handed out in join order; a round covers every ticket up to its target.
    private long _joined;
    private long _durable;
    private Round? _current;
    private long _syncCount;

    /// <summary>Creates the group for <paramref name="directory"/>; <paramref name="fsync"/> defaults to <see cref="DurableFiles.FsyncDirectory"/>.</summary>
    public DirectorySyncGroup(string directory, Action<string>? fsync = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = directory;
        _fsync = fsync ?? DurableFiles.FsyncDirectory;
    }

    /// <summary>How many directory fsyncs ran (for tests and benchmarks).</summary>
    internal long SyncCount => Interlocked.Read(ref _syncCount);

    /// <summary>
    /// Returns once the directory entries created before this call are durable. Call it after the
    /// rename. Not cancellable: the entry is already visible, so its enqueue must either become
    /// durable or fail.
    /// </summary>
    public async Task CommitAsync()
    {
        long ticket;
        lock (_lock)
        {
            ticket = ++_joined;
        }

        while (true)
        {
            Round round;
            bool lead = false;
            lock (_lock)
            {
                if (_durable >= ticket)
                {
                    return;
                }

                if (_current is null)
                {
                    // Everyone who joined so far has renamed already, so this fsync covers them.
                    _current = new Round(_joined);
                    lead = true;
                }

                round = _current;
            }

            if (lead)
            {
                Sync(round);
            }

            // A round that started before this ticket joined does not cover it: wait for the next one.
            if (round.Target >= ticket)
            {
                await round.Done.Task.ConfigureAwait(false);
                return;
            }

            await round.Done.Task.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    private void Sync(Round round)
    {
        Exception? error = null;
        try
        {
            _fsync(_directory);
            Interlocked.Increment(ref _syncCount);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = ex;
        }

        lock (_lock)
        {
            if (error is null)
            {
                _durable = Math.Max(_durable, round.Target);
            }

            _current = null;
        }

        // After a failed fsync the kernel may have dropped the dirty state, so a retry could lie:
        // everyone in this round fails.
        if (error is null)
        {
            round.Done.SetResult();
        }
        else
        {
            round.Done.SetException(error);
        }
    }

    private sealed class Round(long target)
    {
        public long Target { get; } = target;

        // Continuations run on the pool, not inside the leader's fsync call.
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
