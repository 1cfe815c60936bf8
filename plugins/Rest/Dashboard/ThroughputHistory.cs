using System.Globalization;
using RunnerHost.Operations;

namespace RunnerHost.Plugins.Rest.Dashboard;

/// <summary>Entries finished in one minute, summed over every runner.</summary>
public sealed record ThroughputMinute(DateTimeOffset Start, long Processed, long Shunted, long Requeued);

/// <summary>
/// The last 15 minutes of throughput, from the host's own metrics (<see cref="IMetricsExporter"/>), so
/// the dashboard needs no external monitoring: the counters are sampled every few seconds and their
/// increases summed per minute. A counter that went down belongs to a restarted runner process; its
/// new value is the increase.
/// </summary>
internal sealed class ThroughputHistory(IMetricsExporter metrics, TimeProvider clock)
{
    public const int Minutes = 15;
    private static readonly string[] Counters = ["runnerhost_messages_processed_total", "runnerhost_messages_shunted_total", "runnerhost_messages_requeued_total"];
    private readonly Lock _lock = new();
    private readonly Dictionary<string, double> _last = new(StringComparer.Ordinal);
    private readonly SortedDictionary<DateTimeOffset, long[]> _minutes = [];
    private bool _primed;

    /// <summary>The last <see cref="Minutes"/> whole minutes and the current one, oldest first, with empty minutes filled in.</summary>
    public IReadOnlyList<ThroughputMinute> Snapshot()
    {
        var current = MinuteOf(clock.GetUtcNow());
        lock (_lock)
        {
            return [.. Enumerable.Range(0, Minutes + 1).Select(i => current.AddMinutes(i - Minutes)).Select(start =>
                _minutes.TryGetValue(start, out var c) ? new ThroughputMinute(start, c[0], c[1], c[2]) : new ThroughputMinute(start, 0, 0, 0))];
        }
    }

    /// <summary>Reads the counters once and adds their increases to the current minute.</summary>
    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        string text = await metrics.CollectAsync(cancellationToken).ConfigureAwait(false);
        var minute = MinuteOf(clock.GetUtcNow());
        lock (_lock)
        {
            var sums = new long[Counters.Length];
            foreach (var (series, counter, value) in Parse(text))
            {
                // A series seen for the first time after the first sample is a runner process that started
                // since: everything it counted is new. One that went down belongs to a restarted process.
                double increase = _last.TryGetValue(series, out double previous) ? (value >= previous ? value - previous : value) : value;
                _last[series] = value;
                // The first sample only learns where the counters stand: what they counted before is not this window's.
                if (_primed)
                {
                    sums[counter] += (long)increase;
                }
            }

            _primed = true;
            if (!_minutes.TryGetValue(minute, out var bucket))
            {
                _minutes[minute] = bucket = new long[Counters.Length];
            }

            for (int i = 0; i < sums.Length; i++)
            {
                bucket[i] += sums[i];
            }

            foreach (var old in _minutes.Keys.Where(k => k < minute.AddMinutes(-Minutes)).ToList())
            {
                _minutes.Remove(old);
            }
        }
    }

    /// <summary>Runs <see cref="SampleAsync"/> every <paramref name="interval"/> until cancelled; a failed sample is skipped.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            try
            {
                await SampleAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Metrics files being rewritten, a queue back end down: the next sample tries again.
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    private static DateTimeOffset MinuteOf(DateTimeOffset time) => new(time.Year, time.Month, time.Day, time.Hour, time.Minute, 0, TimeSpan.Zero);

    // The Prometheus text format, only as far as these counters need: "name{labels} value [timestamp]".
    private static IEnumerable<(string Series, int Counter, double Value)> Parse(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int counter = Array.FindIndex(Counters, c => line.StartsWith(c, StringComparison.Ordinal) && line.Length > c.Length && line[c.Length] is '{' or ' ');
            int end = line.LastIndexOf('}');
            int valueStart = line.IndexOf(' ', end < 0 ? 0 : end);
            if (counter < 0 || valueStart < 0)
            {
                continue;
            }

            string[] rest = line[(valueStart + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (rest.Length > 0 && double.TryParse(rest[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) && value >= 0)
            {
                yield return (line[..valueStart], counter, value);
            }
        }
    }
}
