using MimeKit;
using RunnerHost.Messages;

namespace RunnerHost.Queues;

/// <summary>A taken entry: its message, parsed and as stored, its metadata, and which attempt this is.</summary>
/// <remarks>
/// Since 2.3 a back end may hand out an entry whose message is parsed only when <see cref="Message"/> is first
/// read: a runner that only moves bytes (<see cref="RawMessage"/>) then never pays for the MIME parse.
/// An entry is used by one runner loop at a time; the parse is not synchronised.
/// </remarks>
public sealed record QueueEntry
{
    private MimeMessage? _message;
    private Func<MimeMessage>? _parse;

    /// <summary>An entry with its message already parsed.</summary>
    /// <param name="Id">The entry's id in its queue (for the file back end, the filebase <c>&lt;time&gt;+&lt;digest&gt;</c>).</param>
    /// <param name="Message">The parsed message.</param>
    /// <param name="Metadata">The metadata; the runner may change it before requeueing or moving the entry.</param>
    /// <param name="RawMessage">The message bytes exactly as stored.</param>
    /// <param name="Attempt">1 for the first attempt; one more for every interrupted attempt before it (a crash, not a stop).</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "The names of the 2.0 positional record's parameters, kept for callers that name them.")]
    public QueueEntry(string Id, MimeMessage Message, MessageData Metadata, ReadOnlyMemory<byte> RawMessage, int Attempt)
    {
        ArgumentNullException.ThrowIfNull(Message);
        this.Id = Id;
        _message = Message;
        this.Metadata = Metadata;
        this.RawMessage = RawMessage;
        this.Attempt = Attempt;
    }

    /// <summary>An entry whose message <paramref name="parseMessage"/> parses on first use of <see cref="Message"/>. Added in 2.3.</summary>
    /// <param name="id">The entry's id in its queue.</param>
    /// <param name="parseMessage">Parses <paramref name="rawMessage"/>; called at most once, and may throw <see cref="QueueEntryCorruptException"/>.</param>
    /// <param name="metadata">The metadata.</param>
    /// <param name="rawMessage">The message bytes exactly as stored.</param>
    /// <param name="attempt">1 for the first attempt; one more for every interrupted attempt before it.</param>
    public QueueEntry(string id, Func<MimeMessage> parseMessage, MessageData metadata, ReadOnlyMemory<byte> rawMessage, int attempt)
    {
        ArgumentNullException.ThrowIfNull(parseMessage);
        Id = id;
        _parse = parseMessage;
        Metadata = metadata;
        RawMessage = rawMessage;
        Attempt = attempt;
    }

    /// <summary>The entry's id in its queue (for the file back end, the filebase <c>&lt;time&gt;+&lt;digest&gt;</c>).</summary>
    public string Id { get; init; }

    /// <summary>The parsed message; parsed on first read when the back end handed the entry out unparsed.</summary>
    /// <exception cref="QueueEntryCorruptException">The stored message cannot be parsed.</exception>
    public MimeMessage Message
    {
        get
        {
            if (_message is null)
            {
                _message = _parse!();
                _parse = null;
            }

            return _message;
        }

        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _message = value;
            _parse = null;
        }
    }

    /// <summary>Whether <see cref="Message"/> was parsed already (reading it would cost nothing). Added in 2.3.</summary>
    public bool IsMessageParsed => _message is not null;

    /// <summary>The metadata; the runner may change it before requeueing or moving the entry.</summary>
    public MessageData Metadata { get; init; }

    /// <summary>The message bytes exactly as stored.</summary>
    public ReadOnlyMemory<byte> RawMessage { get; init; }

    /// <summary>1 for the first attempt; one more for every interrupted attempt before it (a crash, not a stop).</summary>
    public int Attempt { get; init; }

    /// <summary>Deconstructs the entry as the 2.0 positional record did (this parses the message).</summary>
    /// <param name="Id">The entry's id.</param>
    /// <param name="Message">The parsed message.</param>
    /// <param name="Metadata">The metadata.</param>
    /// <param name="RawMessage">The message bytes exactly as stored.</param>
    /// <param name="Attempt">The attempt.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "The names of the 2.0 positional record's parameters.")]
    public void Deconstruct(out string Id, out MimeMessage Message, out MessageData Metadata, out ReadOnlyMemory<byte> RawMessage, out int Attempt)
    {
        Id = this.Id;
        Message = this.Message;
        Metadata = this.Metadata;
        RawMessage = this.RawMessage;
        Attempt = this.Attempt;
    }
}
