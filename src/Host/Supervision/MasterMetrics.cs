using System.Diagnostics.Metrics;

namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// The master's instruments (meter <c>RunnerHost.Master</c>), labelled <c>runner</c> and <c>slice</c>
/// (<c>0/2</c>, as the runner meter): automatic restarts by exit cause, the state of every slice in
/// Prometheus "enum" style (one series per state, 1 for the current one), the last backoff delay, the
/// uptime of the current run, and the master's own uptime. Gauges are read when collected.
/// </summary>
public sealed class MasterMetrics : IDisposable
{
    public const string MeterName = "RunnerHost.Master";

    /// <summary>The master's file under <c>$var_dir/metrics/</c>.</summary>
    public const string FileName = "master.prom";

    private static readonly SliceState[] States = Enum.GetValues<SliceState>();

    private readonly Meter _meter = new(MeterName);
    private readonly IReadOnlyList<SliceSupervisor> _slices;
    private readonly Counter<long> _restarts;

    public MasterMetrics(IReadOnlyList<SliceSupervisor> slices, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(slices);
        ArgumentNullException.ThrowIfNull(clock);
        _slices = slices;
        var startedAt = clock.GetUtcNow();
        _restarts = _meter.CreateCounter<long>(
            "runnerhost.runner.restarts",
            description: "Automatic restarts of a runner slice after an unexpected exit, by cause (operator restarts are not counted).");
        _meter.CreateObservableGauge(
            "runnerhost.runner.state",
            () => slices.SelectMany(s => States.Select(state => new Measurement<long>(
                s.State == state ? 1 : 0,
                Tags(s.Id, new KeyValuePair<string, object?>("state", StateName(state)))))),
            description: "1 for the current state of the slice (starting, waiting, running, backoff, stopping, failed, stopped), 0 for the others.");
        _meter.CreateObservableGauge(
            "runnerhost.runner.backoff_delay",
            () => slices.Select(s => new Measurement<double>(s.LastBackoffDelay.TotalSeconds, Tags(s.Id))),
            unit: "s",
            description: "The delay chosen before the last automatic restart of the slice (0 until the first).");
        _meter.CreateObservableGauge(
            "runnerhost.runner.uptime",
            () => slices.Select(s => new Measurement<double>(Uptime(s, clock.GetUtcNow()), Tags(s.Id))),
            unit: "s",
            description: "Time since the current run of the slice started (0 when it is not running).");
        _meter.CreateObservableGauge(
            "runnerhost.master.uptime",
            () => (clock.GetUtcNow() - startedAt).TotalSeconds,
            unit: "s",
            description: "Time since the master started.");
        foreach (var slice in slices)
        {
            slice.Restarting += OnRestarting;
        }
    }

    public void Dispose()
    {
        foreach (var slice in _slices)
        {
            slice.Restarting -= OnRestarting;
        }

        _meter.Dispose();
    }

    /// <summary>The state's name as status shows it (lower case).</summary>
    internal static string StateName(SliceState state) => state.ToString().ToLowerInvariant();

    private static KeyValuePair<string, object?>[] Tags(SliceId id, params KeyValuePair<string, object?>[] more) =>
        [new("runner", id.Runner), new("slice", $"{id.Slice}/{id.Count}"), .. more];

    private static double Uptime(SliceSupervisor slice, DateTimeOffset now) =>
        slice.State is SliceState.Starting or SliceState.Running && slice.StartedAt is { } started
            ? Math.Max(0, (now - started).TotalSeconds)
            : 0;

    private void OnRestarting(object? sender, WorkerExit exit)
    {
        if (sender is SliceSupervisor slice)
        {
            _restarts.Add(1, Tags(slice.Id, new KeyValuePair<string, object?>("cause", exit.Cause)));
        }
    }
}
