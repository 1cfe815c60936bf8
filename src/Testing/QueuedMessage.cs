using MimeKit;
using RunnerHost.Inspection;
using RunnerHost.Messages;

namespace RunnerHost.Testing;

/// <summary>One entry of a queue, read back through the host's inspection surface.</summary>
/// <param name="Id">The entry's id in its queue.</param>
/// <param name="State">Where it stands (ready, due later, shunted, preserved).</param>
/// <param name="Message">The message, parsed.</param>
/// <param name="Metadata">Its metadata; a shunted entry's error record is <see cref="Error"/>.</param>
public sealed record QueuedMessage(string Id, EntryState State, MimeMessage Message, MessageData Metadata)
{
    /// <summary>The error record of a shunted entry (<c>type</c>, <c>message</c>, <c>traceback</c>, ...), or null.</summary>
    public MessageData? Error => Metadata.GetNested(MessageDataKeys.Error);
}
