using System.Globalization;
using System.Text;
using RunnerHost.Inspection;
using RunnerHost.Messages;
using RunnerHost.Queues;

using RunnerHost.Hosting.IO;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>Where one queue of the file back end lives and how many slices its runner has.</summary>
/// <param name="Name">The queue name.</param>
/// <param name="Directory">Its directory.</param>
/// <param name="SliceCount">Its runner's <c>instances</c>.</param>
public sealed record FileQueueLayout(string Name, string Directory, int SliceCount);

/// <summary>
/// The inspection surface over queue directories: every command, the REST API and the dashboard read
/// the file back end through here (names through <see cref="QueueDirectoryScan"/>, files through
/// <see cref="EntryFileReader"/>, content through <see cref="QueueFileFormat"/>), never by path.
/// </summary>
public sealed class FileQueueInspector : IQueueInspector
{
    /// <summary>The metadata key naming the entry a requeued message came from (<c>bad/NAME.psv</c>).</summary>
    public const string RequeuedFromKey = MessageDataKeys.RequeuedFrom;

    private readonly Dictionary<string, FileQueueLayout> _layouts;
    private readonly SwitchboardRegistry _queues;
    private readonly TimeProvider _time;
    private readonly bool _fsync;

    public FileQueueInspector(IEnumerable<FileQueueLayout> layouts, SwitchboardRegistry queues, TimeProvider time, bool fsync = true)
    {
        ArgumentNullException.ThrowIfNull(layouts);
        _layouts = layouts.ToDictionary(l => l.Name, StringComparer.Ordinal);
        _queues = queues;
        _time = time;
        _fsync = fsync;
        QueueNames = [.. _layouts.Keys.Order(StringComparer.Ordinal)];
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> QueueNames { get; }

    /// <inheritdoc/>
    public bool IsEntryId(string queue, string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(id);
        id = Normalize(queue, id);
        if (IsBad(queue))
        {
            problem = IsSafeId(id) ? null : "not a file name in bad";
            return problem is null;
        }

        return QueueFileName.TryParse(id, _time.GetUtcNow(), out _, out problem);
    }

    /// <summary>The directory of a queue (for the back end's own tools and the tests).</summary>
    public string DirectoryOf(string queue) => Layout(queue).Directory;

    /// <inheritdoc/>
    public Task<QueueSummary> SummarizeAsync(string queue, CancellationToken cancellationToken = default)
    {
        var layout = Layout(queue);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Summarize(layout, _time.GetUtcNow()));
    }

    /// <inheritdoc/>
    public Task<EntryPage> ListAsync(string queue, EntryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var layout = Layout(queue);
        if (query.Offset < 0 || query.Limit < 1 || query.Limit > EntryQuery.MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query, $"Offset must be 0 or more and Limit 1 to {EntryQuery.MaxLimit}.");
        }

        var now = _time.GetUtcNow();
        bool bad = IsBad(queue);
        var listed = new List<EntrySummary>();
        foreach (var name in QueueDirectoryScan.Scan(layout.Directory, bad, now, out _))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Summary(layout, name, now, withDetails: bad) is { } summary && (query.State is null || summary.State == query.State))
            {
                listed.Add(summary);
            }
        }

        // bad lists by when entries were preserved (their names need not carry a time); queues FIFO by due time.
        var ordered = bad
            ? listed.OrderBy(e => e.PreservedAt).ThenBy(e => e.Id, StringComparer.Ordinal)
            : listed.OrderBy(e => e.Due).ThenBy(e => Digest(e.Id), StringComparer.Ordinal);
        var all = query.Order == EntryOrder.NewestFirst ? ordered.Reverse() : ordered;
        var page = all.Skip(query.Offset).Take(query.Limit).Select(e => bad ? e : WithSize(layout, e)).ToList();
        return Task.FromResult(new EntryPage(listed.Count, page));
    }

    /// <inheritdoc/>
    public Task<EntryInspection?> ReadAsync(string queue, string id, CancellationToken cancellationToken = default)
    {
        var layout = Layout(queue);
        id = Normalize(queue, id);
        cancellationToken.ThrowIfCancellationRequested();
        if (!IsSafeId(id))
        {
            return Task.FromResult<EntryInspection?>(null);
        }

        foreach (string extension in Extensions(queue))
        {
            string path = Path.Combine(layout.Directory, id + extension);
            if (EntryFileReader.KindOf(path) != EntryFileKind.Missing)
            {
                return Task.FromResult<EntryInspection?>(Inspect(path, queue, _time.GetUtcNow()));
            }
        }

        return Task.FromResult<EntryInspection?>(null);
    }

    /// <inheritdoc/>
    public async Task<IQueueLease?> TakeAsync(string queue, string id, CancellationToken cancellationToken = default)
    {
        _ = Layout(queue);
        if (IsBad(queue))
        {
            throw new InvalidOperationException($"Entries in '{RunnerHost.Queues.QueueNames.Bad}' are not taken; requeue or discard them.");
        }

        if (!QueueFileName.TryParse(id, _time.GetUtcNow(), out _, out _))
        {
            return null;
        }

        var switchboard = _queues.Get(queue);
        try
        {
            var entry = await switchboard.DequeueAsync(id, cancellationToken).ConfigureAwait(false);
            return new FileLease(switchboard, _queues, entry);
        }
        catch (QueueEntryNotFoundException)
        {
            return null;
        }
        catch (QueueEntryCorruptException)
        {
            // Left as it was: the operator decides (qfile, discard).
            await switchboard.ReleaseAsync(id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc/>
    public async Task<DiscardOutcome> DiscardAsync(string queue, string id, CancellationToken cancellationToken = default)
    {
        var layout = Layout(queue);
        id = Normalize(queue, id);
        cancellationToken.ThrowIfCancellationRequested();
        if (!IsSafeId(id))
        {
            return DiscardOutcome.NotFound;
        }

        if (IsBad(queue))
        {
            string psv = Path.Combine(layout.Directory, id + QueueDirectoryScan.PreservedExtension);
            if (EntryFileReader.KindOf(psv) == EntryFileKind.Missing)
            {
                return DiscardOutcome.NotFound;
            }

            DeletePreserved(layout.Directory, psv);
            return DiscardOutcome.Discarded;
        }

        var switchboard = _queues.Get(queue);
        // Taking it first (an atomic rename) means no runner picks it up while it is deleted.
        try
        {
            await switchboard.DequeueAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (QueueEntryNotFoundException)
        {
            return EntryFileReader.KindOf(Path.Combine(layout.Directory, id + QueueDirectoryScan.TakenExtension)) == EntryFileKind.Missing
                ? DiscardOutcome.NotFound
                : DiscardOutcome.InProgress;
        }
        catch (QueueEntryCorruptException)
        {
            // Unreadable entries are discarded all the same.
        }

        await switchboard.FinishAsync(id, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        return DiscardOutcome.Discarded;
    }

    /// <inheritdoc/>
    public async Task<string> RequeueAsync(string queue, string id, string targetQueue, CancellationToken cancellationToken = default)
    {
        var layout = Layout(queue);
        id = Normalize(queue, id);
        var target = _queues.Get(targetQueue);
        if (IsBad(targetQueue))
        {
            throw new InvalidOperationException($"'{RunnerHost.Queues.QueueNames.Bad}' takes no new entries; name the queue the entry should go to.");
        }

        if (!IsBad(queue))
        {
            var lease = await TakeAsync(queue, id, cancellationToken).ConfigureAwait(false) ?? throw new KeyNotFoundException($"No entry {id} in queue '{queue}'.");
            var metadata = lease.Entry.Metadata.Clone();
            metadata[RequeuedFromKey] = queue + "/" + id;
            string moved = await target.EnqueueRawAsync(lease.Entry.RawMessage, metadata, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            await lease.CompleteAsync(CancellationToken.None).ConfigureAwait(false);
            return moved;
        }

        string path = Path.Combine(layout.Directory, id + QueueDirectoryScan.PreservedExtension);
        cancellationToken.ThrowIfCancellationRequested();
        var read = IsSafeId(id) ? EntryFileReader.Read(path) : new EntryFileRead(EntryFileKind.Missing, null, null);
        if (read.IsMissing)
        {
            throw new KeyNotFoundException($"No preserved entry {id} in {layout.Directory}.");
        }

        if (read.Bytes is not { } bytes)
        {
            throw new QueueEntryCorruptException(read.Problem!);
        }

        var decoded = QueueFileFormat.Decode(bytes);
        var requeued = decoded.Metadata;
        requeued[RequeuedFromKey] = RunnerHost.Queues.QueueNames.Bad + "/" + Path.GetFileName(path);
        string filebase = await target.EnqueueRawAsync(decoded.Message, requeued, cancellationToken: cancellationToken).ConfigureAwait(false);
        DeletePreserved(layout.Directory, path);
        return filebase;
    }

    /// <summary>
    /// Reads any file as a queue entry (<c>qfile</c>): damaged files, and files that are no regular file,
    /// are reported, never thrown. <paramref name="queue"/> names the queue it belongs to, when known.
    /// </summary>
    public static EntryInspection Inspect(string path, string? queue, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        string fileName = Path.GetFileName(full);
        string queueName = queue ?? Path.GetFileName(Path.GetDirectoryName(full)) ?? string.Empty;
        var read = EntryFileReader.Read(full);
        var content = read.Bytes is { } bytes
            ? QueueFileFormat.ReadWhatYouCan(bytes)
            : new PartialEntry(null, null, null, null, null, null, false, [read.IsMissing ? "the file vanished" : read.Problem!]);
        MessageData? reason = null;
        string? reasonProblem = null;
        bool preserved = full.EndsWith(QueueDirectoryScan.PreservedExtension, StringComparison.Ordinal);
        if (preserved)
        {
            (reason, reasonProblem) = ReadReason(full + QueueDirectoryScan.ReasonSuffix);
        }

        // The name is read by the one name parser, as the runner reads it.
        var scanned = QueueDirectoryScan.Classify(fileName, isDirectory: false, isBadDirectory: preserved, now);
        string? nameProblem = scanned.Parts is not null ? null : scanned.Problem ?? "the name is not <time>+<digest> (a quarantined name)";
        var state = StateOf(queueName, scanned, now);
        return new EntryInspection(
            queueName,
            scanned.Filebase,
            state,
            KindOf(full, read.Kind),
            scanned.Parts?.Due,
            nameProblem,
            read.Bytes?.LongLength ?? 0,
            content.Problems,
            content.Version,
            content.MetadataLength,
            content.MessageLength,
            content.ChecksumValid,
            content.Metadata,
            content.Metadata is null ? content.MetadataText : null,
            content.Message,
            reason,
            reasonProblem);
    }

    /// <summary>Reads a <c>.reason</c> sidecar: the reason, or why there is none.</summary>
    public static (MessageData? Reason, string? Problem) ReadReason(string sidecar)
    {
        var read = EntryFileReader.Read(sidecar);
        if (read.IsMissing)
        {
            return (null, $"no reason file ({Path.GetFileName(sidecar)})");
        }

        if (read.Bytes is not { } json)
        {
            return (null, $"reason file unreadable: {read.Problem}");
        }

        try
        {
            return (MetadataJson.Deserialize(json), null);
        }
        catch (System.Text.Json.JsonException ex)
        {
            return (null, $"reason file unreadable: {ex.Message}");
        }
    }

    private static EntryState StateOf(string queue, ScannedName name, DateTimeOffset now) => name.Kind switch
    {
        ScannedKind.Preserved => EntryState.Preserved,
        ScannedKind.Taken => EntryState.InProgress,
        _ when queue == RunnerHost.Queues.QueueNames.Shunt => EntryState.Shunted,
        _ when name.Parts is { } parts && parts.Due > now => EntryState.DueLater,
        _ => EntryState.Ready,
    };

    private static QueueSummary Summarize(FileQueueLayout layout, DateTimeOffset now)
    {
        var summary = new QueueSummaryBuilder(layout.Name, layout.SliceCount, now);
        var names = QueueDirectoryScan.Scan(layout.Directory, IsBad(layout.Name), now, out string? problem);
        foreach (var scanned in names)
        {
            switch (scanned)
            {
                case { Kind: ScannedKind.Stray or ScannedKind.BadName }:
                    summary.AddStray(scanned.FileName, scanned.Problem ?? "not a queue entry");
                    break;
                case { Kind: ScannedKind.Ready or ScannedKind.Taken or ScannedKind.Preserved, Parts: { } parts }:
                    bool taken = scanned.Kind == ScannedKind.Taken;
                    summary.Add(SliceMath.SliceOf(parts.Digest, summary.SliceCount), parts.Due, taken, taken ? null : parts.Due);
                    break;
                case { Kind: ScannedKind.Preserved }:
                    // A quarantined name carries no time: its age is the file's.
                    summary.Add(0, new DateTimeOffset(File.GetLastWriteTimeUtc(Path.Combine(layout.Directory, scanned.FileName)), TimeSpan.Zero), inProgress: false, waitingSince: null);
                    break;
            }
        }

        return summary.Build(problem);
    }

    private static EntrySummary? Summary(FileQueueLayout layout, ScannedName name, DateTimeOffset now, bool withDetails)
    {
        switch (name.Kind)
        {
            case ScannedKind.Ready or ScannedKind.Taken when name.Parts is { } parts:
                return new EntrySummary(name.Filebase, StateOf(layout.Name, name, now), parts.Due, 0);
            case ScannedKind.Preserved:
                string path = Path.Combine(layout.Directory, name.FileName);
                var info = new FileInfo(path);
                var preservedAt = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
                string? reason = null;
                if (withDetails)
                {
                    var (sidecar, problem) = ReadReason(path + QueueDirectoryScan.ReasonSuffix);
                    reason = sidecar is not null ? sidecar.GetString("reason") ?? "(no reason recorded)" : $"({problem})";
                    if (DateTimeOffset.TryParse(sidecar?.GetString("time"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var recorded))
                    {
                        preservedAt = recorded;
                    }
                }

                return new EntrySummary(name.Filebase, EntryState.Preserved, name.Parts?.Due, SizeOf(info), preservedAt, reason);
            default:
                return null;
        }
    }

    private static EntrySummary WithSize(FileQueueLayout layout, EntrySummary entry)
    {
        string extension = entry.State == EntryState.InProgress ? QueueDirectoryScan.TakenExtension : QueueDirectoryScan.ReadyExtension;
        return entry with { Size = SizeOf(new FileInfo(Path.Combine(layout.Directory, entry.Id + extension))) };
    }

    private static long SizeOf(FileInfo info)
    {
        try
        {
            return info.Exists ? info.Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private void DeletePreserved(string directory, string psv)
    {
        File.Delete(psv + QueueDirectoryScan.ReasonSuffix);
        File.Delete(psv);
        if (_fsync)
        {
            DurableFiles.FsyncDirectory(directory);
        }
    }

    private static string KindOf(string path, EntryFileKind kind) => kind is not (EntryFileKind.Regular or EntryFileKind.Missing)
        ? $"not a queue entry: {EntryFileReader.Describe(kind)} (not opened)"
        : Path.GetExtension(path) switch
        {
            QueueDirectoryScan.ReadyExtension => "ready entry (.pck)",
            QueueDirectoryScan.TakenExtension => "entry taken by a runner (.bak)",
            QueueDirectoryScan.PreservedExtension => "preserved entry (.psv)",
            QueueDirectoryScan.TemporaryExtension => "temporary file being written (.tmp)",
            var other => $"not a queue entry extension ({(other.Length == 0 ? "none" : other)})",
        };

    private static string Digest(string id) => id[(id.IndexOf('+', StringComparison.Ordinal) + 1)..];

    private static bool IsBad(string queue) => queue == RunnerHost.Queues.QueueNames.Bad;

    // A preserved entry may be named as its file is (NAME.psv), as operators see it in the directory.
    private static string Normalize(string queue, string id) =>
        IsBad(queue) && id.EndsWith(QueueDirectoryScan.PreservedExtension, StringComparison.Ordinal) ? id[..^QueueDirectoryScan.PreservedExtension.Length] : id;

    private static string[] Extensions(string queue) => IsBad(queue)
        ? [QueueDirectoryScan.PreservedExtension]
        : [QueueDirectoryScan.ReadyExtension, QueueDirectoryScan.TakenExtension];

    // Ids come from operators and HTTP clients: a name in the queue's directory, never a path.
    private static bool IsSafeId(string id) =>
        id.Length > 0 && id.Length <= 255 && id != "." && !id.Contains("..", StringComparison.Ordinal)
        && id.AsSpan().IndexOfAny('/', '\\', '\0') < 0 && !id.Any(char.IsControl);

    private FileQueueLayout Layout(string queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return _layouts.TryGetValue(queue, out var layout) ? layout : throw new KeyNotFoundException($"No such queue: {queue}");
    }
}
