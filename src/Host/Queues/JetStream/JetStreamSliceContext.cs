using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>What a slice and its leases share: the stores, the clock, and the retry of endings through an outage.</summary>
internal sealed class JetStreamSliceContext(
    string queue,
    JetStreamStore store,
    JetStreamQueueRegistry queues,
    UncountedDeliveries uncounted,
    JetStreamPreservation preservation,
    TimeSpan ackWait,
    TimeProvider clock,
    ILogger logger,
    CancellationToken closing)
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(5);

    public string Queue => queue;

    public JetStreamStore Store => store;

    public JetStreamQueueRegistry Queues => queues;

    public UncountedDeliveries Uncounted => uncounted;

    public TimeSpan AckWait => ackWait;

    public TimeProvider Clock => clock;

    public ILogger Logger => logger;

    /// <summary>Set when a lease of this slice kept its entry for later: the slice's next pass lists its later entries at once.</summary>
    public bool LaterEntryAdded { get; set; }

    public Task PreserveAsync(string id, byte[] stored, string reason, string messageId) =>
        RetryAsync("preserve", id, async () => await preservation.PreserveAsync(queue, id, stored, reason, messageId, CancellationToken.None).ConfigureAwait(false));

    public Task RetryAsync(string what, string id, Func<ValueTask> operation) =>
        RetryAsync(what, id, async () =>
        {
            await operation().ConfigureAwait(false);
            return true;
        });

    /// <summary>
    /// Runs <paramref name="operation"/> until it succeeds: through an outage the runner waits here (and
    /// says so once), and goes on when the server is back. Gives up only when the slice closes; the
    /// entry is then offered again by the server.
    /// </summary>
    public async Task<T> RetryAsync<T>(string what, string id, Func<Task<T>> operation)
    {
        var delay = FirstRetry;
        bool told = false;
        while (true)
        {
            try
            {
                var result = await operation().ConfigureAwait(false);
                if (told)
                {
                    logger.LogInformation("Queue {Queue}: {What} {Id} succeeded after the outage", queue, what, id);
                }

                return result;
            }
            // A request that timed out may surface as a cancellation of its own token, not ours.
            catch (Exception ex) when (ex is NatsException or IOException or TimeoutException or OperationCanceledException && !closing.IsCancellationRequested)
            {
                if (!told)
                {
                    logger.LogWarning("Queue {Queue}: could not {What} {Id}: {Error}; retrying until the queue back end answers", queue, what, id, ex.Message);
                    told = true;
                }
            }

            try
            {
                await Task.Delay(delay, clock, closing).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new QueueBackendUnavailableException($"queue {queue}: could not {what} {id} before the slice closed; the server offers the entry again");
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetry.Ticks));
        }
    }
}
