using Microsoft.Extensions.Logging;
using RunnerHost.Messages;
using RunnerHost.Queues;

using RunnerHost.Hosting.IO;
using RunnerHost.Hosting.Queues.Files.Journal;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>
/// Crash recovery of one slice: interrupted entries (<c>.bak</c>) go back to <c>.pck</c> with their
/// restore counted in <c>_bak_count</c>, and the third restore preserves the entry as a likely poison
/// message (Mailman's rule); abandoned temporary files are quarantined.
/// </summary>
internal sealed class FileRecovery(FileSwitchboardOptions options, FileQueueListing listing, FilePreservation preservation, ILogger logger, TimeProvider time, Action signal)
{
    /// <summary>The restore at which a <c>.bak</c> is preserved instead of retried (Mailman's MAX_BAK_COUNT).</summary>
    public const int MaxBackupCount = 3;

    /// <summary>Temporary files younger than this may be an enqueue in progress and are left alone.</summary>
    public static readonly TimeSpan AbandonedTempAge = TimeSpan.FromSeconds(60);

    public void Recover(CancellationToken cancellationToken)
    {
        // The journal first: what it writes back is then listed, restored and checked like any entry.
        int replayed = new JournalReplay(options.Directory, options.Name, logger, time).Replay(cancellationToken);
        if (replayed > 0)
        {
            signal();
        }

        // Listing the ready entries quarantines those whose names no reader accepts, before anyone works on the slice.
        _ = listing.List(QueueDirectoryScan.ReadyExtension);
        int restored = 0, preserved = 0;
        foreach (var entry in listing.List(QueueDirectoryScan.TakenExtension))
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (RecoverOne(entry.Filebase))
            {
                case true:
                    restored++;
                    break;
                case false:
                    preserved++;
                    break;
            }
        }

        int quarantined = QuarantineAbandonedTemporaries();
        if (restored + preserved + quarantined > 0)
        {
            logger.LogInformation(
                "Queue {Queue} slice {Slice}/{SliceCount} recovery: {Restored} restored to {Ready}, {Preserved} preserved to bad, {Quarantined} abandoned temporary files quarantined",
                options.Name, options.Slice, options.SliceCount, restored, QueueDirectoryScan.ReadyExtension, preserved, quarantined);
            if (restored > 0)
            {
                signal();
            }
        }
    }

    // true = restored to .pck, false = preserved to bad, null = gone or failed (logged).
    private bool? RecoverOne(string filebase)
    {
        string bak = Path.Combine(options.Directory, filebase + QueueDirectoryScan.TakenExtension);
        try
        {
            DecodedEntry decoded;
            try
            {
                decoded = QueueFileFormat.Decode(EntryFileReader.ReadEntry(bak, options.Name, filebase));
            }
            catch (QueueEntryCorruptException ex)
            {
                logger.LogError("Queue {Queue}: unreadable .bak {Filebase}: {Error}; preserving file", options.Name, filebase, ex.Message);
                return preservation.Preserve(bak, filebase, $"unreadable at recovery: {ex.Message}") ? false : null;
            }

            var metadata = decoded.Metadata;
            long count = (metadata.TryGetInt64(MessageDataKeys.BackupCount, out long previous) ? previous : 0) + 1;
            metadata[MessageDataKeys.BackupCount] = count;
            DurableFiles.Publish(bak + QueueDirectoryScan.TemporaryExtension, bak, QueueFileFormat.Encode(metadata, decoded.Message.Span), options.Fsync, replaceExisting: true);
            if (count >= MaxBackupCount)
            {
                logger.LogError("Queue {Queue}: .bak file max count, preserving file: {Filebase}", options.Name, filebase);
                return preservation.Preserve(bak, filebase, $"restored {MaxBackupCount} times; preserved as a likely poison message") ? false : null;
            }

            // Same filebase: the entry keeps its FIFO position.
            File.Move(bak, Path.Combine(options.Directory, filebase + QueueDirectoryScan.ReadyExtension), overwrite: false);
            return true;
        }
        catch (Exception ex) when (ex is FileNotFoundException or QueueEntryNotFoundException)
        {
            return null; // Another process recovered it first.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogError(ex, "Queue {Queue}: failed to recover {Filebase}: {Error}", options.Name, filebase, ex.Message);
            return null;
        }
    }

    private int QuarantineAbandonedTemporaries()
    {
        int count = 0;
        var now = time.GetUtcNow();
        foreach (var scanned in listing.Scan())
        {
            string name = scanned.FileName;
            string path = Path.Combine(options.Directory, name);
            if (scanned.Kind != ScannedKind.Temporary || !IsMineOrUnparseable(name, now))
            {
                continue;
            }

            try
            {
                var modified = new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero);
                if (now - modified <= AbandonedTempAge)
                {
                    continue; // Possibly an enqueue in progress.
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (File.Exists(path) && preservation.Preserve(path, name, "abandoned temporary file"))
            {
                count++;
            }
        }

        return count;
    }

    // Temporary names are <filebase>.pck.tmp or <filebase>.bak.tmp.
    private bool IsMineOrUnparseable(string temporaryName, DateTimeOffset now)
    {
        string filebase = Path.GetFileNameWithoutExtension(Path.GetFileNameWithoutExtension(temporaryName));
        return !QueueFileName.TryParse(filebase, now, out var parts, out _) || listing.IsInSlice(parts.Digest);
    }
}
