using MimeKit;
using RunnerHost.Messages;

namespace RunnerHost.Queues;

/// <summary>A dequeued entry: the parsed message, its metadata, and the exact bytes that were stored.</summary>
/// <param name="Filebase">The entry's name without extension: <c>&lt;time&gt;+&lt;sha1&gt;</c>.</param>
/// <param name="Message">The message parsed by MimeKit.</param>
/// <param name="Metadata">The metadata (a private copy the caller may change).</param>
/// <param name="RawMessage">The RFC 822 bytes exactly as enqueued.</param>
public sealed record QueueEntry(string Filebase, MimeMessage Message, MessageData Metadata, ReadOnlyMemory<byte> RawMessage);
