using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>Who works a slice, as every host reads it in the slice claims bucket.</summary>
public sealed record SliceHolder(
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("since")] DateTimeOffset Since)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"host {Host} pid {Pid}");
}

/// <summary>
/// A host's claim on one slice across every host sharing the cluster: a key in a KV bucket whose
/// entries expire after slice_lease unless renewed. One host at a time works a slice; when its holder
/// dies, the claim lapses and a waiting host takes the slice over. The slice's consumer (one
/// unacknowledged entry at most) keeps FIFO order even if two hosts ever believed they held it.
/// </summary>
public sealed class SliceClaim : IAsyncDisposable
{
    private readonly INatsKVStore _store;
    private readonly string _key;
    private readonly byte[] _value;
    private readonly ILogger _logger;
    private readonly TimeSpan _lease;
    private readonly CancellationTokenSource _stop = new();
    private ulong _revision;
    private Task _renewal = Task.CompletedTask;
    private volatile string? _lost;

    private SliceClaim(INatsKVStore store, string key, byte[] value, ulong revision, TimeSpan lease, ILogger logger)
    {
        _store = store;
        _key = key;
        _value = value;
        _revision = revision;
        _lease = lease;
        _logger = logger;
    }

    /// <summary>Why this host no longer holds the slice (another took it over while this one could not renew), or null.</summary>
    public string? Lost => _lost;

    /// <summary>Opens the claims bucket (created on first use).</summary>
    public static async Task<INatsKVStore> OpenBucketAsync(JetStreamConnection connection, JetStreamNames names, int replicas, TimeSpan lease, CancellationToken cancellationToken) =>
        await connection.KeyValue.CreateOrUpdateStoreAsync(
            new NatsKVConfig(names.SliceBucket) { History = 1, MaxAge = lease, NumberOfReplicas = replicas, Storage = NatsKVStorageType.File },
            cancellationToken).ConfigureAwait(false);

    /// <summary>The holder of a slice, or null when nobody holds it.</summary>
    public static async Task<SliceHolder?> HolderAsync(INatsKVStore store, string key, CancellationToken cancellationToken)
    {
        var entry = await store.TryGetEntryAsync<byte[]>(key, cancellationToken: cancellationToken).ConfigureAwait(false);
        return entry.Success ? Parse(entry.Value.Value) : null;
    }

    /// <summary>Waits until this host holds <paramref name="key"/>; <paramref name="waiting"/> hears who holds it meanwhile.</summary>
    public static async Task<SliceClaim> AcquireAsync(INatsKVStore store, string key, SliceHolder me, TimeSpan lease, Action<string>? waiting, ILogger logger, CancellationToken cancellationToken)
    {
        SliceHolder? told = null;
        bool seenHolder = false;
        DateTimeOffset? absentSince = null;
        // A holder coming back from an outage reconnects within LongestReconnectWait and then retries its
        // claim every half second; a standby that saw a holder gives it that long (and a third of the
        // lease) after the claim vanished, so that an outage does not move the slices.
        var grace = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, lease.Ticks / 3)) + JetStreamConnection.LongestReconnectWait + TimeSpan.FromSeconds(1);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (seenHolder)
            {
                SliceHolder? current;
                try
                {
                    current = await HolderAsync(store, key, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NatsException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var now = DateTimeOffset.UtcNow;
                absentSince = current is null ? absentSince ?? now : null;
                if (current is not null || now - absentSince < grace)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }

            // "since" is when the slice was taken, not when this host began to wait for it.
            byte[] value = JsonSerializer.SerializeToUtf8Bytes(me with { Since = DateTimeOffset.UtcNow }, SliceHolderJson.Default.SliceHolder);
            NatsResult<ulong> created;
            try
            {
                created = await store.TryCreateAsync(key, value, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Connected, but JetStream does not answer (no quorum): wait as for a server that is down.
                waiting?.Invoke($"waiting for the queue back end: the slice claims bucket does not answer ({ex.Message})");
                told = null;
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (created.Success)
            {
                var claim = new SliceClaim(store, key, value, created.Value, lease, logger);
                claim._renewal = claim.RenewAsync();
                return claim;
            }

            SliceHolder? holder;
            try
            {
                holder = await HolderAsync(store, key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (holder is not null && holder == me with { Since = holder.Since })
            {
                // Our own claim from an earlier try whose answer was lost: adopt it.
                var mine = await store.TryGetEntryAsync<byte[]>(key, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (mine.Success && mine.Value.Value is { } ours)
                {
                    var claim = new SliceClaim(store, key, ours, mine.Value.Revision, lease, logger);
                    claim._renewal = claim.RenewAsync();
                    return claim;
                }
            }

            seenHolder |= holder is not null;
            if (holder is not null && holder != told)
            {
                logger.LogInformation("Slice {Slice}: held by {Holder}; this host waits to take it over", key, holder);
                waiting?.Invoke($"standby: the slice is held by {holder} (since {holder.Since:u}); taken over if that host stops renewing it for {lease.TotalSeconds:0}s");
                told = holder;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewal.ConfigureAwait(false);
        if (_lost is null)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _store.TryDeleteAsync(_key, new NatsKVDeleteOpts { Revision = _revision }, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException)
            {
                // It lapses by itself after slice_lease.
            }
        }

        _stop.Dispose();
    }

    private static SliceHolder? Parse(byte[]? value)
    {
        if (value is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(value, SliceHolderJson.Default.SliceHolder);
        }
        catch (JsonException)
        {
            return new SliceHolder("(unreadable claim)", 0, DateTimeOffset.MinValue);
        }
    }

    private async Task RenewAsync()
    {
        var period = _lease / 3;
        bool failing = false;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                // After a failed renewal, try again soon: back from an outage, the holder must reclaim
                // its lapsed claim before a standby's grace ends.
                await Task.Delay(failing ? TimeSpan.FromMilliseconds(500) : period, _stop.Token).ConfigureAwait(false);
                failing = false;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                var updated = await _store.TryUpdateAsync(_key, _value, _revision, cancellationToken: _stop.Token).ConfigureAwait(false);
                if (updated.Success)
                {
                    _revision = updated.Value;
                }
                else if (updated.Error is NatsKVWrongLastRevisionException or NatsKVKeyNotFoundException or NatsKVKeyDeletedException)
                {
                    // A renewal whose answer was lost (a leader change, a timeout) still stored our value:
                    // the claim is ours at the newer revision.
                    var current = await _store.TryGetEntryAsync<byte[]>(_key, cancellationToken: _stop.Token).ConfigureAwait(false);
                    if (current.Success && current.Value.Value is { } stored && stored.AsSpan().SequenceEqual(_value))
                    {
                        _revision = current.Value.Revision;
                        continue;
                    }

                    // The claim lapsed (the servers were away longer than slice_lease): take it again unless
                    // another host did meanwhile; then that host works the slice and this one must stop.
                    var again = await _store.TryCreateAsync(_key, _value, cancellationToken: _stop.Token).ConfigureAwait(false);
                    if (again.Success)
                    {
                        _revision = again.Value;
                        _logger.LogInformation("Slice {Slice}: the claim lapsed while the queue back end was away; claimed again", _key);
                        continue;
                    }

                    var holder = await HolderAsync(_store, _key, CancellationToken.None).ConfigureAwait(false);
                    _lost = $"the claim on slice {_key} lapsed and {(holder is null ? "nobody" : holder.ToString())} holds it now";
                    _logger.LogError("Slice {Slice}: {Lost}; this runner stops taking entries", _key, _lost);
                    return;
                }
                else
                {
                    failing = true;
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException or TimeoutException)
            {
                // Disconnected: renewed on the next turn if the connection is back before the lease ends.
                _logger.LogDebug("Slice {Slice}: renewing the claim failed: {Error}", _key, ex.Message);
                failing = true;
            }
        }
    }
}

[JsonSerializable(typeof(SliceHolder))]
internal sealed partial class SliceHolderJson : JsonSerializerContext;
