using System.Diagnostics;
using RunnerHost.Host.Supervision;

namespace RunnerHost.Host.Benchmarks;

/// <summary>
/// The <c>runner-host bench</c> scenarios of the master: cold start, restart after SIGKILL, and
/// resident memory. Each runs a real <c>runner-host start</c> (see <see cref="BenchMaster"/>) with
/// process-isolated MaildirArchiveRunner slices and reads its <c>master.status.json</c>, which the
/// master rewrites on every state change; a slice turns <c>running</c> at the master's first
/// 250 ms poll after the child reported ready.
/// </summary>
public static class MasterScenarios
{
    /// <summary>Time from starting the master process until its status shows every slice running; <paramref name="repeats"/> fresh masters.</summary>
    public static async Task<BenchResult> ColdStartAsync(int runners, int repeats, CancellationToken cancellationToken)
    {
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            await using var master = BenchMaster.Start(runners);
            var (_, seenAt) = await master.WaitForAllRunningAsync(runners, cancellationToken).ConfigureAwait(false);
            times[i] = Stopwatch.GetElapsedTime(master.StartedAt, seenAt).TotalSeconds;
        }

        return new BenchResult("cold-start")
            .Add("runners", runners)
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
    public static async Task<BenchResult> RssAsync(int runners, TimeSpan settle, CancellationToken cancellationToken)
    {
        await using var master = BenchMaster.Start(runners);
        await master.WaitForAllRunningAsync(runners, cancellationToken).ConfigureAwait(false);
        await Task.Delay(settle, cancellationToken).ConfigureAwait(false);
        var status = master.Status() ?? throw new InvalidOperationException("the master's status file vanished");
        double masterRss = BenchMaster.RssMegabytes(master.Pid) ?? throw new InvalidOperationException($"cannot read /proc/{master.Pid}/status");
        var children = status.Slices
            .Select(s => s.Pid is { } pid ? BenchMaster.RssMegabytes(pid) : null)
            .OfType<double>()
            .ToArray();
        if (children.Length != runners)
        {
            throw new InvalidOperationException($"read the RSS of {children.Length} of {runners} runner processes");
        }

        return new BenchResult("rss")
            .Add("runners", runners)
            .Add("master_mb", masterRss)
            .Add("runner_min_mb", children.Min())
            .Add("runner_median_mb", Stats.Percentile(children, 0.5))
            .Add("runner_max_mb", children.Max())
            .Add("total_mb", masterRss + children.Sum());
    }
}
