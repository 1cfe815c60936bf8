using System.Diagnostics.CodeAnalysis;
using MimeKit;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Host.Diagnostics;

/// <summary>Passes every call to the real switchboard and tells the tracker what happened to the entry in hand.</summary>
internal sealed class MeteredSwitchboard(ISwitchboard inner, RunnerMetrics.EntryTracker tracker, bool isOwn) : ISwitchboard
{
    public string Name => inner.Name;

    public int Slice => inner.Slice;

    public int SliceCount => inner.SliceCount;

    public Task<string> EnqueueAsync(MimeMessage message, MessageData? metadata = null, MessageData? extra = null, DateTimeOffset? notBefore = null, CancellationToken cancellationToken = default)
    {
        tracker.EnqueuedInto(Name, isOwn);
        return inner.EnqueueAsync(message, metadata, extra, notBefore, cancellationToken);
    }

    public Task<string> EnqueueRawAsync(ReadOnlyMemory<byte> message, MessageData? metadata = null, MessageData? extra = null, DateTimeOffset? notBefore = null, CancellationToken cancellationToken = default)
    {
        tracker.EnqueuedInto(Name, isOwn);
        return inner.EnqueueRawAsync(message, metadata, extra, notBefore, cancellationToken);
    }

    public Task<QueueEntry> DequeueAsync(string filebase, CancellationToken cancellationToken = default)
    {
        if (isOwn)
        {
            tracker.Dequeued();
        }

        return inner.DequeueAsync(filebase, cancellationToken);
    }

    public Task FinishAsync(string filebase, bool preserve = false, string? reason = null, CancellationToken cancellationToken = default)
    {
        if (isOwn)
        {
            tracker.Finished(preserve);
        }

        return inner.FinishAsync(filebase, preserve, reason, cancellationToken);
    }

    public Task ReleaseAsync(string filebase, CancellationToken cancellationToken = default)
    {
        if (isOwn)
        {
            tracker.Released();
        }

        return inner.ReleaseAsync(filebase, cancellationToken);
    }

    public IReadOnlyList<string> GetFiles(string extension = ".pck") => inner.GetFiles(extension);

    public QueueSnapshot GetSnapshot(DateTimeOffset now) => inner.GetSnapshot(now);

    public Task RecoverAsync(CancellationToken cancellationToken = default) => inner.RecoverAsync(cancellationToken);

    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken = default) => inner.WaitForWorkAsync(timeout, cancellationToken);
}

/// <summary>The registry as a runner sees it: enqueues into other queues (shunt) are reported to the tracker.</summary>
internal sealed class MeteredRegistry(ISwitchboardRegistry inner, RunnerMetrics.EntryTracker tracker) : ISwitchboardRegistry
{
    public IReadOnlyList<string> Names => inner.Names;

    public ISwitchboard this[string name] => new MeteredSwitchboard(inner[name], tracker, isOwn: false);

    public bool TryGet(string name, [NotNullWhen(true)] out ISwitchboard? switchboard)
    {
        bool found = inner.TryGet(name, out var real);
        switchboard = found ? new MeteredSwitchboard(real!, tracker, isOwn: false) : null;
        return found;
    }
}
