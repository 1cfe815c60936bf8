using System.Diagnostics;
using System.Diagnostics.Metrics;
using RunnerHost.Queues;

namespace RunnerHost.Host.Diagnostics;

/// <summary>
/// The runner instruments (meter <c>RunnerHost.Runners</c>), fed from the host side: the runner's
/// switchboard and queue registry are wrapped (<see cref="Decorate"/>), so the runner contract
/// (src/Abstractions) stays free of any metrics dependency. Each dequeued entry ends in exactly one of
/// processed, requeued (kept queued), shunted or preserved.
/// </summary>
public sealed class RunnerMetrics : IDisposable
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

    /// <summary>A copy of <paramref name="context"/> whose switchboard and registry report to these instruments.</summary>
    public RunnerContext Decorate(RunnerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tracker = new EntryTracker(this, context.Settings.Name, $"{context.Slice}/{context.SliceCount}");
        return new RunnerContext
        {
            Settings = context.Settings,
            Slice = context.Slice,
            SliceCount = context.SliceCount,
            Switchboard = context.Switchboard is { } own ? new MeteredSwitchboard(own, tracker, isOwn: true) : null,
            Queues = new MeteredRegistry(context.Queues, tracker),
            Lists = context.Lists,
            Events = context.Events,
            Logger = context.Logger,
            Clock = context.Clock,
        };
    }

    public void Dispose() => _meter.Dispose();

    /// <summary>The outcome of the entry in hand of one runner slice (a slice processes one entry at a time).</summary>
    internal sealed class EntryTracker(RunnerMetrics metrics, string runner, string slice)
    {
        private readonly KeyValuePair<string, object?>[] _tags = [new("runner", runner), new("slice", slice)];
        private long _started;
        private Outcome _outcome;

        public void Dequeued()
        {
            _started = Stopwatch.GetTimestamp();
            _outcome = Outcome.Processed;
        }

        public void EnqueuedInto(string queue, bool isOwn)
        {
            if (_started == 0)
            {
                return;
            }

            if (isOwn)
            {
                _outcome = Outcome.Requeued;
            }
            else if (queue == QueueNames.Shunt)
            {
                _outcome = Outcome.Shunted;
            }
        }

        public void Finished(bool preserve)
        {
            var outcome = preserve ? Outcome.Preserved : _outcome;
            var counter = outcome switch
            {
                Outcome.Requeued => metrics.Requeued,
                Outcome.Shunted => metrics.Shunted,
                Outcome.Preserved => metrics.Preserved,
                _ => metrics.Processed,
            };
            counter.Add(1, _tags);
            if (_started != 0)
            {
                metrics.DisposeDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, _tags);
            }

            _started = 0;
        }

        public void Released() => _started = 0;

        private enum Outcome
        {
            Processed,
            Requeued,
            Shunted,
            Preserved,
        }
    }
}
