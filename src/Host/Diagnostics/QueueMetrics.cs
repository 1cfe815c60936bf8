using System.Diagnostics.Metrics;
using RunnerHost.Host.Configuration;
using RunnerHost.Host.Operations;

namespace RunnerHost.Host.Diagnostics;

/// <summary>Observable gauges over the queue directories (meter <c>RunnerHost.Queues</c>): depth and oldest due entry age per queue, from file names.</summary>
public sealed class QueueMetrics : IDisposable
{
    public const string MeterName = "RunnerHost.Queues";

    private readonly Meter _meter = new(MeterName);

    public QueueMetrics(HostConfiguration configuration, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(clock);
        var queues = configuration.Runners.Where(r => r.QueuePath is not null).ToList();
        IEnumerable<QueueShape> Shapes() => queues.Select(r => QueueShapes.Measure(r.Name, r.QueuePath!, r.Instances, clock.GetUtcNow()));
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
            () => Shapes().Select(s => new Measurement<long>(s.Strays?.Count ?? 0, new KeyValuePair<string, object?>("queue", s.Name))),
            description: "Files in the queue directory that no runner processes (directories, unknown files, unparseable names).");
    }

    public void Dispose() => _meter.Dispose();
}
