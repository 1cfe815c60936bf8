using RunnerHost.Configuration;
using RunnerHost.Inspection;
using RunnerHost.Queues;

namespace RunnerHost.Host.Queues;

/// <summary>
/// Where the queues of one installation live: the file back end (the embedded default) or a
/// distributed engine. It hands out the producer side (<see cref="Queues"/>), the inspection surface
/// (<see cref="Inspector"/>), and runners' slices, recovered before they are handed out.
/// </summary>
public interface IQueueBackend : IDisposable
{
    /// <summary>Every configured queue, to enqueue into.</summary>
    IQueueRegistry Queues { get; }

    /// <summary>What operators see of the queues.</summary>
    IQueueInspector Inspector { get; }

    /// <summary>
    /// Opens slice <paramref name="slice"/> of <paramref name="sliceCount"/> of the runner's queue, after
    /// recovering its interrupted entries. The caller holds the slice lock and disposes the slice.
    /// <paramref name="preservedDamaged"/> is called for every unreadable entry a pass preserves to bad.
    /// </summary>
    Task<IOwnedQueueSlice> OpenSliceAsync(RunnerSettings settings, int slice, int sliceCount, Action? preservedDamaged, CancellationToken cancellationToken);
}

/// <summary>A slice its opener owns: disposing it releases what the back end holds for it (watchers, subscriptions).</summary>
public interface IOwnedQueueSlice : IQueueSlice, IDisposable;
