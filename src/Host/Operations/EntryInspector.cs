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
public sealed record EntryReport(string File, string Kind, long Size, PartialEntry Content, MessageData? Reason, string? ReasonProblem)
{
    /// <summary>True when the file is not a sound entry.</summary>
    public bool Damaged => Content.Problems.Count > 0;

    /// <summary>The error record of a shunted entry, when the metadata has one.</summary>
    public MessageData? Error => Content.Metadata?.GetNested(MessageDataKeys.Error);
}

/// <summary>Reads queue files for <c>qfile</c> without ever changing them.</summary>
public static class EntryInspector
{
    /// <summary>Reads <paramref name="path"/>; damaged files are reported, not thrown.</summary>
    public static async Task<EntryReport> InspectAsync(string path, CancellationToken cancellationToken)
    {
        string full = Path.GetFullPath(path);
        byte[] bytes = await File.ReadAllBytesAsync(full, cancellationToken).ConfigureAwait(false);
        var content = QueueFileFormat.ReadWhatYouCan(bytes);
        MessageData? reason = null;
        string? reasonProblem = null;
        string sidecar = full + PreservedEntries.ReasonSuffix;
        if (full.EndsWith(PreservedEntries.Extension, StringComparison.Ordinal))
        {
            (reason, reasonProblem) = ReadReason(sidecar);
        }

        return new EntryReport(full, KindOf(full), bytes.LongLength, content, reason, reasonProblem);
    }

    /// <summary>Reads a <c>.reason</c> sidecar: the reason, or why there is none.</summary>
    public static (MessageData? Reason, string? Problem) ReadReason(string sidecar)
    {
        if (!File.Exists(sidecar))
        {
            return (null, $"no reason file ({Path.GetFileName(sidecar)})");
        }

        try
        {
            byte[] json = File.ReadAllBytes(sidecar);
            return (MetadataJson.Deserialize(json), null);
        }
        catch (JsonException ex)
        {
            return (null, $"reason file unreadable: {ex.Message}");
        }
    }

    private static string KindOf(string path) => Path.GetExtension(path) switch
    {
        ".pck" => "ready entry (.pck)",
        ".bak" => "entry taken by a runner (.bak)",
        ".psv" => "preserved entry (.psv)",
        ".tmp" => "temporary file being written (.tmp)",
        var other => $"not a queue entry extension ({(other.Length == 0 ? "none" : other)})",
    };
}
