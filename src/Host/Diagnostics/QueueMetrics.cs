using System.Diagnostics.Metrics;
using RunnerHost.Inspection;

namespace RunnerHost.Hosting.Diagnostics;

/// <summary>Observable gauges over the queues (meter <c>RunnerHost.Queues</c>): depth, oldest due entry age and strays per queue, from the inspection surface's summaries.</summary>
public sealed class QueueMetrics : IDisposable
{
    public const string MeterName = "RunnerHost.Queues";

    private readonly Meter _meter = new(MeterName);

    public QueueMetrics(IQueueInspector inspector)
    {
        ArgumentNullException.ThrowIfNull(inspector);
        // Gauges are read synchronously by the exporter; a summary is a directory listing (or a quick
        // request to a queue engine), measured once per gauge per scrape.
        // A queue that could not be measured (its back end does not answer) is left out, not reported as empty.
        IEnumerable<QueueSummary> Shapes() => inspector.QueueNames.Select(name => inspector.SummarizeAsync(name).GetAwaiter().GetResult()).Where(s => s.Problem is null);
        _meter.CreateObservableGauge(
            "runnerhost.queue.depth",
            () => Shapes().Select(s => new Measurement<long>(s.Depth, new KeyValuePair<string, object?>("queue", s.Name))),
            description: "Entries in the queue (ready, not yet due and taken).");
        _meter.CreateObservableGauge(
            "runnerhost.queue.oldest_age",
            () => Shapes().Select(s => new Measurement<double>(s.OldestAge?.TotalSeconds ?? 0, new KeyValuePair<string, object?>("queue", s.Name))),
            unit: "s",
            description: "Age of the oldest due entry (0 when none is due).");
        _meter.CreateObservableGauge(
            "runnerhost.queue.strays",
            () => Shapes().Select(s => new Measurement<long>(s.StrayCount, new KeyValuePair<string, object?>("queue", s.Name))),
            description: "Files in the queue directory that no runner processes (directories, unknown files, unparseable names).");
    }

    public void Dispose() => _meter.Dispose();
}
