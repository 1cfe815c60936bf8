using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.IO;

namespace RunnerHost.Hosting.Queues.Files.Journal;

/// <summary>
/// The write-ahead journal of one switchboard (<c>[queues] commit: journal</c>): a durable enqueue
/// appends its complete entry file as one record to this process's segment in
/// <c>QUEUE/.journal/</c> and returns after one <c>fdatasync</c> of it; concurrent enqueues share
/// that flush (group commit). The entry file itself is renamed into place without any fsync.
/// </summary>
/// <remarks>
/// A checkpoint (the segment full, the oldest record over <see cref="CheckpointInterval"/> old at the
/// next append, or <see cref="Dispose"/>) waits for the renames of its records, runs one
/// <c>syncfs</c>, records <see cref="JournalCheckpointMark"/> and retires the segment by writing its
/// next generation: the segment is reused, never deleted. Completions are recorded too (without a
/// flush of their own). <see cref="JournalReplay"/> reads what a dead writer left.
/// </remarks>
internal sealed class EnqueueJournal : IDisposable
{
    /// <summary>A segment whose oldest record is this old is checkpointed before the next append.</summary>
    public static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(1);

    /// <summary>The journal's directory inside a queue directory (a housekeeping name, no stray).</summary>
    public const string DirectoryName = QueueDirectoryScan.JournalDirectoryName;

    private readonly string _journalDirectory;
    private readonly int _segmentSize;
    private readonly ILogger _logger;
    private readonly string _queue;
    private readonly string? _bootId = JournalBoot.CurrentId();
    private readonly CommitGroup<Member> _group;
    private JournalSegmentFile? _segment;
    private ulong _generation;
    private long _tail;
    private long _firstStamp;
    private long _unrenamed;
    private long _flushes;
    private long _checkpoints;
    private byte[] _buffer = new byte[64 << 10];

    public EnqueueJournal(string queueDirectory, string queue, ILogger logger, int segmentSize = JournalSegmentFile.DefaultSize)
    {
        _journalDirectory = Path.Combine(queueDirectory, DirectoryName);
        _queue = queue;
        _logger = logger;
        _segmentSize = segmentSize;
        _group = new CommitGroup<Member>(LeadRound);
    }

    /// <summary>fdatasyncs of the segment so far (for benchmarks).</summary>
    internal long FlushCount => Interlocked.Read(ref _flushes);

    /// <summary>Checkpoints so far (for benchmarks).</summary>
    internal long CheckpointCount => Interlocked.Read(ref _checkpoints);

    /// <summary>Whether an entry of this size goes through the journal (a larger one is committed with fsyncs instead).</summary>
    public bool Fits(string filebase, int entryLength) =>
        filebase.Length <= JournalRecordFormat.MaxNameLength && JournalRecordFormat.SizeOf(filebase.Length, entryLength) <= (_segmentSize - JournalSegmentFile.HeaderSize) / 2;

    /// <summary>
    /// Returns once the record of <paramref name="entry"/> is on the device. The caller must then
    /// rename its written temporary file into place and call <see cref="Renamed"/> (also when the
    /// rename fails), so that no checkpoint retires the record before its entry file is final.
    /// </summary>
    public Task CommitEntryAsync(string filebase, byte[] entry) => JoinAsync(new Member(JournalRecordKind.Entry, filebase, entry));

    /// <summary>Records that an entry was completed (deleted or preserved). Not flushed on its own: a later flush or checkpoint carries it.</summary>
    public Task RecordDoneAsync(string filebase) => JoinAsync(new Member(JournalRecordKind.Done, filebase, null));

    /// <summary>The rename that followed a <see cref="CommitEntryAsync"/> is over.</summary>
    public void Renamed() => Interlocked.Decrement(ref _unrenamed);

    /// <summary>The segment in use (tests), or null before the first record.</summary>
    internal string? SegmentPath => _segment?.Path;

    /// <summary>Lets go of the segment without a checkpoint, as a process killed at this point would (tests).</summary>
    internal void Abandon() => _group.Close(() =>
    {
        _segment?.Dispose();
        _segment = null;
    });

    /// <summary>Checkpoints what is in the segment (a clean shutdown) and releases it for reuse.</summary>
    public void Dispose() => _group.Close(() =>
    {
        try
        {
            if (_segment is not null && _tail > JournalSegmentFile.HeaderSize)
            {
                Checkpoint();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The segment stays un-retired: the next recovery replays it, so nothing is lost.
            _logger.LogWarning("Queue {Queue}: journal checkpoint at shutdown failed ({Error}); the recovery will replay {Segment}", _queue, ex.Message, _segment?.Path);
        }
        finally
        {
            _segment?.Dispose();
            _segment = null;
        }
    });

    private async Task JoinAsync(Member member)
    {
        await _group.JoinAsync(member).ConfigureAwait(false);
        if (member.Error is { } error)
        {
            throw new IOException($"Queue '{_queue}': journal record of {member.Filebase} is not durable: {error.Message}", error);
        }
    }

    private void LeadRound(List<Member> round)
    {
        try
        {
            Append(round);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            foreach (var member in round)
            {
                member.Error ??= ex;
            }

            // A failed write or flush leaves the segment in doubt: give it up (unlocked, so the next
            // recovery replays it) and start a fresh one with the next round.
            _segment?.Dispose();
            _segment = null;
        }
    }

    private void Append(List<Member> round)
    {
        var segment = _segment ?? OpenSegment();
        int start = 0;
        while (start < round.Count)
        {
            // As many members as fit in the rest of the segment, in one write and one flush.
            long room = _segmentSize - _tail;
            int count = 0, size = 0;
            while (start + count < round.Count)
            {
                var member = round[start + count];
                int next = JournalRecordFormat.SizeOf(member.Filebase.Length, member.Payload?.Length ?? 0);
                if (size + next > room)
                {
                    break;
                }

                size += next;
                count++;
            }

            bool stale = _tail > JournalSegmentFile.HeaderSize && JournalBoot.Now() - _firstStamp >= (long)CheckpointInterval.TotalNanoseconds;
            if (count == 0 && _tail == JournalSegmentFile.HeaderSize)
            {
                throw new IOException($"a record of {round[start].Filebase} does not fit in an empty journal segment");
            }

            if (count == 0 || stale)
            {
                Checkpoint();
                continue;
            }

            WriteRecords(segment, round, start, count, size);
            start += count;
        }
    }

    private void WriteRecords(JournalSegmentFile segment, List<Member> round, int start, int count, int size)
    {
        if (_buffer.Length < size)
        {
            _buffer = new byte[Math.Max(size, _buffer.Length * 2)];
        }

        long stamp = JournalBoot.Now();
        int offset = 0, entries = 0;
        for (int i = start; i < start + count; i++)
        {
            var member = round[i];
            offset += JournalRecordFormat.Write(_buffer.AsSpan(offset), member.Kind, _generation, stamp, member.Filebase, member.Payload);
            entries += member.Kind == JournalRecordKind.Entry ? 1 : 0;
        }

        RandomAccess.Write(segment.Handle, _buffer.AsSpan(0, size), _tail);
        if (_tail == JournalSegmentFile.HeaderSize)
        {
            _firstStamp = stamp;
        }

        _tail += size;
        if (entries > 0)
        {
            // Counted before the flush: a checkpoint must not retire these records until their renames are over.
            Interlocked.Add(ref _unrenamed, entries);
            try
            {
                JournalNative.DataSync(segment.Handle, segment.Path);
            }
            catch
            {
                Interlocked.Add(ref _unrenamed, -entries);
                throw;
            }

            Interlocked.Increment(ref _flushes);
        }
    }

    // A checkpoint makes every entry file of the segment's records durable, then retires the records.
    private void Checkpoint()
    {
        var segment = _segment!;
        var spin = new SpinWait();
        while (Interlocked.Read(ref _unrenamed) > 0)
        {
            spin.SpinOnce();
        }

        long stamp = JournalBoot.Now();
        JournalNative.SyncFileSystem(segment.Handle, segment.Path);
        JournalCheckpointMark.Write(_journalDirectory, _bootId, stamp);
        segment.WriteHeader(++_generation, _bootId);
        _tail = JournalSegmentFile.HeaderSize;
        Interlocked.Increment(ref _checkpoints);
    }

    // Reuses a retired segment nobody holds (recycling), else creates one.
    private JournalSegmentFile OpenSegment()
    {
        DurableFiles.EnsureDirectory(_journalDirectory);
        foreach (string path in Directory.EnumerateFiles(_journalDirectory, "*" + JournalSegmentFile.Extension))
        {
            var candidate = JournalSegmentFile.Open(path);
            if (candidate.Length == _segmentSize && candidate.TryLock() && IsRetired(candidate, out ulong generation))
            {
                return Adopt(candidate, generation + 1);
            }

            candidate.Dispose();
        }

        return Adopt(JournalSegmentFile.Create(_journalDirectory, _segmentSize), 1);
    }

    private JournalSegmentFile Adopt(JournalSegmentFile segment, ulong generation)
    {
        try
        {
            segment.WriteHeader(generation, _bootId);
        }
        catch
        {
            segment.Dispose();
            throw;
        }

        _segment = segment;
        _generation = generation;
        _tail = JournalSegmentFile.HeaderSize;
        return segment;
    }

    // Retired: a valid (or never written) header and no valid record of its generation; anything else is the recovery's.
    private static bool IsRetired(JournalSegmentFile segment, out ulong generation)
    {
        var bytes = segment.ReadAll();
        if (!JournalSegmentFile.TryReadHeader(bytes, out generation, out _, out _))
        {
            return bytes.Length >= JournalSegmentFile.HeaderSize && bytes.AsSpan(0, JournalSegmentFile.HeaderSize).IndexOfAnyExcept((byte)0) < 0;
        }

        return JournalRecordFormat.TryRead(bytes, JournalSegmentFile.HeaderSize, generation, out _, out _) == JournalReadResult.End;
    }

    private sealed class Member(JournalRecordKind kind, string filebase, byte[]? payload) : CommitGroupMember
    {
        public JournalRecordKind Kind { get; } = kind;

        public string Filebase { get; } = filebase;

        public byte[]? Payload { get; } = payload;
    }
}
