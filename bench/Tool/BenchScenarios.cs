using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Queues.Files;

namespace RunnerHost.Bench;

/// <summary>
/// The <c>runner-host-bench</c> scenarios. Every one uses the real switchboard and the real runner
/// loop (recovery, listing, dequeue, dispose, finish, snooze woken by the notifier) with a no-op
/// dispose hook, on a throw-away var directory.
/// </summary>
public sealed class BenchScenarios(ILoggerFactory loggerFactory)
{
    private static readonly TimeSpan CompletionTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Round trip on files: <paramref name="producers"/> threads enqueue <paramref name="messages"/> in all while one runner drains them.</summary>
    public Task<BenchResult> SwitchboardAsync(int messages, int producers, bool fsync, CancellationToken cancellationToken) =>
        SwitchboardAsync(messages, producers, BenchBackend.Files(fsync), cancellationToken);

    /// <summary>
    /// Round trip: <paramref name="producers"/> threads enqueue <paramref name="messages"/> in all while one
    /// runner drains them, on <paramref name="backend"/>. JetStream without servers starts a throw-away
    /// server (or three-node cluster) first, outside the timing, and stops it after.
    /// </summary>
    public async Task<BenchResult> SwitchboardAsync(int messages, int producers, BenchBackend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        await using var nats = backend is { Kind: QueueBackendKind.JetStream, Servers: null }
            ? await ThrowAwayNats.StartAsync(backend.Replicas, cancellationToken).ConfigureAwait(false)
            : null;
        var effective = nats is null ? backend : backend with { Servers = nats.Servers };
        await using var host = BenchHost.Create(effective, loggerFactory);
        await using var running = await RunningRunner.StartAsync(host, host.CreateRunner(messages), cancellationToken).ConfigureAwait(false);
        var queue = host.ProducerQueue;
        var allocation = AllocationMark.Now();
        var serverCpu = nats?.CpuTime();
        var start = Stopwatch.GetTimestamp();
        // Dedicated threads: each producer stands for a separate writer (an LMTP session, a runner).
        var writers = Enumerable.Range(0, producers).Select(p => Task.Factory.StartNew(
            async () =>
            {
                var message = BenchMessages.Create(p);
                for (int i = p; i < messages; i += producers)
                {
                    await queue.EnqueueAsync(message, BenchMessages.Metadata(), cancellationToken: cancellationToken).ConfigureAwait(false);
                }
            },
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap()).ToList();
        await Task.WhenAll(writers).ConfigureAwait(false);
        var enqueued = Stopwatch.GetElapsedTime(start);
        await running.WaitForCompletionAsync(CompletionTimeout, cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(start);
        var result = new BenchResult("switchboard")
            .Add("backend", backend.Name)
            .Add("messages", messages)
            .Add("producers", producers);
        if (backend.Kind == QueueBackendKind.JetStream)
        {
            // The file store does not fsync each message: an acknowledged publish is durable by its replicas.
            result.Add("replicas", backend.Replicas)
                .Add("servers", nats?.Description ?? string.Join(",", effective.Servers ?? []));
        }
        else
        {
            result.Add("fsync", backend.Fsync).Add("commit", backend.Commit == QueueCommit.Fsync ? "fsync" : "journal");
        }

        result.Add("elapsed_s", elapsed.TotalSeconds)
            .Add("msgs_per_s", messages / elapsed.TotalSeconds)
            .Add("enqueue_s", enqueued.TotalSeconds);
        if (host.DirectorySyncCount is { } directorySyncs)
        {
            result.Add("dir_fsyncs", directorySyncs);
        }

        if (host.JournalCounts is { } journal)
        {
            result.Add("journal_flushes", journal.Flushes).Add("journal_checkpoints", journal.Checkpoints);
        }

        result.AddAllocations(allocation, messages);
        if (nats is not null && serverCpu is { } before)
        {
            // The servers run on the same cores: their share is part of what a message costs here.
            result.Add("server_cpu_us_per_msg", (nats.CpuTime() - before).TotalMicroseconds / messages);
        }

        return result;
    }

    /// <summary>
    /// Idle latency: one message at a time, each after a pause that lets the runner go back to
    /// sleep; measured from the start of the enqueue (and from its return) to the dispose hook.
    /// </summary>
    public async Task<BenchResult> LatencyAsync(int messages, bool fsync, TimeSpan pause, CancellationToken cancellationToken)
    {
        await using var host = BenchHost.Create(fsync, loggerFactory);
        var arrivals = Channel.CreateUnbounded<long>();
        await using var running = await RunningRunner.StartAsync(host, host.CreateRunner(messages, t => arrivals.Writer.TryWrite(t)), cancellationToken).ConfigureAwait(false);
        var queue = host.ProducerQueue;
        var message = BenchMessages.Create(0);
        var total = new double[messages];
        var wake = new double[messages];
        for (int i = 0; i < messages; i++)
        {
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            long before = Stopwatch.GetTimestamp();
            await queue.EnqueueAsync(message, BenchMessages.Metadata(), cancellationToken: cancellationToken).ConfigureAwait(false);
            long published = Stopwatch.GetTimestamp();
            long disposed = await arrivals.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            total[i] = Stopwatch.GetElapsedTime(before, disposed).TotalMilliseconds;
            wake[i] = Math.Max(0, Stopwatch.GetElapsedTime(published, disposed).TotalMilliseconds);
        }

        return new BenchResult("latency")
            .Add("messages", messages)
            .Add("fsync", fsync)
            .Add("pause_ms", pause.TotalMilliseconds)
            .Add("p50_ms", Stats.Percentile(total, 0.50))
            .Add("p99_ms", Stats.Percentile(total, 0.99))
            .Add("max_ms", total.Max())
            .Add("wake_p50_ms", Stats.Percentile(wake, 0.50))
            .Add("wake_p99_ms", Stats.Percentile(wake, 0.99));
    }

    /// <summary>
    /// Drain: a backlog of <paramref name="backlog"/> entries is written first (without fsync: it is
    /// set-up, and dequeue and finish never fsync), then one runner is started and timed until the
    /// queue is empty.
    /// </summary>
    /// <param name="backlog">How many entries.</param>
    /// <param name="parse">The runner reads the parsed message (the MIME parse is then part of each message's cost).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public async Task<BenchResult> DrainAsync(int backlog, bool parse, CancellationToken cancellationToken)
    {
        await using var host = BenchHost.Create(fsync: false, loggerFactory);
        var queue = host.ProducerQueue;
        var message = BenchMessages.Create(0);
        for (int i = 0; i < backlog; i++)
        {
            await queue.EnqueueAsync(message, BenchMessages.Metadata(), cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        // Only the drain is the runner loop's cost per message: the backlog's writes come before the mark.
        var allocation = AllocationMark.Now();
        long start = Stopwatch.GetTimestamp();
        await using var running = await RunningRunner.StartNowAsync(host, host.CreateRunner(backlog, parse: parse), cancellationToken).ConfigureAwait(false);
        await running.WaitForCompletionAsync(CompletionTimeout, cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(start);
        return new BenchResult("drain")
            .Add("backlog", backlog)
            .Add("parse", parse)
            .Add("elapsed_s", elapsed.TotalSeconds)
            .Add("us_per_msg", elapsed.TotalMicroseconds / backlog)
            .Add("msgs_per_s", backlog / elapsed.TotalSeconds)
            .AddAllocations(allocation, backlog);
    }
}
