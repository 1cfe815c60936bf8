using RunnerHost.Messages;

namespace RunnerHost.Inspection;

/// <summary>Everything that could be read of one entry, and what is wrong with it.</summary>
/// <param name="Queue">The queue it is in.</param>
/// <param name="Id">Its id.</param>
/// <param name="State">Where it stands.</param>
/// <param name="Kind">What is stored, in a few words (e.g. <c>ready entry (.pck)</c>, <c>not a queue entry: a FIFO (named pipe) (not opened)</c>).</param>
/// <param name="Due">When it is due, from its id; null when the id carries no time.</param>
/// <param name="NameProblem">Why the id is not a well-formed entry id, when it is not.</param>
/// <param name="Size">The stored size in bytes.</param>
/// <param name="Problems">Everything found wrong with the content, most fundamental first; empty for a sound entry.</param>
/// <param name="FormatVersion">The entry format's version (docs/queue-format.md), when the header could be read.</param>
/// <param name="MetadataLength">The declared metadata length, when the header could be read.</param>
/// <param name="MessageLength">The declared message length, when the header could be read.</param>
/// <param name="ChecksumValid">True when the checksum is present and matches.</param>
/// <param name="Metadata">The metadata, when it parsed.</param>
/// <param name="MetadataText">The metadata as stored, as text (possibly cut short), when it did not parse.</param>
/// <param name="Message">The message bytes that could be read (all of them for a sound entry).</param>
/// <param name="Reason">For a preserved entry: the recorded reason (<c>reason</c>, <c>queue</c>, <c>original_file</c>, <c>time</c>).</param>
/// <param name="ReasonProblem">For a preserved entry: why no reason could be read.</param>
public sealed record EntryInspection(
    string Queue,
    string Id,
    EntryState State,
    string Kind,
    DateTimeOffset? Due,
    string? NameProblem,
    long Size,
    IReadOnlyList<string> Problems,
    int? FormatVersion,
    long? MetadataLength,
    long? MessageLength,
    bool ChecksumValid,
    MessageData? Metadata,
    string? MetadataText,
    ReadOnlyMemory<byte>? Message,
    MessageData? Reason,
    string? ReasonProblem)
{
    /// <summary>True when the content is not a sound entry.</summary>
    public bool Damaged => Problems.Count > 0;

    /// <summary>The error record of a shunted entry, when the metadata has one.</summary>
    public MessageData? Error => Metadata?.GetNested(MessageDataKeys.Error);
}
