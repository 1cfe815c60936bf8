using Microsoft.Extensions.Logging;
using NATS.Client.KeyValueStore;
using RunnerHost.Configuration;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Inspection;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>
/// The NATS JetStream back end (docs/scale-out.md): every queue a stream shared by every host
/// configured against the same servers and prefix; slices claimed by one host at a time.
/// </summary>
public sealed class JetStreamQueueBackend : IQueueBackend
{
    private readonly QueueBackendSettings _settings;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _clock;
    private readonly JetStreamConnection _connection;
    private readonly JetStreamStore _store;
    private readonly JetStreamQueueRegistry _queues;
    private readonly UncountedDeliveries _uncounted;
    private readonly JetStreamPreservation _preservation;
    private readonly Lock _gate = new();
    private readonly JetStreamInspector _inspector;
    private Task<INatsKVStore>? _claims;

    public JetStreamQueueBackend(HostConfiguration configuration, ILoggerFactory loggerFactory, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _settings = configuration.QueueBackend;
        _loggerFactory = loggerFactory;
        _clock = clock;
        var queued = configuration.Runners.Where(r => r.QueuePath is not null).ToList();
        foreach (var runner in queued.Where(r => !JetStreamNames.IsValidQueueName(r.Name)))
        {
            throw new ConfigurationException($"[runner.{runner.Name}]: the queue name '{runner.Name}' cannot name a JetStream stream (letters, digits, '-' and '_' only)");
        }

        var names = new JetStreamNames(_settings.Prefix);
        _connection = new JetStreamConnection(_settings, loggerFactory, clock);
        _store = new JetStreamStore(_connection, _settings, names, loggerFactory.CreateLogger("RunnerHost.Queues.JetStream"));
        _queues = new JetStreamQueueRegistry(queued.Select(r => r.Name), _store, clock);
        _uncounted = new UncountedDeliveries(_connection, names, _settings.Replicas);
        _preservation = new JetStreamPreservation(_store, clock);
        Inspector = _inspector = new JetStreamInspector(_store, _queues, _preservation, queued.GroupBy(r => r.Name).ToDictionary(g => g.Key, g => g.First().Instances, StringComparer.Ordinal), clock);
    }

    public IQueueRegistry Queues => _queues;

    public IQueueInspector Inspector { get; }

    /// <summary>The connection, for the back end's state in <c>status</c>, REST and the tests.</summary>
    public JetStreamConnection Connection => _connection;

    public QueueBackendSettings Settings => _settings;

    /// <summary>The stream operations underneath (the back end's own tools and tests).</summary>
    public JetStreamStore Store => _store;

    public async Task<IOwnedQueueSlice> OpenSliceAsync(RunnerSettings settings, int slice, int sliceCount, SliceHooks? hooks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.QueuePath is null)
        {
            throw new InvalidOperationException($"[runner.{settings.Name}] has no queue (its path is empty).");
        }

        var logger = _loggerFactory.CreateLogger($"RunnerHost.Queues.{settings.Name}");
        await _connection.WhenOpenAsync(hooks?.Waiting, cancellationToken).ConfigureAwait(false);
        var claims = await RetryWhileUnavailableAsync(ClaimsAsync, hooks?.Waiting, cancellationToken).ConfigureAwait(false);
        await RetryWhileUnavailableAsync(async ct => { await _store.EnsureStreamAsync(settings.Name, ct).ConfigureAwait(false); return true; }, hooks?.Waiting, cancellationToken).ConfigureAwait(false);
        // The attempts bucket is read when a redelivered entry comes (a takeover): made now, not then.
        await RetryWhileUnavailableAsync(ct => _uncounted.GetAsync(settings.Name, 0, ct), hooks?.Waiting, cancellationToken).ConfigureAwait(false);
        var me = new SliceHolder(_settings.HostName, Environment.ProcessId, _clock.GetUtcNow());
        var claim = await SliceClaim.AcquireAsync(claims, JetStreamNames.SliceKey(settings.Name, slice, sliceCount), me, _settings.SliceLease, hooks?.Waiting, logger, cancellationToken).ConfigureAwait(false);
        var closing = new CancellationTokenSource();
        try
        {
            if (await RetryWhileUnavailableAsync(ct => _inspector.ReturnAbandonedAsync(settings.Name, slice, sliceCount, ct), hooks?.Waiting, cancellationToken).ConfigureAwait(false) is > 0 and var returned)
            {
                logger.LogWarning("Queue {Queue} slice {Slice}/{Count}: {Returned} entries held by a command that died came back", settings.Name, slice, sliceCount, returned);
            }

            return await RetryWhileUnavailableAsync(
                ct => JetStreamSlice.OpenAsync(
                    token => new JetStreamSliceContext(settings.Name, _store, _queues, _uncounted, _preservation, _settings.AckWait, _clock, logger, token),
                    claim,
                    slice,
                    sliceCount,
                    hooks?.PreservedDamaged,
                    closing,
                    ct),
                hooks?.Waiting,
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await claim.DisposeAsync().ConfigureAwait(false);
            closing.Dispose();
            throw;
        }
    }

    /// <summary>Who holds each slice of <paramref name="queue"/> now (for <c>status</c>): null where nobody does.</summary>
    public async Task<IReadOnlyList<SliceHolder?>> SliceHoldersAsync(string queue, int sliceCount, CancellationToken cancellationToken)
    {
        var claims = await ClaimsAsync(cancellationToken).ConfigureAwait(false);
        var holders = new List<SliceHolder?>();
        for (int slice = 0; slice < sliceCount; slice++)
        {
            holders.Add(await SliceClaim.HolderAsync(claims, JetStreamNames.SliceKey(queue, slice, sliceCount), cancellationToken).ConfigureAwait(false));
        }

        return holders;
    }

    public void Dispose() => _connection.Dispose();

    private Task<INatsKVStore> ClaimsAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_claims is not { IsFaulted: false, IsCanceled: false } claims)
            {
                claims = _claims = SliceClaim.OpenBucketAsync(_connection, _store.Names, _settings.Replicas, _settings.SliceLease, CancellationToken.None);
            }

            return claims.WaitAsync(cancellationToken);
        }
    }

    // A server that went away between connecting and setting up the slice: wait for it, as at start.
    private async Task<T> RetryWhileUnavailableAsync<T>(Func<CancellationToken, Task<T>> operation, Action<string>? waiting, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        string? told = null;
        while (true)
        {
            try
            {
                return await operation(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NATS.Client.Core.NatsException or QueueBackendUnavailableException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                string problem = $"waiting for the queue back end: {ex.Message}";
                if (problem != told)
                {
                    waiting?.Invoke(problem);
                    told = problem;
                }
            }

            await Task.Delay(delay, _clock, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
        }
    }
}
