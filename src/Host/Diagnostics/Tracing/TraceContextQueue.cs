using System.Diagnostics;
using MimeKit;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Diagnostics.Tracing;

/// <summary>One queue of <see cref="TraceContextQueues"/>: adds the current span's context to what is enqueued.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A mail queue in Mailman's sense, not a collection type.")]
public sealed class TraceContextQueue(IQueue inner) : IQueue
{
    internal IQueue Inner => inner;

    public string Name => inner.Name;

    public bool IsAvailable => inner.IsAvailable;

    public Task<string> EnqueueAsync(MimeMessage message, MessageData? metadata = null, MessageData? extra = null, DateTimeOffset? notBefore = null, CancellationToken cancellationToken = default) =>
        inner.EnqueueAsync(message, metadata, WithContext(extra), notBefore, cancellationToken);

    public Task<string> EnqueueRawAsync(ReadOnlyMemory<byte> message, MessageData? metadata = null, MessageData? extra = null, DateTimeOffset? notBefore = null, CancellationToken cancellationToken = default) =>
        inner.EnqueueRawAsync(message, metadata, WithContext(extra), notBefore, cancellationToken);

    // The context goes in the extra values, which win over the metadata's: the caller's dictionaries are never changed.
    private static MessageData? WithContext(MessageData? extra)
    {
        if (Activity.Current is not { } activity)
        {
            return extra;
        }

        var withContext = extra?.Clone() ?? [];
        TraceContextMetadata.Inject(activity, withContext);
        return withContext;
    }
}
