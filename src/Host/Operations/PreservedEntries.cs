using System.Globalization;
using RunnerHost.Host.Cli;
using RunnerHost.Host.Queues;
using RunnerHost.Queues;

namespace RunnerHost.Host.Operations;

/// <summary>One preserved entry in the bad directory.</summary>
/// <param name="Name">The file name without <c>.psv</c> (a filebase, possibly with a <c>-N</c> suffix, or a quarantined name).</param>
/// <param name="Path">The <c>.psv</c> file.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="PreservedAt">When it was preserved: the reason's <c>time</c>, else the file's modification time.</param>
/// <param name="Reason">The recorded reason, or why none is known.</param>
public sealed record PreservedEntry(string Name, string Path, long Size, DateTimeOffset PreservedAt, string Reason);

/// <summary>A preserved entry cannot be requeued; the entry is left as it is.</summary>
public sealed class PreservedEntryException : Exception
{
    public PreservedEntryException()
    {
    }

    public PreservedEntryException(string message)
        : base(message)
    {
    }

    public PreservedEntryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The bad directory: list, requeue and purge <c>.psv</c> entries and their <c>.reason</c> sidecars.</summary>
public sealed class PreservedEntries(string directory, bool fsync = true)
{
    /// <summary>The extension of preserved entries.</summary>
    public const string Extension = ".psv";

    /// <summary>The suffix of the JSON sidecar next to each <c>.psv</c>.</summary>
    public const string ReasonSuffix = ".reason";

    /// <summary>The metadata key naming the preserved entry a requeued message came from.</summary>
    public const string RequeuedFromKey = "requeued_from";

    public string Directory { get; } = directory;

    /// <summary>Every preserved entry, oldest first.</summary>
    public IReadOnlyList<PreservedEntry> List() =>
        [.. QueueDirectoryScan.Scan(Directory, isBadDirectory: true, DateTimeOffset.UtcNow, out _)
            .Where(n => n.Kind == ScannedKind.Preserved)
            .Select(n => Describe(System.IO.Path.Combine(Directory, n.FileName)))
            .OrderBy(e => e.PreservedAt)
            .ThenBy(e => e.Name, StringComparer.Ordinal)];

    /// <summary>What else the bad directory holds that is no preserved entry (a <c>.pck</c> put there, a directory, ...): nothing processes it.</summary>
    public IReadOnlyList<ScannedName> ListStrays() =>
        [.. QueueDirectoryScan.Scan(Directory, isBadDirectory: true, DateTimeOffset.UtcNow, out _)
            .Where(n => n.Kind == ScannedKind.Stray)
            .OrderBy(n => n.FileName, StringComparer.Ordinal)];

    /// <summary>The <c>.psv</c> path of an existing entry; a <see cref="UsageException"/> when there is none.</summary>
    public string PathOf(string name)
    {
        string path = System.IO.Path.Combine(Directory, OperationArguments.PreservedName(name) + Extension);
        return File.Exists(path) ? path : throw new UsageException($"no preserved entry {name} in {Directory}");
    }

    /// <summary>
    /// Decodes the entry, enqueues its message and metadata into <paramref name="target"/> (with
    /// <c>requeued_from</c> set), then deletes the <c>.psv</c> and its reason. An undecodable entry is
    /// refused with the reason and left alone.
    /// </summary>
    public async Task<string> RequeueAsync(string name, ISwitchboard target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        string path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        var read = EntryFileReader.Read(path);
        if (read.Bytes is not { } bytes)
        {
            throw new PreservedEntryException($"cannot requeue {name}: {(read.IsMissing ? "it vanished" : read.Problem)}");
        }

        DecodedEntry decoded;
        try
        {
            decoded = QueueFileFormat.Decode(bytes);
        }
        catch (QueueEntryCorruptException ex)
        {
            throw new PreservedEntryException($"cannot requeue {name}: undecodable: {ex.Message}", ex);
        }

        var metadata = decoded.Metadata;
        metadata[RequeuedFromKey] = QueueNames.Bad + "/" + System.IO.Path.GetFileName(path);
        string filebase = await target.EnqueueRawAsync(decoded.Message, metadata, cancellationToken: cancellationToken).ConfigureAwait(false);
        Delete(path);
        return filebase;
    }

    /// <summary>Deletes the entry and its reason.</summary>
    public void Purge(string name) => Delete(PathOf(name));

    private void Delete(string path)
    {
        File.Delete(path + ReasonSuffix);
        File.Delete(path);
        if (fsync)
        {
            DurableFiles.FsyncDirectory(Directory);
        }
    }

    private static PreservedEntry Describe(string path)
    {
        var info = new FileInfo(path);
        string name = info.Name[..^Extension.Length];
        var time = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
        string reason;
        var (sidecar, problem) = EntryInspector.ReadReason(path + ReasonSuffix);
        if (sidecar is not null)
        {
            reason = sidecar.GetString("reason") ?? "(no reason recorded)";
            if (DateTimeOffset.TryParse(sidecar.GetString("time"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var recorded))
            {
                time = recorded;
            }
        }
        else
        {
            reason = $"({problem})";
        }

        return new PreservedEntry(name, path, info.Length, time, reason);
    }
}
