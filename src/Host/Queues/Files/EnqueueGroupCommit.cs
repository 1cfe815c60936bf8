using System.Diagnostics;

using RunnerHost.Hosting.IO;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>
/// Group commit of durable enqueues into one directory. Each enqueue writes its temporary file
/// and joins; one leader then makes the whole round durable in the required order: fsync every
/// file, rename each into place, and a single <c>fsync(directory)</c> for all of them. Nobody
/// returns before the directory fsync that covers its own rename has completed.
/// </summary>
/// <remarks>
/// <para>
/// On a journaling filesystem a file fsync commits the journal transaction, and that commit also
/// carries the block allocations of the other files whose writeback already started (members
/// start theirs before joining), so the round's remaining file fsyncs only wait for a device
/// flush. A round of eight costs two journal commits instead of sixteen. With one producer a round
/// holds one file and costs what a single enqueue did before.
/// </para>
/// <para>
/// A leader whose previous round had company waits up to <see cref="MaxWaitForCompany"/> for as
/// many members to join: the members just released are preparing their next enqueue, and a
/// fuller round costs little more than a thin one. Measurements are in <c>docs/benchmarks.md</c>.
/// </para>
/// </remarks>
public sealed class EnqueueGroupCommit
{
    /// <summary>How long a leader waits for the company its previous round had (200 µs: a fraction of one fsync).</summary>
    public static readonly TimeSpan MaxWaitForCompany = TimeSpan.FromMicroseconds(200);

    private readonly string _directory;
    private readonly IPublishOperations _operations;
    private readonly CommitGroup<Member> _group;
    private long _directorySyncs;
    private long _rounds;
    private int _previousRoundSize = 1;

    /// <summary>Creates the group for <paramref name="directory"/>; <paramref name="operations"/> defaults to the real file system.</summary>
    public EnqueueGroupCommit(string directory, IPublishOperations? operations = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = directory;
        _operations = operations ?? FilePublishOperations.Instance;
        _group = new CommitGroup<Member>(LeadRound, WaitForCompany);
    }

    /// <summary>How many directory fsyncs ran (for tests and benchmarks).</summary>
    internal long DirectorySyncCount => Interlocked.Read(ref _directorySyncs);

    /// <summary>How many rounds ran; equals the number of file fsync batches.</summary>
    internal long RoundCount => Interlocked.Read(ref _rounds);

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
        await _group.JoinAsync(member).ConfigureAwait(false);
        if (member.Error is { } error)
        {
            // One exception per caller: a shared directory-fsync failure reaches several of them.
            throw new IOException($"Enqueue of {Path.GetFileName(file.FinalPath)} is not durable: {error.Message}", error);
        }
    }

    // Spins (yielding) rather than blocks: blocking waits have millisecond granularity, longer
    // than the fsync this wait is meant to share.
    private void WaitForCompany()
    {
        int expected = Volatile.Read(ref _previousRoundSize);
        if (_group.PendingCount >= expected)
        {
            return;
        }

        long start = Stopwatch.GetTimestamp();
        var spin = new SpinWait();
        while (Stopwatch.GetElapsedTime(start) < MaxWaitForCompany)
        {
            spin.SpinOnce(sleep1Threshold: -1);
            if (_group.PendingCount >= expected)
            {
                return;
            }
        }
    }

    private void LeadRound(List<Member> round)
    {
        Volatile.Write(ref _previousRoundSize, round.Count);
        Interlocked.Increment(ref _rounds);
        try
        {
            Commit(round);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            foreach (var member in round)
            {
                member.Error ??= ex;
                member.File.Dispose();
            }
        }
    }

    private void Commit(List<Member> round)
    {
        // Phase 1: every file durable before any of them becomes visible under its final name.
        foreach (var member in round)
        {
            Flush(member);
        }

        bool anyRenamed = false;
        foreach (var member in round)
        {
            if (member.Error is null)
            {
                try
                {
                    _operations.Rename(member.File.TemporaryPath, member.File.FinalPath);
                    anyRenamed = true;
                    continue;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    member.Error = ex;
                }
            }

            _operations.DeleteTemporary(member.File.TemporaryPath);
        }

        // Phase 2: one directory fsync covers every rename of the round. After a failed fsync the
        // kernel may have dropped the dirty state, so a retry could lie: the whole round fails.
        if (anyRenamed)
        {
            try
            {
                _operations.FsyncDirectory(_directory);
                Interlocked.Increment(ref _directorySyncs);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                foreach (var member in round)
                {
                    member.Error ??= ex;
                }
            }
        }

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

    private sealed class Member(PendingFile file) : CommitGroupMember
    {
        public PendingFile File { get; } = file;
    }
}
