using RunnerHost.Configuration;
using RunnerHost.Inspection;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues;

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
    /// A distributed back end may wait here, for its servers or for another host to let go of the
    /// slice; <paramref name="hooks"/> hears why.
    /// </summary>
    Task<IOwnedQueueSlice> OpenSliceAsync(RunnerSettings settings, int slice, int sliceCount, SliceHooks? hooks, CancellationToken cancellationToken);
}

/// <summary>What the opener of a slice wants to hear.</summary>
/// <param name="PreservedDamaged">Called for every unreadable entry a pass preserves to bad (metrics).</param>
/// <param name="Waiting">Called, with one line, whenever the opening waits for something else (the back end's servers, another host's claim on the slice).</param>
public sealed record SliceHooks(Action? PreservedDamaged = null, Action<string>? Waiting = null);

/// <summary>A slice its opener owns: disposing it releases what the back end holds for it (watchers, subscriptions).</summary>
public interface IOwnedQueueSlice : IQueueSlice, IDisposable;
