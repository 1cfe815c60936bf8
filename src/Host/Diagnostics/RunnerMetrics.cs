using System.Diagnostics.Metrics;
using RunnerHost.Hosting.Engine;

namespace RunnerHost.Hosting.Diagnostics;

/// <summary>
/// The runner instruments (meter <c>RunnerHost.Runners</c>), fed by the host's runner loop and queue
/// back end (<see cref="IEntryOutcomes"/>), so the runner contract stays free of any metrics
/// dependency. Each taken entry ends in exactly one of processed, requeued (kept queued), shunted or
/// preserved (a released one is taken again later).
/// </summary>
public sealed class RunnerMetrics : IEntryOutcomes, IDisposable
{
    public const string MeterName = "RunnerHost.Runners";

    private readonly Meter _meter = new(MeterName);

    public RunnerMetrics()
    {
        Processed = _meter.CreateCounter<long>("runnerhost.messages.processed", description: "Entries whose dispose hook completed (not kept queued).");
        Requeued = _meter.CreateCounter<long>("runnerhost.messages.requeued", description: "Entries the dispose hook kept queued.");
        Shunted = _meter.CreateCounter<long>("runnerhost.messages.shunted", description: "Entries moved to the shunt queue.");
        Preserved = _meter.CreateCounter<long>("runnerhost.messages.preserved", description: "Entries moved to bad (unreadable or unshuntable).");
        DisposeDuration = _meter.CreateHistogram<double>("runnerhost.dispose.duration", unit: "s", description: "Time from dequeue to finish of an entry.");
    }

    internal Counter<long> Processed { get; }

    internal Counter<long> Requeued { get; }

    internal Counter<long> Shunted { get; }

    internal Counter<long> Preserved { get; }

    internal Histogram<double> DisposeDuration { get; }

    /// <inheritdoc/>
    public void Record(string runner, string slice, EntryOutcome outcome, TimeSpan duration)
    {
        var counter = outcome switch
        {
            EntryOutcome.Requeued => Requeued,
            EntryOutcome.Shunted => Shunted,
            EntryOutcome.Preserved => Preserved,
            EntryOutcome.Processed => Processed,
            _ => null, // A released entry comes back; it is counted when it ends.
        };
        if (counter is null)
        {
            return;
        }

        // The two-tag overloads take the tags on the stack: no array per entry.
        var runnerTag = new KeyValuePair<string, object?>("runner", runner);
        var sliceTag = new KeyValuePair<string, object?>("slice", slice);
        counter.Add(1, runnerTag, sliceTag);
        DisposeDuration.Record(duration.TotalSeconds, runnerTag, sliceTag);
    }

    public void Dispose() => _meter.Dispose();
}
