using System.Diagnostics;
using System.Globalization;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Bench;

/// <summary>
/// The <c>runner-host-bench</c> scenarios of the master: cold start, restart after SIGKILL, and
/// resident memory. Each runs a real <c>runner-host start</c> (see <see cref="BenchMaster"/>) with
/// process-isolated MaildirArchiveRunner slices, or the runners of a given configuration file, and
/// reads its <c>master.status.json</c>, which the master rewrites on every state change; a slice turns
/// <c>running</c> as soon as the master read the child's ready line.
/// </summary>
public static class MasterScenarios
{
    /// <summary>
    /// Time from starting the master process until its status shows every slice running; <paramref name="repeats"/> fresh masters.
    /// With <paramref name="configFile"/>, that file's runners instead of <paramref name="runners"/> archive runners.
    /// </summary>
    public static async Task<BenchResult> ColdStartAsync(int runners, int repeats, string? configFile, CancellationToken cancellationToken)
    {
        var times = new double[repeats];
        int slices = 0;
        for (int i = 0; i < repeats; i++)
        {
            await using var master = Start(runners, configFile);
            var (status, seenAt) = await master.WaitForAllRunningAsync(configFile is null ? runners : null, cancellationToken).ConfigureAwait(false);
            times[i] = Stopwatch.GetElapsedTime(master.StartedAt, seenAt).TotalSeconds;
            slices = status.Slices.Count;
        }

        return Named(new BenchResult("cold-start"), configFile)
            .Add("runners", slices)
            .Add("repeats", repeats)
            .Add("min_s", times.Min())
            .Add("median_s", Stats.Percentile(times, 0.5))
            .Add("max_s", times.Max());
    }

    /// <summary>With one runner slice: SIGKILL the child <paramref name="kills"/> times, each time until the status shows it running with a new pid.</summary>
    public static async Task<BenchResult> RestartAsync(int kills, CancellationToken cancellationToken)
    {
        const string Backoff = "0.1s";
        await using var master = BenchMaster.Start(1, Backoff);
        var (status, _) = await master.WaitForAllRunningAsync(1, cancellationToken).ConfigureAwait(false);
        var times = new double[kills];
        var backoffs = new List<double>();
        for (int i = 0; i < kills; i++)
        {
            int pid = status.Slices[0].Pid!.Value;
            long killedAt = Stopwatch.GetTimestamp();
            if (!Posix.SendSignal(pid, Posix.SigKill))
            {
                throw new InvalidOperationException($"could not SIGKILL runner pid {pid}");
            }

            // The backoff in effect: the delay the master chose (NextStartAt - UpdatedAt while in backoff), when seen.
            var (restarted, seenAt) = await master.WaitForAsync(
                s =>
                {
                    var slice = s.Slices[0];
                    if (slice.State == SliceState.Backoff && slice.NextStartAt is { } next && backoffs.Count == i)
                    {
                        backoffs.Add(Math.Max(0, (next - s.UpdatedAt).TotalSeconds));
                    }

                    return slice.State == SliceState.Running && slice.Pid is { } p && p != pid;
                },
                "the slice running with a new pid",
                cancellationToken).ConfigureAwait(false);
            times[i] = Stopwatch.GetElapsedTime(killedAt, seenAt).TotalSeconds;
            status = restarted;
        }

        return new BenchResult("restart")
            .Add("kills", kills)
            .Add("restart_backoff", Backoff)
            .Add("backoff_seen_max_s", backoffs.Count > 0 ? backoffs.Max() : 0.0)
            .Add("p50_s", Stats.Percentile(times, 0.5))
            .Add("max_s", times.Max())
            .Add("min_s", times.Min())
            .Add("restarts_in_window", status.Slices[0].RestartsInWindow);
    }

    /// <summary>VmRSS of the master and of each runner child, <paramref name="settle"/> after every slice is running.</summary>
    public static async Task<BenchResult> RssAsync(int runners, TimeSpan settle, string? configFile, CancellationToken cancellationToken)
    {
        await using var master = Start(runners, configFile);
        var (running, _) = await master.WaitForAllRunningAsync(configFile is null ? runners : null, cancellationToken).ConfigureAwait(false);
        int slices = running.Slices.Count;
        await Task.Delay(settle, cancellationToken).ConfigureAwait(false);
        var status = master.Status() ?? throw new InvalidOperationException("the master's status file vanished");
        double masterRss = BenchMaster.RssMegabytes(master.Pid) ?? throw new InvalidOperationException($"cannot read /proc/{master.Pid}/status");
        var measured = status.Slices
            .Select(s => (Slice: s, Mb: s.Pid is { } pid ? BenchMaster.RssMegabytes(pid) : null))
            .Where(m => m.Mb is not null)
            .ToArray();
        var children = measured.Select(m => m.Mb!.Value).ToArray();
        if (children.Length != slices)
        {
            throw new InvalidOperationException($"read the RSS of {children.Length} of {slices} runner processes");
        }

        var result = Named(new BenchResult("rss"), configFile);
        if (configFile is not null)
        {
            // Runners differ there: each one's figure, e.g. "lmtp:0=35.2 rest:0=52.0".
            result.Add("runner_mb", string.Join(' ', measured.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Slice.Runner}:{m.Slice.Slice}={m.Mb:0.0}"))));
        }

        return result
            .Add("runners", slices)
            .Add("master_mb", masterRss)
            .Add("runner_min_mb", children.Min())
            .Add("runner_median_mb", Stats.Percentile(children, 0.5))
            .Add("runner_max_mb", children.Max())
            .Add("total_mb", masterRss + children.Sum());
    }

    private static BenchMaster Start(int runners, string? configFile) =>
        configFile is null ? BenchMaster.Start(runners) : BenchMaster.StartFrom(configFile);

    private static BenchResult Named(BenchResult result, string? configFile) =>
        configFile is null ? result : result.Add("config", Path.GetFileName(configFile));
}
