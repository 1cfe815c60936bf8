using System.Text.Json;
using RunnerHost.Host.Queues;
using RunnerHost.Messages;

namespace RunnerHost.Host.Operations;

/// <summary>Everything known about one queue file: what it is, what is wrong with it, what could be read, and its preservation reason.</summary>
/// <param name="File">The full path.</param>
/// <param name="Kind">What the extension says the file is.</param>
/// <param name="Size">The file size in bytes.</param>
/// <param name="Content">What could be read (all of it for a sound file) and the problems found.</param>
/// <param name="Reason">The <c>.reason</c> sidecar of a <c>.psv</c>, when present and readable.</param>
/// <param name="ReasonProblem">Why the sidecar could not be read, when it could not.</param>
/// <param name="Due">When the entry is due, from its name (the one name parser); null when the name is not a filebase.</param>
/// <param name="NameProblem">Why the name is not a filebase, when it is not.</param>
public sealed record EntryReport(string File, string Kind, long Size, PartialEntry Content, MessageData? Reason, string? ReasonProblem, DateTimeOffset? Due = null, string? NameProblem = null)
{
    /// <summary>True when the file is not a sound entry.</summary>
    public bool Damaged => Content.Problems.Count > 0;

    /// <summary>The error record of a shunted entry, when the metadata has one.</summary>
    public MessageData? Error => Content.Metadata?.GetNested(MessageDataKeys.Error);
}

/// <summary>Reads queue files for <c>qfile</c> without ever changing them.</summary>
public static class EntryInspector
{
    /// <summary>Reads <paramref name="path"/>; damaged files, and files that are no regular file, are reported, not thrown.</summary>
    public static Task<EntryReport> InspectAsync(string path, DateTimeOffset now, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string full = Path.GetFullPath(path);
        var read = EntryFileReader.Read(full);
        var content = read.Bytes is { } bytes
            ? QueueFileFormat.ReadWhatYouCan(bytes)
            : new PartialEntry(null, null, null, null, null, null, false, [read.IsMissing ? "the file vanished" : read.Problem!]);
        MessageData? reason = null;
        string? reasonProblem = null;
        string sidecar = full + PreservedEntries.ReasonSuffix;
        if (full.EndsWith(PreservedEntries.Extension, StringComparison.Ordinal))
        {
            (reason, reasonProblem) = ReadReason(sidecar);
        }

        // The name is read by the one name parser, as the runner reads it.
        var scanned = QueueDirectoryScan.Classify(Path.GetFileName(full), isDirectory: false, isBadDirectory: full.EndsWith(PreservedEntries.Extension, StringComparison.Ordinal), now);
        string? nameProblem = scanned.Parts is not null ? null : scanned.Problem ?? "the name is not <time>+<digest> (a quarantined name)";
        return Task.FromResult(new EntryReport(full, KindOf(full, read.Kind), read.Bytes?.LongLength ?? 0, content, reason, reasonProblem, scanned.Parts?.Due, nameProblem));
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
        catch (JsonException ex)
        {
            return (null, $"reason file unreadable: {ex.Message}");
        }
    }

    private static string KindOf(string path, EntryFileKind kind) => kind is not (EntryFileKind.Regular or EntryFileKind.Missing)
        ? $"not a queue entry: {EntryFileReader.Describe(kind)} (not opened)"
        : Path.GetExtension(path) switch
    {
        ".pck" => "ready entry (.pck)",
        ".bak" => "entry taken by a runner (.bak)",
        ".psv" => "preserved entry (.psv)",
        ".tmp" => "temporary file being written (.tmp)",
        var other => $"not a queue entry extension ({(other.Length == 0 ? "none" : other)})",
    };
}
