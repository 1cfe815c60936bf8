using Microsoft.Extensions.Logging;
using MimeKit;
using RunnerHost.Messages;
using RunnerHost.Queues;

using RunnerHost.Hosting.IO;
using RunnerHost.Hosting.Queues.Files.Journal;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>
/// One queue directory of the file back end (Mailman's switchboard), restricted to one slice of the
/// hash space. Entries are <c>&lt;time&gt;+&lt;digest&gt;.pck</c> files in the format of
/// <see cref="QueueFileFormat"/>; dequeue renames to <c>.bak</c>, finish deletes or moves to
/// <c>bad/&lt;filebase&gt;.psv</c>. Listing (<see cref="FileQueueListing"/>), recovery
/// (<see cref="FileRecovery"/>), preservation (<see cref="FilePreservation"/>) and wake-ups
/// (<see cref="FileWakeUp"/>) are types of their own; this one does the queue operations.
/// </summary>
/// <remarks>
/// File operations run inline: they are small, and fsync has no asynchronous form on Linux.
/// </remarks>
public sealed class FileSwitchboard : IQueue, IDisposable
{
    /// <summary>The restore at which a <c>.bak</c> is preserved instead of retried (Mailman's MAX_BAK_COUNT).</summary>
    public const int MaxBackupCount = FileRecovery.MaxBackupCount;

    /// <summary>The metadata schema version written on every enqueue (Mailman's).</summary>
    public const long MetadataVersion = NewEntry.MetadataVersion;

    /// <summary>Temporary files younger than this may be an enqueue in progress and are left alone by recovery.</summary>
    public static readonly TimeSpan AbandonedTempAge = FileRecovery.AbandonedTempAge;

    private const string Ready = QueueDirectoryScan.ReadyExtension;
    private const string Backup = QueueDirectoryScan.TakenExtension;
    private const string Temporary = QueueDirectoryScan.TemporaryExtension;

    private readonly FileSwitchboardOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly QueueNotifier _notifier;
    private readonly FilePreservation _preservation;
    private readonly FileQueueListing _listing;
    private readonly FileRecovery _recovery;
    private readonly FileWakeUp _wakeUp;
    // Concurrent enqueues through this instance share their fsyncs (group commit).
    private readonly EnqueueGroupCommit _groupCommit;
    private readonly StoredEntryDecoder _decoder = new();
    private readonly string _directoryPrefix;
    // With commit: journal, one record and one fdatasync per enqueue (shared the same way); null otherwise.
    private readonly EnqueueJournal? _journal;
    private bool _disposed;

    /// <summary>Creates the switchboard; directories are created on demand.</summary>
    public FileSwitchboard(FileSwitchboardOptions options, ILogger logger, TimeProvider time, QueueNotifier notifier)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentException.ThrowIfNullOrEmpty(options.Name);
        if (!Path.IsPathFullyQualified(options.Directory) || !Path.IsPathFullyQualified(options.BadDirectory))
        {
            throw new ArgumentException($"Queue '{options.Name}': Directory and BadDirectory must be absolute paths.", nameof(options));
        }

        if (!SliceMath.IsValidSliceCount(options.SliceCount))
        {
            throw new ArgumentException($"Queue '{options.Name}': slice count {options.SliceCount} is not a power of two between 1 and {SliceMath.MaxSliceCount}.", nameof(options));
        }

        if (options.Slice < 0 || options.Slice >= options.SliceCount)
        {
            throw new ArgumentException($"Queue '{options.Name}': slice {options.Slice} is outside 0..{options.SliceCount - 1}.", nameof(options));
        }

        _options = options;
        _logger = logger;
        _time = time;
        _notifier = notifier;
        _preservation = new FilePreservation(options.Name, options.BadDirectory, options.Fsync, logger, time);
        _listing = new FileQueueListing(options, _preservation, logger, time);
        _recovery = new FileRecovery(options, _listing, _preservation, logger, time, () => notifier.Signal(options.Directory));
        _wakeUp = new FileWakeUp(options.Directory, options.Name, notifier, logger);
        _groupCommit = new EnqueueGroupCommit(options.Directory);
        _directoryPrefix = Path.TrimEndingDirectorySeparator(options.Directory) + Path.DirectorySeparatorChar;
        _journal = options.Fsync && options.Commit == QueueCommit.Journal && OperatingSystem.IsLinux()
            ? new EnqueueJournal(options.Directory, options.Name, logger)
            : null;
    }

    /// <inheritdoc/>
    public string Name => _options.Name;

    /// <summary>This switchboard's slice (0-based).</summary>
    public int Slice => _options.Slice;

    /// <summary>The number of slices the queue is split into (a power of two; 1 = unsliced).</summary>
    public int SliceCount => _options.SliceCount;

    /// <summary>The queue directory.</summary>
    public string Directory => _options.Directory;

    /// <summary>Where preserved entries go.</summary>
    public string BadDirectory => _options.BadDirectory;

    /// <summary>Directory fsyncs made by enqueues of this instance (group commit makes this lower than the enqueue count).</summary>
    internal long DirectorySyncCount => _groupCommit.DirectorySyncCount;

    /// <summary>Journal flushes (fdatasync) made by enqueues of this instance; 0 without the journal.</summary>
    internal long JournalFlushCount => _journal?.FlushCount ?? 0;

    /// <summary>This instance's journal (tests), null without one.</summary>
    internal EnqueueJournal? Journal => _journal;

    /// <summary>Journal checkpoints (syncfs) made by this instance; 0 without the journal.</summary>
    internal long JournalCheckpointCount => _journal?.CheckpointCount ?? 0;

    /// <inheritdoc/>
    public Task<string> EnqueueAsync(MimeMessage message, MessageData? metadata = null, MessageData? extra = null, DateTimeOffset? notBefore = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();
        using var buffer = new MemoryStream();
        message.WriteTo(FormatOptions.Default, buffer, cancellationToken);
        return EnqueueAsync(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), metadata, extra, notBefore);
    }

    /// <inheritdoc/>
    public Task<string> EnqueueRawAsync(ReadOnlyMemory<byte> message, MessageData? metadata = null, MessageData? extra = null, DateTimeOffset? notBefore = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return EnqueueAsync(message.Span, metadata, extra, notBefore);
    }

    /// <summary>
    /// Takes an entry: renames <c>.pck</c> to <c>.bak</c>, reads and validates it.
    /// Throws <see cref="QueueEntryNotFoundException"/> when the entry is gone (another process took it)
    /// and <see cref="QueueEntryCorruptException"/> when it cannot be read; the <c>.bak</c> then stays for the caller to preserve.
    /// </summary>
    public Task<QueueEntry> DequeueAsync(string filebase, CancellationToken cancellationToken = default)
    {
        CheckFilebase(filebase);
        cancellationToken.ThrowIfCancellationRequested();
        string bak = PathOf(filebase, Backup);
        try
        {
            File.Move(PathOf(filebase, Ready), bak, overwrite: false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new QueueEntryNotFoundException($"Queue '{Name}' has no entry {filebase}{Ready} (another process may have taken it).", ex);
        }

        byte[] bytes = EntryFileReader.ReadEntry(bak, Name, filebase);
        return Task.FromResult(_decoder.ToEntry(filebase, bytes, AttemptOf));
    }

    private static int AttemptOf(DecodedEntry decoded) =>
        (int)Math.Clamp((decoded.Metadata.TryGetInt64(MessageDataKeys.BackupCount, out long restores) ? restores : 0) + 1, 1, int.MaxValue);

    /// <summary>
    /// Ends an entry: deletes it, or with <paramref name="preserve"/> moves it to <c>bad/&lt;filebase&gt;.psv</c>
    /// recording <paramref name="reason"/>. Acts on the <c>.bak</c>, or on the <c>.pck</c> when never dequeued.
    /// I/O errors are logged, never thrown.
    /// </summary>
    public Task FinishAsync(string filebase, bool preserve = false, string? reason = null, CancellationToken cancellationToken = default)
    {
        string bak = PathOf(filebase, Backup);
        string pck = PathOf(filebase, Ready);
        string? source = EntryFileReader.KindOf(bak) != EntryFileKind.Missing ? bak : EntryFileReader.KindOf(pck) != EntryFileKind.Missing ? pck : null;
        if (source is null)
        {
            _logger.LogWarning("Queue {Queue}: nothing to finish for {Filebase}: neither {Bak} nor {Pck} exists", Name, filebase, bak, pck);
            return Task.CompletedTask;
        }

        if (preserve)
        {
            return _preservation.Preserve(source, filebase, reason ?? "preserved") ? RecordDoneAsync(filebase) : Task.CompletedTask;
        }

        try
        {
            File.Delete(source);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogError(ex, "Failed to unlink backup file: {Path}", source);
            return Task.CompletedTask;
        }

        return RecordDoneAsync(filebase);
    }

    // The completion in the journal keeps a recovery after a power cut from offering the entry again.
    private async Task RecordDoneAsync(string filebase)
    {
        if (_journal is null)
        {
            return;
        }

        try
        {
            await _journal.RecordDoneAsync(filebase).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            _logger.LogWarning("Queue {Queue}: completion of {Filebase} not recorded in the journal: {Error}", Name, filebase, ex.Message);
        }
    }

    /// <summary>Gives a dequeued entry back unchanged (<c>.bak</c> → <c>.pck</c>, same filebase, attempt not counted).</summary>
    /// <remarks>Errors are logged, not thrown: the <c>.bak</c> then stays and the next recovery restores it.</remarks>
    public Task ReleaseAsync(string filebase, CancellationToken cancellationToken = default)
    {
        CheckFilebase(filebase);
        try
        {
            File.Move(PathOf(filebase, Backup), PathOf(filebase, Ready), overwrite: false);
            _notifier.Signal(Directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogError(ex, "Queue {Queue}: failed to release {Filebase} back to {Extension}", Name, filebase, Ready);
        }

        return Task.CompletedTask;
    }

    /// <summary>The filebases of this slice with the given extension (default <c>.pck</c>), in FIFO order, due or not.</summary>
    public IReadOnlyList<string> GetFiles(string extension = Ready)
    {
        ArgumentException.ThrowIfNullOrEmpty(extension);
        return [.. _listing.List(extension).Select(entry => entry.Filebase)];
    }

    /// <summary>The entries of this slice that are due at <paramref name="now"/>, in FIFO order. Names that do not parse are quarantined to <c>bad</c>.</summary>
    public FileSnapshot GetSnapshot(DateTimeOffset now) => _listing.Snapshot(now);

    /// <summary>
    /// Restores this slice's <c>.bak</c> entries (interrupted work) to <c>.pck</c>, counting restores in
    /// <c>_bak_count</c> and preserving an entry to <c>bad</c> at the third; quarantines abandoned temporary files.
    /// </summary>
    public Task RecoverAsync(CancellationToken cancellationToken = default)
    {
        _recovery.Recover(cancellationToken);
        return Task.CompletedTask;
    }

    /// <summary>Completes when new entries may have arrived, after <paramref name="timeout"/>, or when cancelled (without throwing).</summary>
    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _wakeUp.WaitAsync(timeout, cancellationToken);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _wakeUp.Dispose();
        _journal?.Dispose();
    }

    // Writes inline; a durable enqueue then joins (or leads) a commit group for its fsyncs and rename.
    private Task<string> EnqueueAsync(ReadOnlySpan<byte> message, MessageData? metadata, MessageData? extra, DateTimeOffset? notBefore)
    {
        if (Name == QueueNames.Bad)
        {
            // Entries reach bad only by preservation, as .psv with a reason; a .pck there would never be seen.
            throw new InvalidOperationException($"Queue '{Name}' holds preserved entries and takes no new ones; enqueue into another queue ('runner-host bad requeue' moves entries out of it).");
        }

        var data = NewEntry.PrepareMetadata(metadata, extra);
        var due = NewEntry.DueTime(_time.GetUtcNow(), notBefore);
        string filebase = QueueFileName.Create(message, data.ListId, QueueFileName.ToUnixSeconds(due));
        byte[] file = QueueFileFormat.Encode(data, message);
        string temporary = PathOf(filebase, Ready + Temporary), final = PathOf(filebase, Ready);
        if (!_options.Fsync)
        {
            InQueueDirectory(() => DurableFiles.WriteAndRename(temporary, final, file, fsync: false));
            return Task.FromResult(Published(filebase));
        }

        if (_journal is not null && _journal.Fits(filebase, file.Length))
        {
            InQueueDirectory(() => DurableFiles.WriteNewFile(temporary, file, fsync: false));
            return JournalCommitAsync(_journal, temporary, final, filebase, file);
        }

        PendingFile? pending = null;
        InQueueDirectory(() => pending = DurableFiles.WritePending(temporary, final, file));
        return CommitAsync(pending!, filebase);
    }

    // The queue directory is created on demand: when a write finds it missing, not before every enqueue.
    private void InQueueDirectory(Action write)
    {
        try
        {
            write();
        }
        catch (IOException ex) when (ex is DirectoryNotFoundException or FileNotFoundException)
        {
            // A create fails with ENOENT only for a missing directory. .NET reports it as FileNotFound when the
            // directory exists by the time it looks, i.e. another thread (a runner opening its slice) was creating it.
            DurableFiles.EnsureDirectory(Directory);
            write();
        }
    }

    // The temporary file exists before its record (the replay relies on it); the rename follows the flush.
    private async Task<string> JournalCommitAsync(EnqueueJournal journal, string temporary, string final, string filebase, byte[] file)
    {
        try
        {
            await journal.CommitEntryAsync(filebase, file).ConfigureAwait(false);
        }
        catch
        {
            DurableFiles.TryDelete(temporary);
            throw;
        }

        try
        {
            File.Move(temporary, final, overwrite: false);
        }
        catch
        {
            DurableFiles.TryDelete(temporary);
            throw;
        }
        finally
        {
            journal.Renamed();
        }

        return Published(filebase);
    }

    private async Task<string> CommitAsync(PendingFile pending, string filebase)
    {
        await _groupCommit.CommitAsync(pending).ConfigureAwait(false);
        return Published(filebase);
    }

    // The in-process signal waits for durability; a runner watching the directory may already have
    // seen the rename (docs/queue-format.md: at least once, never lost).
    private string Published(string filebase)
    {
        _notifier.Signal(Directory);
        return filebase;
    }

    private static void CheckFilebase(string filebase)
    {
        ArgumentException.ThrowIfNullOrEmpty(filebase);
        if (filebase.AsSpan().IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || filebase is "." or "..")
        {
            throw new ArgumentException($"Not a queue filebase: '{filebase}'.", nameof(filebase));
        }
    }

    // One string per path: a runner builds four for every entry it takes.
    private string PathOf(string filebase, string extension) => string.Concat(_directoryPrefix, filebase, extension);
}
