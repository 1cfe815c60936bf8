using RunnerHost.Inspection;
using RunnerHost.Plugins.Rest.Status;
using RunnerHost.Queues;

namespace RunnerHost.Plugins.Rest.Dashboard;

/// <summary>Something the operator should act on, shown above everything else.</summary>
/// <param name="Severity"><c>error</c> or <c>warning</c>.</param>
/// <param name="Text">One line saying what is wrong and where.</param>
public sealed record Banner(string Severity, string Text);

/// <summary>Everything the overview shows, measured at <paramref name="Now"/>.</summary>
public sealed record Overview(MasterView Master, IReadOnlyList<QueueSummary> Queues, IReadOnlyList<ThroughputMinute> Throughput, IReadOnlyList<Banner> Banners, DateTimeOffset Now)
{
    /// <summary>Measures the runners (the master's status), every queue (the inspection surface) and the throughput history.</summary>
    internal static async Task<Overview> MeasureAsync(RestOptions options, IQueueInspector inspector, ThroughputHistory throughput, TimeProvider clock, CancellationToken cancellationToken)
    {
        var master = await MasterStatusFile.ReadAsync(options.VarDir, cancellationToken).ConfigureAwait(false);
        var queues = new List<QueueSummary>();
        foreach (string name in inspector.QueueNames)
        {
            queues.Add(await inspector.SummarizeAsync(name, cancellationToken).ConfigureAwait(false));
        }

        var minutes = throughput.Snapshot();
        return new Overview(master, queues, minutes, BannersOf(master, queues, minutes), clock.GetUtcNow());
    }

    private static List<Banner> BannersOf(MasterView master, IReadOnlyList<QueueSummary> queues, IReadOnlyList<ThroughputMinute> minutes)
    {
        var banners = new List<Banner>();
        if (!master.Running)
        {
            banners.Add(new Banner("warning", master.Message));
        }

        foreach (var slice in master.Slices.Where(s => s.State == "failed"))
        {
            string reason = (slice.FailureReason, slice.LastExit) switch
            {
                ({ } failure, { } exit) when !failure.Contains(exit, StringComparison.Ordinal) => $"{failure} (last exit: {exit})",
                ({ } failure, _) => failure,
                (null, { } exit) => exit,
                _ => "no reason recorded",
            };
            banners.Add(new Banner("error", $"{slice.Name} failed: {reason}"));
        }

        foreach (var slice in master.Slices.Where(s => s.State == "backoff"))
        {
            banners.Add(new Banner("warning", $"{slice.Name} is restarting after {slice.LastExit ?? "an exit"}"));
        }

        foreach (var queue in queues.Where(q => q.Problem is not null))
        {
            banners.Add(new Banner("error", $"Queue {queue.Name} cannot be read: {queue.Problem}"));
        }

        if (queues.FirstOrDefault(q => q.Name == QueueNames.Shunt) is { Depth: > 0 } shunt)
        {
            long recent = minutes.Sum(m => m.Shunted);
            banners.Add(new Banner(
                recent > 0 ? "error" : "warning",
                recent > 0
                    ? $"The shunt queue is growing: {shunt.Depth} entries, {recent} shunted in the last {ThroughputHistory.Minutes} minutes"
                    : $"{shunt.Depth} entries wait in the shunt queue"));
        }

        return banners;
    }
}
