using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.IO;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues.Files.Journal;

/// <summary>
/// Recovery of the enqueue journal of one queue directory, run when a slice is opened before any
/// entry is handed out: every segment no live writer holds is read through the one record parser
/// and each of its entry records is checked against the directory.
/// </summary>
/// <remarks>
/// <para>Per entry record (filebase <c>E</c>):</para>
/// <list type="bullet">
/// <item><c>E.pck</c> or <c>E.bak</c> present and readable: nothing to do.</item>
/// <item>present but damaged (zero-length, truncated, garbage): rewritten from the record.</item>
/// <item>only <c>E.pck.tmp</c> (the writer died before its rename): written as <c>E.pck</c> from the record.</item>
/// <item>missing: taken and completed, unless the machine went down since: the temporary file is
/// written before the record, so in the record's own boot a missing entry was renamed and then
/// completed. After a reboot it is written again unless a completion record says it was completed
/// or the queue's checkpoint of that boot is younger than the record (the completion was durable).</item>
/// </list>
/// <para>
/// A record that does not parse ends the segment there: a torn tail (the last, unacknowledged
/// append) when nothing valid follows; otherwise damage in the middle, and the replay goes on with the
/// next valid record. A segment with damage or a name <see cref="QueueFileName"/> rejects is renamed
/// aside (<c>.wal.damaged-N</c>) after its replay, never deleted. Every replayed segment is made
/// durable with one <c>syncfs</c> before it is retired.
/// </para>
/// </remarks>
internal sealed class JournalReplay(string queueDirectory, string queue, ILogger logger, TimeProvider time)
{
    private readonly string _journalDirectory = Path.Combine(queueDirectory, EnqueueJournal.DirectoryName);

    /// <summary>Replays every dead segment; returns how many entries were written back. Never throws for what the files contain.</summary>
    public int Replay(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_journalDirectory))
        {
            return 0;
        }

        var dead = new List<(JournalSegmentFile File, byte[] Bytes)>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (string path in Directory.EnumerateFiles(_journalDirectory, "*" + JournalSegmentFile.Extension))
            {
                var segment = JournalSegmentFile.Open(path);
                bool mine = segment.TryLock();
                var bytes = segment.ReadAll();
                CollectDone(bytes, done);
                if (mine)
                {
                    dead.Add((segment, bytes));
                }
                else
                {
                    segment.Dispose(); // A live writer's: only its completions matter here.
                }
            }

            int restored = 0;
            string? currentBoot = JournalBoot.CurrentId();
            foreach (var (segment, bytes) in dead)
            {
                cancellationToken.ThrowIfCancellationRequested();
                restored += ReplaySegment(segment, bytes, done, currentBoot);
            }

            return restored;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogError("Queue {Queue}: journal replay in {Directory} failed: {Error}; the segments stay for the next recovery", queue, _journalDirectory, ex.Message);
            return 0;
        }
        finally
        {
            foreach (var (segment, _) in dead)
            {
                segment.Dispose();
            }
        }
    }

    private static void CollectDone(byte[] bytes, HashSet<string> done)
    {
        if (!JournalSegmentFile.TryReadHeader(bytes, out ulong generation, out _, out _))
        {
            return;
        }

        foreach (var record in Walk(bytes, generation, out _, out _))
        {
            if (record.Kind == JournalRecordKind.Done)
            {
                done.Add(record.Filebase);
            }
        }
    }

    // Every valid record of the generation in order; stops at the first bad one but resumes at the next valid record after it (damage in the middle).
    private static List<JournalRecord> Walk(byte[] bytes, ulong generation, out int? damagedAt, out string? problem)
    {
        var records = new List<JournalRecord>();
        damagedAt = null;
        problem = null;
        int offset = JournalSegmentFile.HeaderSize;
        while (offset <= bytes.Length - JournalRecordFormat.HeaderLength)
        {
            var result = JournalRecordFormat.TryRead(bytes, offset, generation, out var record, out string? why);
            if (result == JournalReadResult.Record)
            {
                records.Add(record);
                offset += record.Length;
                continue;
            }

            int? next = NextValid(bytes, offset + JournalRecordFormat.Alignment, generation);
            if (next is null)
            {
                if (result == JournalReadResult.Damaged)
                {
                    damagedAt ??= offset;
                    problem ??= $"torn tail: {why}";
                }

                break;
            }

            damagedAt ??= offset;
            problem = $"damaged record ({why ?? "unreadable"}); valid records follow at offset {next}";
            offset = next.Value;
        }

        return records;
    }

    // Bounded by the segment: one 16-byte step at a time, a full check only where the magic is.
    private static int? NextValid(byte[] bytes, int from, ulong generation)
    {
        for (int offset = from; offset <= bytes.Length - JournalRecordFormat.HeaderLength; offset += JournalRecordFormat.Alignment)
        {
            if (bytes[offset] == 0x52 && JournalRecordFormat.TryRead(bytes, offset, generation, out _, out _) == JournalReadResult.Record)
            {
                return offset;
            }
        }

        return null;
    }

    private int ReplaySegment(JournalSegmentFile segment, byte[] bytes, HashSet<string> done, string? currentBoot)
    {
        string name = Path.GetFileName(segment.Path);
        if (!JournalSegmentFile.TryReadHeader(bytes, out ulong generation, out string? segmentBoot, out string? headerProblem))
        {
            if (bytes.Length >= JournalSegmentFile.HeaderSize && bytes.AsSpan(0, JournalSegmentFile.HeaderSize).IndexOfAnyExcept((byte)0) < 0)
            {
                return 0; // Never used: its writer died while creating it; a later writer reuses it.
            }

            logger.LogError("Queue {Queue}: journal segment {Segment} is unreadable at offset 0 ({Problem}); preserved as {Preserved}", queue, name, headerProblem, QuarantineName(segment));
            return 0;
        }

        var records = Walk(bytes, generation, out int? damagedAt, out string? problem);
        bool sameBoot = currentBoot is not null && segmentBoot == currentBoot;
        long? checkpoint = sameBoot ? null : JournalCheckpointMark.Read(_journalDirectory, segmentBoot);
        int written = 0, present = 0, completed = 0, badNames = 0;
        var now = time.GetUtcNow();
        foreach (var record in records)
        {
            if (record.Kind != JournalRecordKind.Entry)
            {
                continue;
            }

            if (!QueueFileName.TryParse(record.Filebase, now, out _, out string? nameError))
            {
                badNames++;
                logger.LogError("Queue {Queue}: journal segment {Segment} offset {Offset}: the record's name is no queue file name ({Error}); not replayed", queue, name, record.Offset, nameError);
                continue;
            }

            switch (ReplayEntry(record, bytes, done, sameBoot, checkpoint))
            {
                case Outcome.Written:
                    written++;
                    break;
                case Outcome.Present:
                    present++;
                    break;
                default:
                    completed++;
                    break;
            }
        }

        if (written > 0)
        {
            JournalNative.SyncFileSystem(segment.Handle, segment.Path);
        }

        string end = damagedAt is { } at ? $"; stopped at offset {at}: {problem}" : "";
        if (damagedAt is not null && problem is not null && !problem.StartsWith("torn tail", StringComparison.Ordinal) || badNames > 0)
        {
            logger.LogError("Queue {Queue}: journal segment {Segment} replayed: {Written} entries written back, {Present} present, {Completed} completed, {BadNames} bad names{End}; preserved as {Preserved}",
                queue, name, written, present, completed, badNames, end, QuarantineName(segment));
            return written;
        }

        if (records.Count > 0 || damagedAt is not null)
        {
            logger.LogWarning("Queue {Queue}: journal segment {Segment} replayed: {Written} entries written back, {Present} present, {Completed} completed{End}",
                queue, name, written, present, completed, end);
        }

        segment.WriteHeader(generation + 1, segmentBoot);
        return written;
    }

    private Outcome ReplayEntry(JournalRecord record, byte[] bytes, HashSet<string> done, bool sameBoot, long? checkpoint)
    {
        var entry = bytes.AsSpan(record.PayloadOffset, record.PayloadLength);
        string ready = Path.Combine(queueDirectory, record.Filebase + QueueDirectoryScan.ReadyExtension);
        string taken = Path.Combine(queueDirectory, record.Filebase + QueueDirectoryScan.TakenExtension);
        foreach (string path in (ReadOnlySpan<string>)[ready, taken])
        {
            switch (Check(path, record.Filebase))
            {
                case EntryState.Readable:
                    return Outcome.Present;
                case EntryState.Damaged:
                    logger.LogWarning("Queue {Queue}: {File} is damaged; rewritten from its journal record", queue, Path.GetFileName(path));
                    DurableFiles.WriteAndRename(path + QueueDirectoryScan.TemporaryExtension, path, entry, fsync: false, replaceExisting: true);
                    return Outcome.Written;
            }
        }

        string temporary = ready + QueueDirectoryScan.TemporaryExtension;
        bool unrenamed = File.Exists(temporary);
        if (!unrenamed && (done.Contains(record.Filebase) || sameBoot || checkpoint is { } mark && record.Stamp < mark))
        {
            return Outcome.Completed;
        }

        DurableFiles.WriteAndRename(temporary, ready, entry, fsync: false, replaceExisting: true);
        return Outcome.Written;
    }

    private EntryState Check(string path, string filebase)
    {
        var kind = EntryFileReader.KindOf(path);
        if (kind == EntryFileKind.Missing)
        {
            return EntryState.Missing;
        }

        if (kind != EntryFileKind.Regular)
        {
            return EntryState.Readable; // Not ours to overwrite: the listing preserves it as it is.
        }

        try
        {
            _ = QueueFileFormat.Decode(EntryFileReader.ReadEntry(path, queue, filebase));
            return EntryState.Readable;
        }
        catch (QueueEntryNotFoundException)
        {
            return EntryState.Missing;
        }
        catch (QueueEntryCorruptException)
        {
            return EntryState.Damaged;
        }
    }

    private static string QuarantineName(JournalSegmentFile segment)
    {
        for (int n = 1; ; n++)
        {
            string target = $"{segment.Path}.damaged-{n}";
            if (!File.Exists(target))
            {
                File.Move(segment.Path, target, overwrite: false);
                return Path.GetFileName(target);
            }
        }
    }

    private enum EntryState
    {
        Missing,
        Readable,
        Damaged,
    }

    private enum Outcome
    {
        Written,
        Present,
        Completed,
    }
}
