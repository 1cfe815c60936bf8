using Microsoft.Extensions.Logging;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>
/// The entries of one slice of a queue directory, in FIFO order, from one listing through
/// <see cref="QueueDirectoryScan"/>. Entry files whose names do not parse are quarantined to bad as
/// they are met; a directory or other stray is logged once.
/// </summary>
internal sealed class FileQueueListing(FileSwitchboardOptions options, FilePreservation preservation, ILogger logger, TimeProvider time)
{
    // Bounds the memory of names already reported, whatever a directory holds.
    private const int MaxReportedStrays = 1000;

    private readonly HashSet<string> _reportedStrays = new(StringComparer.Ordinal);
    private string? _reportedListingProblem;

    /// <summary>The entries of this slice with <paramref name="extension"/> (<c>.pck</c>, <c>.bak</c>, or <c>.psv</c> in bad), FIFO.</summary>
    public List<ListedEntry> List(string extension)
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
                    QuarantineBadName(Path.Combine(options.Directory, name.FileName), name.Filebase, name.Problem!);
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

    /// <summary>The due entries of this slice and when the next delayed one is due.</summary>
    public FileSnapshot Snapshot(DateTimeOffset now)
    {
        double nowSeconds = QueueFileName.ToUnixSeconds(now);
        var ready = new List<string>();
        double? next = null;
        foreach (var entry in List(QueueDirectoryScan.ReadyExtension))
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

        return new FileSnapshot(ready, next is { } due ? QueueFileName.FromUnixSeconds(due) : null);
    }

    /// <summary>Every name in the directory, classified; a listing problem is logged once.</summary>
    public IReadOnlyList<ScannedName> Scan()
    {
        var names = QueueDirectoryScan.Scan(options.Directory, options.Name == QueueNames.Bad, time.GetUtcNow(), out string? problem);
        if (problem is not null && _reportedListingProblem != problem)
        {
            _reportedListingProblem = problem;
            logger.LogError("Queue {Queue}: {Problem}; entries cannot be seen until this is fixed", options.Name, problem);
        }

        return names;
    }

    public bool IsInSlice(string digest) => options.SliceCount == 1 || SliceMath.SliceOf(digest, options.SliceCount) == options.Slice;

    // A directory named like an entry can be neither processed nor moved safely: said once per name, and
    // counted by queues and status (as every stray is).
    private void ReportStrayOnce(ScannedName name)
    {
        lock (_reportedStrays)
        {
            if (_reportedStrays.Count < MaxReportedStrays && _reportedStrays.Add(name.FileName))
            {
                logger.LogWarning("Queue {Queue}: ignoring {File}: {Reason}", options.Name, Path.Combine(options.Directory, name.FileName), name.Problem);
            }
        }
    }

    private void QuarantineBadName(string path, string filebase, string why)
    {
        if (EntryFileReader.KindOf(path) == EntryFileKind.Missing)
        {
            return; // Another switchboard moved it first.
        }

        logger.LogWarning("Queue {Queue}: quarantining {File}: {Reason}", options.Name, path, why);
        preservation.Preserve(path, filebase, why);
    }
}

/// <summary>One listed entry: its time and digest (the FIFO key) and its filebase.</summary>
internal readonly record struct ListedEntry(double Time, string Digest, string Filebase);
