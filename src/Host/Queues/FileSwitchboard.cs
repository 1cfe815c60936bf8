using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using MimeKit;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Host.Queues;

/// <summary>
/// A durable file queue in one directory (Mailman's switchboard), restricted to one slice of the
/// hash space. Entries are <c>&lt;time&gt;+&lt;digest&gt;.pck</c> files in the format of
/// <see cref="QueueFileFormat"/>; dequeue renames to <c>.bak</c>, finish deletes or moves to
/// <c>bad/&lt;filebase&gt;.psv</c>.
/// </summary>
/// <remarks>
/// File operations run inline: they are small, and fsync has no asynchronous form on Linux.
/// </remarks>
public sealed class FileSwitchboard : ISwitchboard, IDisposable
{
    /// <summary>The restore at which a <c>.bak</c> is preserved instead of retried (Mailman's MAX_BAK_COUNT).</summary>
    public const int MaxBackupCount = 3;

    /// <summary>The metadata schema version written on every enqueue (Mailman's).</summary>
    public const long MetadataVersion = 3;

    /// <summary>Temporary files younger than this may be an enqueue in progress and are left alone by recovery.</summary>
    public static readonly TimeSpan AbandonedTempAge = TimeSpan.FromSeconds(60);

    private const string Ready = ".pck";
    private const string Backup = ".bak";
    private const string Preserved = ".psv";
    private const string Temporary = ".tmp";
    private const string ReasonSuffix = ".reason";

    // Bounds the memory of names already reported, whatever a directory holds.
    private const int MaxReportedStrays = 1000;

    private readonly FileSwitchboardOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly QueueNotifier _notifier;
    private readonly IDisposable _registration;
    // Concurrent enqueues through this instance share their fsyncs (group commit).
    private readonly EnqueueGroupCommit _groupCommit;
    // Sticky auto-reset wake flag: a count of at most one survives until the next wait consumes it.
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly Lock _watcherLock = new();
    private FileSystemWatcher? _watcher;
    private readonly HashSet<string> _reportedStrays = new(StringComparer.Ordinal);
    private string? _reportedListingProblem;
    private bool _watchUnavailable;
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
        _registration = notifier.Register(options.Directory, Wake);
        _groupCommit = new EnqueueGroupCommit(options.Directory);
    }

    /// <inheritdoc/>
    public string Name => _options.Name;

    /// <inheritdoc/>
    public int Slice => _options.Slice;

    /// <inheritdoc/>
    public int SliceCount => _options.SliceCount;

    /// <summary>The queue directory.</summary>
    public string Directory => _options.Directory;

    /// <summary>Where preserved entries go.</summary>
    public string BadDirectory => _options.BadDirectory;

    /// <summary>Directory fsyncs made by enqueues of this instance (group commit makes this lower than the enqueue count).</summary>
    internal long DirectorySyncCount => _groupCommit.DirectorySyncCount;

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

    /// <inheritdoc/>
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

        byte[] bytes = ReadEntryFile(bak, filebase);
        var decoded = QueueFileFormat.Decode(bytes);
        MimeMessage parsed;
        try
        {
            using var stream = new MemoryStream(bytes, AsArraySegment(bytes, decoded.Message).Offset, decoded.Message.Length, writable: false);
            parsed = MimeMessage.Load(stream, cancellationToken);
        }
        catch (FormatException ex)
        {
            throw new QueueEntryCorruptException($"message cannot be parsed: {ex.Message}", ex);
        }

        return Task.FromResult(new QueueEntry(filebase, parsed, decoded.Metadata, decoded.Message));
    }

    /// <inheritdoc/>
    public Task FinishAsync(string filebase, bool preserve = false, string? reason = null, CancellationToken cancellationToken = default)
    {
        string bak = PathOf(filebase, Backup);
        string pck = PathOf(filebase, Ready);
        string? source = File.Exists(bak) ? bak : File.Exists(pck) ? pck : null;
        if (source is null)
        {
            _logger.LogWarning("Queue {Queue}: nothing to finish for {Filebase}: neither {Bak} nor {Pck} exists", Name, filebase, bak, pck);
            return Task.CompletedTask;
        }

        if (preserve)
        {
            Preserve(source, filebase, reason ?? "preserved");
            return Task.CompletedTask;
        }

        try
        {
            File.Delete(source);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogError(ex, "Failed to unlink backup file: {Path}", source);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
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

    /// <inheritdoc/>
    public IReadOnlyList<string> GetFiles(string extension = ".pck")
    {
        ArgumentException.ThrowIfNullOrEmpty(extension);
        return [.. List(extension).Select(entry => entry.Filebase)];
    }

    /// <inheritdoc/>
    public QueueSnapshot GetSnapshot(DateTimeOffset now)
    {
        double nowSeconds = QueueFileName.ToUnixSeconds(now);
        var ready = new List<string>();
        double? next = null;
        foreach (var entry in List(Ready))
        {
            if (entry.Time <= nowSeconds)
            {
                ready.Add(entry.Filebase);
            }
            else if (next is null || entry.Time < next)
            {
                next = entry.Time;
            }
        }

        return new QueueSnapshot(ready, next is { } due ? QueueFileName.FromUnixSeconds(due) : null);
    }

    /// <inheritdoc/>
    public Task RecoverAsync(CancellationToken cancellationToken = default)
    {
        int restored = 0, preserved = 0, quarantined = 0;
        foreach (var entry in List(Backup))
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

        quarantined = QuarantineAbandonedTemporaries();
        if (restored + preserved + quarantined > 0)
        {
            _logger.LogInformation(
                "Queue {Queue} slice {Slice}/{SliceCount} recovery: {Restored} restored to {Ready}, {Preserved} preserved to bad, {Quarantined} abandoned temporary files quarantined",
                Name, Slice, SliceCount, restored, Ready, preserved, quarantined);
            if (restored > 0)
            {
                _notifier.Signal(Directory);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
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

    /// <inheritdoc/>
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

    // Writes inline; a durable enqueue then joins (or leads) a commit group for its fsyncs and rename.
    private Task<string> EnqueueAsync(ReadOnlySpan<byte> message, MessageData? metadata, MessageData? extra, DateTimeOffset? notBefore)
    {
        if (Name == QueueNames.Bad)
        {
            // Entries reach bad only by preservation, as .psv with a reason; a .pck there would never be seen.
            throw new InvalidOperationException($"Queue '{Name}' holds preserved entries and takes no new ones; enqueue into another queue ('runner-host bad requeue' moves entries out of it).");
        }

        var data = PrepareMetadata(metadata, extra);
        var now = _time.GetUtcNow();
        var due = notBefore is { } later && later > now ? later : now;
        CheckDueTime(now, due);
        string filebase = QueueFileName.Create(message, data.ListId, QueueFileName.ToUnixSeconds(due));
        byte[] file = QueueFileFormat.Encode(data, message);
        string temporary = PathOf(filebase, Ready + Temporary), final = PathOf(filebase, Ready);
        if (!_options.Fsync)
        {
            InQueueDirectory(() => DurableFiles.WriteAndRename(temporary, final, file, fsync: false));
            return Task.FromResult(Published(filebase));
        }

        PendingFile? pending = null;
        InQueueDirectory(() => pending = DurableFiles.WritePending(temporary, final, file));
        return CommitAsync(pending!, filebase);
    }

    // A name every reader accepts: the clock must be sane, and a not-before time within the parser's bound.
    private static void CheckDueTime(DateTimeOffset now, DateTimeOffset due)
    {
        if (QueueFileName.ToUnixSeconds(now) < QueueFileName.MinimumTime)
        {
            throw new InvalidOperationException($"The system clock reads {now:O}, before 2000: entries written now would be quarantined as damaged; fix the clock.");
        }

        if (due - now > QueueFileName.MaximumLead)
        {
            throw new ArgumentOutOfRangeException(nameof(due), due, $"A not-before time more than {QueueFileName.MaximumLead.TotalDays / 365.25:0} years ahead would never come due.");
        }
    }

    // The queue directory is created on demand: when a write finds it missing, not before every enqueue.
    private void InQueueDirectory(Action write)
    {
        try
        {
            write();
        }
        catch (DirectoryNotFoundException)
        {
            DurableFiles.EnsureDirectory(Directory);
            write();
        }
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

    // A fresh copy: metadata, then extra (wins), version; volatile '_' keys dropped; then _parsemsg.
    private static MessageData PrepareMetadata(MessageData? metadata, MessageData? extra)
    {
        var merged = metadata?.Clone() ?? [];
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
            {
                merged[key] = value;
            }
        }

        merged[MessageDataKeys.Version] = MetadataVersion;
        var result = new MessageData();
        foreach (var (key, value) in merged)
        {
            if (!key.StartsWith('_'))
            {
                result[key] = value;
            }
        }

        result[MessageDataKeys.ParseMessage] = false;
        return result;
    }

    // true = restored to .pck, false = preserved to bad, null = gone or failed (logged).
    private bool? RecoverOne(string filebase)
    {
        string bak = PathOf(filebase, Backup);
        try
        {
            DecodedEntry decoded;
            try
            {
                decoded = QueueFileFormat.Decode(ReadEntryFile(bak, filebase));
            }
            catch (QueueEntryCorruptException ex)
            {
                _logger.LogError("Queue {Queue}: unreadable .bak {Filebase}: {Error}; preserving file", Name, filebase, ex.Message);
                return Preserve(bak, filebase, $"unreadable at recovery: {ex.Message}") ? false : null;
            }

            var metadata = decoded.Metadata;
            long count = (metadata.TryGetInt64(MessageDataKeys.BackupCount, out long previous) ? previous : 0) + 1;
            metadata[MessageDataKeys.BackupCount] = count;
            DurableFiles.Publish(bak + Temporary, bak, QueueFileFormat.Encode(metadata, decoded.Message.Span), _options.Fsync, replaceExisting: true);
            if (count >= MaxBackupCount)
            {
                _logger.LogError("Queue {Queue}: .bak file max count, preserving file: {Filebase}", Name, filebase);
                return Preserve(bak, filebase, $"restored {MaxBackupCount} times; preserved as a likely poison message") ? false : null;
            }

            // Same filebase: the entry keeps its FIFO position.
            File.Move(bak, PathOf(filebase, Ready), overwrite: false);
            return true;
        }
        catch (Exception ex) when (ex is FileNotFoundException or QueueEntryNotFoundException)
        {
            return null; // Another process recovered it first.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogError(ex, "Queue {Queue}: failed to recover {Filebase}: {Error}", Name, filebase, ex.Message);
            return null;
        }
    }

    private int QuarantineAbandonedTemporaries()
    {
        int count = 0;
        var now = _time.GetUtcNow();
        foreach (var scanned in Scan())
        {
            string name = scanned.FileName;
            string path = Path.Combine(Directory, name);
            if (scanned.Kind != ScannedKind.Temporary || !IsMineOrUnparseable(name))
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

            if (File.Exists(path) && Preserve(path, name, "abandoned temporary file"))
            {
                count++;
            }
        }

        return count;
    }

    // Temporary names are <filebase>.pck.tmp or <filebase>.bak.tmp.
    private bool IsMineOrUnparseable(string temporaryName)
    {
        string filebase = Path.GetFileNameWithoutExtension(Path.GetFileNameWithoutExtension(temporaryName));
        return !QueueFileName.TryParse(filebase, _time.GetUtcNow(), out var parts, out _) || IsInSlice(parts.Digest);
    }

    private bool IsInSlice(string digest) => SliceCount == 1 || SliceMath.SliceOf(digest, SliceCount) == Slice;

    private List<ListedEntry> List(string extension)
    {
        var entries = new List<ListedEntry>();
        foreach (var name in Scan())
        {
            if (!string.Equals(Path.GetExtension(name.FileName), extension, StringComparison.Ordinal))
            {
                continue;
            }

            switch (name.Kind)
            {
                case ScannedKind.BadName:
                    QuarantineBadName(Path.Combine(Directory, name.FileName), name.Filebase, name.Problem!);
                    break;
                case ScannedKind.Stray:
                    ReportStrayOnce(name);
                    break;
                case ScannedKind.Ready or ScannedKind.Taken or ScannedKind.Preserved when name.Parts is { } parts && IsInSlice(parts.Digest):
                    entries.Add(new ListedEntry(parts.Time, parts.Digest, name.Filebase));
                    break;
            }
        }

        // FIFO by due time; the digest makes ties deterministic, whatever the listing order.
        entries.Sort(static (a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : string.CompareOrdinal(a.Digest, b.Digest));
        return entries;
    }

    private IReadOnlyList<ScannedName> Scan()
    {
        var names = QueueDirectoryScan.Scan(Directory, Name == QueueNames.Bad, _time.GetUtcNow(), out string? problem);
        if (problem is not null && _reportedListingProblem != problem)
        {
            _reportedListingProblem = problem;
            _logger.LogError("Queue {Queue}: {Problem}; entries cannot be seen until this is fixed", Name, problem);
        }

        return names;
    }

    // A directory named like an entry can be neither processed nor moved safely: said once per name, and
    // counted by queues and status (as every stray is).
    private void ReportStrayOnce(ScannedName name)
    {
        lock (_reportedStrays)
        {
            if (_reportedStrays.Count < MaxReportedStrays && _reportedStrays.Add(name.FileName))
            {
                _logger.LogWarning("Queue {Queue}: ignoring {File}: {Reason}", Name, Path.Combine(Directory, name.FileName), name.Problem);
            }
        }
    }

    private void QuarantineBadName(string path, string filebase, string why)
    {
        if (EntryFileReader.KindOf(path) == EntryFileKind.Missing)
        {
            return; // Another switchboard moved it first.
        }

        _logger.LogWarning("Queue {Queue}: quarantining {File}: {Reason}", Name, path, why);
        Preserve(path, filebase, why);
    }

    // Moves a file to <bad>/<baseName>.psv (unique) with a reason sidecar; logs and swallows I/O errors.
    private bool Preserve(string source, string baseName, string reason)
    {
        string target;
        try
        {
            DurableFiles.EnsureDirectory(BadDirectory);
            target = MoveToUniqueName(source, baseName);
        }
        catch (FileNotFoundException)
        {
            return false; // A concurrent mover won.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogError(ex, "Failed to preserve backup file: {Path}", source);
            return false;
        }

        try
        {
            var sidecar = new MessageData
            {
                ["reason"] = reason,
                ["queue"] = Name,
                ["original_file"] = Path.GetFileName(source),
                ["time"] = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
            };
            DurableFiles.WriteNewFile(target + ReasonSuffix, MetadataJson.Serialize(sidecar), _options.Fsync, replaceExisting: true);
            if (_options.Fsync)
            {
                DurableFiles.FsyncDirectory(BadDirectory);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            _logger.LogError(ex, "Preserved {Path} as {Target} but could not record the reason", source, target);
        }

        return true;
    }

    private string MoveToUniqueName(string source, string baseName)
    {
        for (int attempt = 0; ; attempt++)
        {
            string name = attempt == 0 ? baseName : string.Create(CultureInfo.InvariantCulture, $"{baseName}-{attempt}");
            string target = Path.Combine(BadDirectory, name + Preserved);
            if (File.Exists(target))
            {
                continue;
            }

            try
            {
                File.Move(source, target, overwrite: false);
                return target;
            }
            catch (IOException) when (File.Exists(target) && File.Exists(source))
            {
                // Lost a race for this name; try the next.
            }
        }
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
                DurableFiles.EnsureDirectory(Directory);
                var watcher = new FileSystemWatcher(Directory, "*" + Ready)
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
                _logger.LogWarning(ex, "Queue {Queue}: cannot watch {Directory}; relying on polling", Name, Directory);
            }
        }
    }

    private void Wake()
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

    private static TimeSpan ClampTimeout(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return timeout;
        }

        var max = TimeSpan.FromMilliseconds(int.MaxValue);
        return timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout > max ? max : timeout;
    }

    private static ArraySegment<byte> AsArraySegment(byte[] file, ReadOnlyMemory<byte> slice) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(slice, out var segment) && segment.Array == file
            ? segment
            : throw new InvalidOperationException("The decoded message is not a slice of the file.");

    // Through the one safe reader: a FIFO, link or device in the queue is never opened, only reported.
    private byte[] ReadEntryFile(string path, string filebase)
    {
        var read = EntryFileReader.Read(path);
        if (read.IsMissing)
        {
            throw new QueueEntryNotFoundException($"Queue '{Name}': {filebase} vanished while being taken (another process moved it).");
        }

        return read.Bytes ?? throw new QueueEntryCorruptException(read.Problem!);
    }

    private static void CheckFilebase(string filebase)
    {
        ArgumentException.ThrowIfNullOrEmpty(filebase);
        if (filebase.AsSpan().IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || filebase is "." or "..")
        {
            throw new ArgumentException($"Not a queue filebase: '{filebase}'.", nameof(filebase));
        }
    }

    private string PathOf(string filebase, string extension) => Path.Combine(Directory, filebase + extension);

    private readonly record struct ListedEntry(double Time, string Digest, string Filebase);
}
