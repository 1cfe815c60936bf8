using System.Diagnostics.Metrics;
using System.Text;
using Prometheus;

namespace RunnerHost.Hosting.Diagnostics;

/// <summary>
/// Prometheus text exposition of System.Diagnostics.Metrics instruments: a MeterListener feeds
/// prometheus-net collectors (which do the text format). prometheus-net's own MeterAdapter exported
/// nothing from a fresh custom registry in our tests, hence this small bridge. Names: dots become
/// underscores, counters end in <c>_total</c>, instruments with unit <c>s</c> end in <c>_seconds</c>.
/// </summary>
public sealed class PrometheusExport : IDisposable
{
    private static readonly double[] DurationBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly MetricFactory _factory;
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<SeriesKey, Action<double>> _series = [];

    /// <summary>Listens to the instruments of the meters named <paramref name="meterNames"/>.</summary>
    public PrometheusExport(params string[] meterNames)
    {
        _factory = Metrics.WithCustomRegistry(_registry);
        var names = meterNames.ToHashSet(StringComparer.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (names.Contains(instrument.Meter.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
        _registry.AddBeforeCollectCallback(_listener.RecordObservableInstruments);
    }

    /// <summary>The current values as Prometheus text.</summary>
    public async Task<string> CollectAsync(CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // The runner loop records two measurements per entry: resolving the labelled series each time (sorting,
        // names, label arrays) cost more than the rest of the loop, so each series is resolved once.
        if (tags.Length > SeriesKey.MaxTags)
        {
            lock (_lock)
            {
                Resolve(instrument, tags)(value);
            }

            return;
        }

        var key = new SeriesKey(instrument, tags);
        lock (_lock)
        {
            if (!_series.TryGetValue(key, out var observe))
            {
                observe = Resolve(instrument, tags);
                _series.Add(key, observe);
            }

            observe(value);
        }
    }

    private Action<double> Resolve(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var sorted = tags.ToArray().OrderBy(t => t.Key, StringComparer.Ordinal).ToArray();
        string[] labelNames = [.. sorted.Select(t => t.Key.Replace('.', '_'))];
        string[] labelValues = [.. sorted.Select(t => t.Value?.ToString() ?? string.Empty)];
        string name = instrument.Name.Replace('.', '_') + (instrument.Unit == "s" ? "_seconds" : string.Empty);
        string help = instrument.Description ?? instrument.Name;
        switch (instrument)
        {
            case Counter<long> or Counter<double>:
                var counter = _factory.CreateCounter(name + "_total", help, labelNames).WithLabels(labelValues);
                return counter.Inc;
            case Histogram<long> or Histogram<double>:
                var histogram = _factory.CreateHistogram(name, help, labelNames, new HistogramConfiguration { Buckets = DurationBuckets }).WithLabels(labelValues);
                return histogram.Observe;
            default:
                var gauge = _factory.CreateGauge(name, help, labelNames).WithLabels(labelValues);
                return gauge.Set;
        }
    }
}
