using Microsoft.Extensions.Logging;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>
/// A runner's slice of a queue directory: passes over the due <c>.pck</c> entries of the slice, each
/// taken as a <see cref="FileLease"/> (<c>.pck</c> → <c>.bak</c>). Opened through
/// <see cref="OpenAsync"/>, which first recovers the slice's interrupted entries.
/// </summary>
public sealed class FileQueueSlice : IOwnedQueueSlice
{
    private readonly FileSwitchboard _switchboard;
    private readonly SwitchboardRegistry _queues;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Action? _preservedDamaged;

    private FileQueueSlice(FileSwitchboard switchboard, SwitchboardRegistry queues, ILogger logger, TimeProvider time, Action? preservedDamaged)
    {
        _switchboard = switchboard;
        _queues = queues;
        _logger = logger;
        _time = time;
        _preservedDamaged = preservedDamaged;
    }

    /// <inheritdoc/>
    public string QueueName => _switchboard.Name;

    /// <inheritdoc/>
    public int Slice => _switchboard.Slice;

    /// <inheritdoc/>
    public int SliceCount => _switchboard.SliceCount;

    /// <summary>The sliced switchboard underneath (the back end's own tests and tools use it).</summary>
    public FileSwitchboard Switchboard => _switchboard;

    /// <summary>Opens the slice and recovers its interrupted entries (the caller holds the slice lock).</summary>
    /// <param name="switchboard">The sliced switchboard; the slice owns and disposes it.</param>
    /// <param name="queues">Every queue, for moves (shunt).</param>
    /// <param name="logger">Where damaged entries are reported.</param>
    /// <param name="time">The clock.</param>
    /// <param name="preservedDamaged">Called for every unreadable entry preserved to bad by a pass (metrics).</param>
    /// <param name="cancellationToken">Cancels the recovery.</param>
    public static async Task<FileQueueSlice> OpenAsync(FileSwitchboard switchboard, SwitchboardRegistry queues, ILogger logger, TimeProvider time, Action? preservedDamaged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(switchboard);
        await switchboard.RecoverAsync(cancellationToken).ConfigureAwait(false);
        return new FileQueueSlice(switchboard, queues, logger, time, preservedDamaged);
    }

    /// <inheritdoc/>
    public Task<IQueuePass> StartPassAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IQueuePass>(new Pass(this, _switchboard.GetSnapshot(_time.GetUtcNow())));
    }

    /// <inheritdoc/>
    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _switchboard.WaitForWorkAsync(timeout, cancellationToken);

    /// <inheritdoc/>
    public void Dispose() => _switchboard.Dispose();

    /// <summary>Takes one entry as a lease; null when gone, or unreadable (then preserved to bad and logged).</summary>
    internal async Task<IQueueLease?> TakeAsync(string filebase, CancellationToken cancellationToken)
    {
        try
        {
            var entry = await _switchboard.DequeueAsync(filebase, cancellationToken).ConfigureAwait(false);
            return new FileLease(_switchboard, _queues, entry);
        }
        catch (QueueEntryNotFoundException)
        {
            _logger.LogDebug("Queue {Queue}: entry {Filebase} vanished before dequeue; another process took it", QueueName, filebase);
            return null;
        }
        catch (QueueEntryCorruptException ex)
        {
            // A damaged entry is described by its message; a stack is only worth logging for a surprise.
            _logger.LogError("Queue {Queue} slice {Slice}/{SliceCount}: skipping and preserving unparseable message: {Filebase}: {Error}", QueueName, Slice, SliceCount, filebase, ex.Message);
            await _switchboard.FinishAsync(filebase, preserve: true, reason: $"unreadable: {ex.Message}", cancellationToken: CancellationToken.None).ConfigureAwait(false);
            _preservedDamaged?.Invoke();
            return null;
        }
    }

    private sealed class Pass(FileQueueSlice slice, FileSnapshot snapshot) : IQueuePass
    {
        private int _next;

        public int Count => snapshot.Ready.Count;

        public DateTimeOffset? NextDue => snapshot.NextDue;

        public async Task<IQueueLease?> TakeNextAsync(CancellationToken cancellationToken = default)
        {
            while (_next < snapshot.Ready.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (await slice.TakeAsync(snapshot.Ready[_next++], cancellationToken).ConfigureAwait(false) is { } lease)
                {
                    return lease;
                }
            }

            return null;
        }
    }
}
