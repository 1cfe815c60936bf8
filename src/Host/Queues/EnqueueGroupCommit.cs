namespace RunnerHost.Host.Queues;

/// <summary>
/// Group commit of durable enqueues into one directory. Each enqueue writes its temporary file
/// and joins; leaders then make whole batches durable in the required order: fsync every file,
/// rename each into place, and one <c>fsync(directory)</c> for all of them. Nobody returns before
/// the directory fsync that covers its own rename has completed.
/// </summary>
/// <remarks>
/// <para>
/// Two stages, each with at most one leader, run side by side: while one batch is renamed and its
/// directory fsynced, the next batch's files are being fsynced. On a journaling filesystem both
/// fsyncs then tend to land in the same journal commit.
/// </para>
/// <para>
/// Within a batch, the first file fsync commits the journal transaction that holds every member's
/// block allocation (members start their writeback before joining), so the other fsyncs only wait
/// for a device flush, and those are issued together so the block layer can merge them. With one
/// producer a batch holds one file and the cost is that of a single enqueue
/// (<c>docs/benchmarks.md</c>).
/// </para>
/// </remarks>
public sealed class EnqueueGroupCommit
{
    private readonly string _directory;
    private readonly IPublishOperations _operations;
    private readonly Lock _lock = new();
    // Joined, waiting for their file fsync.
    private readonly List<Member> _joined = [];
    // File fsynced, waiting for rename and directory fsync.
    private readonly List<Member> _flushed = [];
    private bool _flushLeaderActive;
    private bool _syncLeaderActive;
    private long _directorySyncs;
    private long _flushBatches;

    /// <summary>Creates the group for <paramref name="directory"/>; <paramref name="operations"/> defaults to the real file system.</summary>
    public EnqueueGroupCommit(string directory, IPublishOperations? operations = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = directory;
        _operations = operations ?? FilePublishOperations.Instance;
    }

    private enum Role
    {
        Done,
        LeadFlush,
        LeadSync,
    }

    /// <summary>How many directory fsyncs ran (for tests and benchmarks).</summary>
    internal long DirectorySyncCount => Interlocked.Read(ref _directorySyncs);

    /// <summary>How many batches of file fsyncs ran.</summary>
    internal long FlushBatchCount => Interlocked.Read(ref _flushBatches);

    /// <summary>
    /// Makes <paramref name="file"/> durable at its final name. Ownership of the open file passes to
    /// the group, which closes it and, when the commit fails before the rename, deletes the
    /// temporary file. Not cancellable: once the file may be visible its enqueue must either become
    /// durable or fail.
    /// </summary>
    public async Task CommitAsync(PendingFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var member = new Member(file);
        Task<Role> turn;
        lock (_lock)
        {
            _joined.Add(member);
            if (!_flushLeaderActive)
            {
                _flushLeaderActive = true;
                member.Signal(Role.LeadFlush);
            }

            turn = member.Turn;
        }

        // A member may lead the flush stage, then the sync stage, before its own batch is done.
        for (var role = await turn.ConfigureAwait(false); role != Role.Done; role = await turn.ConfigureAwait(false))
        {
            turn = role == Role.LeadFlush ? LeadFlush(member) : LeadSync(member);
        }

        if (member.Error is { } error)
        {
            // One exception per caller: a shared directory-fsync failure reaches several of them.
            throw new IOException($"Enqueue of {Path.GetFileName(file.FinalPath)} is not durable: {error.Message}", error);
        }
    }

    // Fsyncs every joined file, hands the batch to the sync stage, and passes the flush lead on.
    // Returns the leader's next turn.
    private Task<Role> LeadFlush(Member leader)
    {
        List<Member> batch;
        lock (_lock)
        {
            batch = [.. _joined];
            _joined.Clear();
            leader.ResetTurn();
        }

        Interlocked.Increment(ref _flushBatches);
        Flush(batch[0]);
        if (batch.Count > 1)
        {
            Parallel.For(1, batch.Count, i => Flush(batch[i]));
        }

        var failed = batch.Where(m => m.Error is not null).ToList();
        foreach (var member in failed)
        {
            _operations.DeleteTemporary(member.File.TemporaryPath);
        }

        Member? nextFlushLeader = null;
        Member? syncLeader = null;
        lock (_lock)
        {
            _flushed.AddRange(batch.Where(m => m.Error is null));
            if (_joined.Count > 0)
            {
                nextFlushLeader = _joined[0];
            }
            else
            {
                _flushLeaderActive = false;
            }

            if (!_syncLeaderActive && _flushed.Count > 0)
            {
                _syncLeaderActive = true;
                syncLeader = _flushed[0];
            }
        }

        foreach (var member in failed)
        {
            member.Signal(Role.Done);
        }

        nextFlushLeader?.Signal(Role.LeadFlush);
        syncLeader?.Signal(Role.LeadSync);
        return leader.Turn;
    }

    // Renames every flushed file, fsyncs the directory once, and passes the sync lead on.
    private Task<Role> LeadSync(Member leader)
    {
        List<Member> batch;
        lock (_lock)
        {
            batch = [.. _flushed];
            _flushed.Clear();
            leader.ResetTurn();
        }

        bool anyRenamed = false;
        foreach (var member in batch)
        {
            try
            {
                _operations.Rename(member.File.TemporaryPath, member.File.FinalPath);
                anyRenamed = true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                member.Error = ex;
                _operations.DeleteTemporary(member.File.TemporaryPath);
            }
        }

        // After a failed fsync the kernel may have dropped the dirty state, so a retry could lie:
        // the whole batch fails.
        if (anyRenamed)
        {
            try
            {
                _operations.FsyncDirectory(_directory);
                Interlocked.Increment(ref _directorySyncs);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                foreach (var member in batch)
                {
                    member.Error ??= ex;
                }
            }
        }

        Member? next = null;
        lock (_lock)
        {
            if (_flushed.Count > 0)
            {
                next = _flushed[0];
            }
            else
            {
                _syncLeaderActive = false;
            }
        }

        foreach (var member in batch)
        {
            member.Signal(Role.Done);
        }

        // Handing over (rather than leading again) lets this caller return at once.
        next?.Signal(Role.LeadSync);
        return leader.Turn;
    }

    private void Flush(Member member)
    {
        try
        {
            _operations.FlushFile(member.File);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            member.Error = ex;
        }
        finally
        {
            member.File.Dispose();
        }
    }

    private sealed class Member(PendingFile file)
    {
        // Continuations run on the pool, not inside a leader's fsyncs.
        private TaskCompletionSource<Role> _turn = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public PendingFile File { get; } = file;

        public Exception? Error { get; set; }

        public Task<Role> Turn => _turn.Task;

        // Each turn is signalled once; a leader resets its own (under the group's lock) before
        // anyone can hand it the next role.
        public void Signal(Role role) => _turn.SetResult(role);

        public void ResetTurn() => _turn = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
