using MimeKit;
using RunnerHost.Messages;

namespace RunnerHost.Queues;

/// <summary>A taken entry: its message, parsed and as stored, its metadata, and which attempt this is.</summary>
/// <param name="Id">The entry's id in its queue (for the file back end, the filebase <c>&lt;time&gt;+&lt;digest&gt;</c>).</param>
/// <param name="Message">The parsed message.</param>
/// <param name="Metadata">The metadata; the runner may change it before requeueing or moving the entry.</param>
/// <param name="RawMessage">The message bytes exactly as stored.</param>
/// <param name="Attempt">1 for the first attempt; one more for every interrupted attempt before it (a crash, not a stop).</param>
public sealed record QueueEntry(string Id, MimeMessage Message, MessageData Metadata, ReadOnlyMemory<byte> RawMessage, int Attempt);
