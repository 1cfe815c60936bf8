using MimeKit;
using RunnerHost.Messages;

namespace RunnerHost.Queues;

/// <summary>
/// One queue (Mailman's "switchboard"), possibly restricted to one slice of its hash space.
/// Entries move <c>.pck</c> (ready) → <c>.bak</c> (in progress) → finished (deleted) or preserved
/// (<c>bad/&lt;filebase&gt;.psv</c>).
/// </summary>
public interface ISwitchboard
{
    /// <summary>The queue name, e.g. <c>in</c>.</summary>
    string Name { get; }

    /// <summary>This switchboard's slice (0-based).</summary>
    int Slice { get; }

    /// <summary>The number of slices the queue is split into (a power of two; 1 = unsliced).</summary>
    int SliceCount { get; }

    /// <summary>
    /// Durably stores a message with a copy of <paramref name="metadata"/>, <paramref name="extra"/>
    /// applied on top (they win), <c>version</c> set, keys starting with <c>_</c> removed, then
    /// <c>_parsemsg</c> set. Returns the new filebase once the entry is durable.
    /// </summary>
    /// <param name="message">The message; it is serialised as it is now.</param>
    /// <param name="metadata">Metadata to copy; never modified.</param>
    /// <param name="extra">Values applied over <paramref name="metadata"/> (Mailman's keyword arguments).</param>
    /// <param name="notBefore">When the entry becomes due; null = now.</param>
    /// <param name="cancellationToken">Cancels before the write starts.</param>
    Task<string> EnqueueAsync(MimeMessage message, MessageData? metadata = null, MessageData? extra = null, DateTimeOffset? notBefore = null, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="EnqueueAsync(MimeMessage, MessageData?, MessageData?, DateTimeOffset?, CancellationToken)"/> for raw RFC 822 bytes, which are stored exactly.</summary>
    Task<string> EnqueueRawAsync(ReadOnlyMemory<byte> message, MessageData? metadata = null, MessageData? extra = null, DateTimeOffset? notBefore = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes an entry: renames <c>.pck</c> to <c>.bak</c>, reads and validates it.
    /// Throws <see cref="QueueEntryNotFoundException"/> when the entry is gone (another process took it)
    /// and <see cref="QueueEntryCorruptException"/> when it cannot be read; the <c>.bak</c> then stays for the caller to preserve.
    /// </summary>
    Task<QueueEntry> DequeueAsync(string filebase, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends an entry: deletes it, or with <paramref name="preserve"/> moves it to <c>bad/&lt;filebase&gt;.psv</c>
    /// recording <paramref name="reason"/>. Acts on the <c>.bak</c>, or on the <c>.pck</c> when never dequeued.
    /// I/O errors are logged, never thrown.
    /// </summary>
    Task FinishAsync(string filebase, bool preserve = false, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Gives a dequeued entry back unchanged (<c>.bak</c> → <c>.pck</c>, same filebase, attempt not counted): used when a stop interrupts processing.</summary>
    Task ReleaseAsync(string filebase, CancellationToken cancellationToken = default);

    /// <summary>The filebases of this slice with the given extension (default <c>.pck</c>), in FIFO order, due or not.</summary>
    IReadOnlyList<string> GetFiles(string extension = ".pck");

    /// <summary>The entries of this slice that are due at <paramref name="now"/>, in FIFO order. Names that do not parse are quarantined to <c>bad</c>.</summary>
    QueueSnapshot GetSnapshot(DateTimeOffset now);

    /// <summary>
    /// Restores this slice's <c>.bak</c> entries (interrupted work) to <c>.pck</c>, counting restores in
    /// <c>_bak_count</c> and preserving an entry to <c>bad</c> at the third; quarantines abandoned temporary files.
    /// </summary>
    Task RecoverAsync(CancellationToken cancellationToken = default);

    /// <summary>Completes when new entries may have arrived, after <paramref name="timeout"/>, or when cancelled (without throwing).</summary>
    Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken = default);
}
