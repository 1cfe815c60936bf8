using System.Globalization;
using System.Text;
using NATS.Client.KeyValueStore;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>
/// Deliveries of an entry that were no attempt: a stop gave the entry back (a nak). The server counts
/// every delivery; an entry's attempt is its delivery count less these, so that only interrupted
/// attempts (the runner died) move an entry towards <c>bad</c>. Written only when an entry is given
/// back and read only for a redelivered entry, so the common path costs nothing.
/// </summary>
/// <remarks>
/// The server's own max-deliver is not used for poison messages: it counts these naks too, and an
/// entry that reaches it stays in a work-queue stream undelivered for ever instead of going to bad.
/// </remarks>
public sealed class UncountedDeliveries(JetStreamConnection connection, JetStreamNames names, int replicas)
{
    private readonly Lock _gate = new();
    private Task<INatsKVStore>? _store;

    /// <summary>How many deliveries of message <paramref name="sequence"/> of <paramref name="queue"/> did not count.</summary>
    public async Task<long> GetAsync(string queue, ulong sequence, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var entry = await store.TryGetEntryAsync<byte[]>(Key(queue, sequence), cancellationToken: cancellationToken).ConfigureAwait(false);
        return entry.Success && entry.Value.Value is { } value && long.TryParse(Encoding.ASCII.GetString(value), NumberStyles.None, CultureInfo.InvariantCulture, out long count) ? count : 0;
    }

    /// <summary>Records one more uncounted delivery; returns the new count.</summary>
    public async Task<long> AddAsync(string queue, ulong sequence, CancellationToken cancellationToken)
    {
        long count = await GetAsync(queue, sequence, cancellationToken).ConfigureAwait(false) + 1;
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await store.PutAsync(Key(queue, sequence), Encoding.ASCII.GetBytes(count.ToString(CultureInfo.InvariantCulture)), cancellationToken: cancellationToken).ConfigureAwait(false);
        return count;
    }

    /// <summary>Forgets the entry (it ended).</summary>
    public async Task ForgetAsync(string queue, ulong sequence, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await store.TryPurgeAsync(Key(queue, sequence), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static string Key(string queue, ulong sequence) => string.Create(CultureInfo.InvariantCulture, $"{queue}.{sequence}");

    private async Task<INatsKVStore> StoreAsync(CancellationToken cancellationToken)
    {
        Task<INatsKVStore> opening;
        lock (_gate)
        {
            // Kept long: an entry may wait in a stalled queue for weeks; a forgotten key only over-counts its attempts.
            opening = _store is { IsFaulted: false, IsCanceled: false } open ? open : _store = connection.KeyValue.CreateOrUpdateStoreAsync(
                new NatsKVConfig(names.AttemptBucket) { History = 1, MaxAge = TimeSpan.FromDays(30), NumberOfReplicas = replicas, Storage = NatsKVStorageType.File },
                CancellationToken.None).AsTask();
        }

        return await opening.WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
