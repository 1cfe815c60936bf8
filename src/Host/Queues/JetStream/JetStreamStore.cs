using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RunnerHost.Hosting.Configuration;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>
/// The stream operations the back end is built from, each checked against nats-server 2.9.10
/// (tests/Host.Tests/JetStream/ServerFeatureTests.cs): streams created on first use, publishes that
/// return only with the server's acknowledgement (retried under the same message id), direct gets by
/// subject, deletes by sequence, and paged subject listings.
/// </summary>
public sealed class JetStreamStore
{
    /// <summary>The stored sequence of a publish, and whether the server had it already (the same message id within the duplicate window).</summary>
    public readonly record struct PublishResult(ulong Sequence, bool Duplicate);

    // JetStream API error codes (nats-server's errors.json).
    private const int NoMessageFound = 10037;
    private const int StoreError = 10057;
    private const int StreamNotFound = 10059;

    private readonly JetStreamConnection _connection;
    private readonly QueueBackendSettings _settings;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Lazy<Task>> _streams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, INatsJSStream> _handles = new(StringComparer.Ordinal);

    public JetStreamStore(JetStreamConnection connection, QueueBackendSettings settings, JetStreamNames names, ILogger logger)
    {
        _connection = connection;
        _settings = settings;
        _logger = logger;
        Names = names;
    }

    public JetStreamNames Names { get; }

    public JetStreamConnection Connection => _connection;

    public QueueBackendSettings Settings => _settings;

    /// <summary>Creates (or updates) the stream of <paramref name="queue"/> once per process.</summary>
    public async Task EnsureStreamAsync(string queue, CancellationToken cancellationToken)
    {
        var ensure = _streams.GetOrAdd(queue, q => new Lazy<Task>(() => CreateStreamAsync(q)));
        try
        {
            await ensure.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not cached: the next use tries again (the server may have been down).
            _streams.TryRemove(new KeyValuePair<string, Lazy<Task>>(queue, ensure));
            throw;
        }
    }

    /// <summary>
    /// Publishes and returns the stored sequence once the stream's replicas acknowledged it. A lost
    /// acknowledgement is retried with the same <paramref name="messageId"/>, so it never stores twice.
    /// </summary>
    /// <exception cref="QueueBackendUnavailableException">Not connected, or no acknowledgement within publish_timeout.</exception>
    public async Task<PublishResult> PublishAsync(string queue, string subject, byte[] data, string messageId, NatsHeaders? headers, CancellationToken cancellationToken)
    {
        await _connection.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        await EnsureStreamAsync(queue, cancellationToken).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + _settings.PublishTimeout;
        while (true)
        {
            await _connection.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var ack = await _connection.JetStream.PublishAsync(
                    subject, data, opts: new NatsJSPubOpts { MsgId = messageId, ExpectedStream = Names.Stream(queue) }, headers: headers, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (ack.Error is { } error)
                {
                    throw new QueueBackendUnavailableException($"the queue back end refused the entry for {Names.Stream(queue)}: {error.Description} (code {error.ErrCode})");
                }

                // A duplicate: an earlier try of this very publish was stored, and that is the entry.
                _connection.ReportAnswered();
                return new PublishResult(ack.Seq, ack.Duplicate);
            }
            catch (Exception ex) when (ex is NatsJSPublishNoResponseException or NatsJSTimeoutException or NatsNoRespondersException or TimeoutException or NatsJSApiNoResponseException || (ex is NatsException && ex is not NatsJSApiException))
            {
                if (DateTime.UtcNow >= deadline)
                {
                    _connection.ReportUnanswered(ex.Message);
                    throw new QueueBackendUnavailableException($"the queue back end ({_connection.Servers}) did not acknowledge the entry within {_settings.PublishTimeout.TotalSeconds:0.#}s: {ex.Message}", ex);
                }

                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
            catch (NatsJSApiException ex)
            {
                if (ex.Error.Code == 503)
                {
                    _connection.ReportUnanswered(ex.Error.Description ?? "temporarily unavailable");
                }

                throw new QueueBackendUnavailableException($"the queue back end refused the entry for {Names.Stream(queue)}: {ex.Error.Description} (code {ex.Error.ErrCode})", ex);
            }
        }
    }

    /// <summary>The last message on <paramref name="subject"/> (an entry's own subject holds at most one), or null.</summary>
    public Task<StoredMessage?> GetLastAsync(string queue, string subject, CancellationToken cancellationToken) =>
        GetAsync(queue, new StreamMsgGetRequest { LastBySubj = subject }, cancellationToken);

    /// <summary>True when <paramref name="ex"/> says the queue's stream does not exist (never used yet).</summary>
    public static bool IsStreamMissing(NatsJSApiException ex) => ex?.Error.ErrCode == StreamNotFound;

    /// <summary>The message with sequence <paramref name="sequence"/>, or null.</summary>
    public Task<StoredMessage?> GetAsync(string queue, ulong sequence, CancellationToken cancellationToken) =>
        GetAsync(queue, new StreamMsgGetRequest { Seq = sequence }, cancellationToken);

    /// <summary>The first message matching <paramref name="filter"/> at or after <paramref name="fromSequence"/>, or null.</summary>
    public Task<StoredMessage?> GetNextAsync(string queue, string filter, ulong fromSequence, CancellationToken cancellationToken) =>
        GetAsync(queue, new StreamMsgGetRequest { NextBySubj = filter, Seq = Math.Max(1, fromSequence) }, cancellationToken);

    /// <summary>Deletes one message; false when it was already gone.</summary>
    public async Task<bool> DeleteAsync(string queue, ulong sequence, CancellationToken cancellationToken)
    {
        await _connection.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await Answered(_connection.JetStream.DeleteMessageAsync(Names.Stream(queue), new StreamMsgDeleteRequest { Seq = sequence, NoErase = true }, cancellationToken).AsTask()).ConfigureAwait(false);
            return response.Success;
        }
        catch (NatsJSApiException ex) when ((ex.Error.ErrCode == StoreError && ex.Error.Description is "no message found" or "stream store EOF") || ex.Error.ErrCode == StreamNotFound)
        {
            // 10057 is any failed delete; only these two say the message is gone (ServerFeatureTests).
            return false;
        }
    }

    /// <summary>Every subject matching <paramref name="filter"/> with its message count (the server pages the list; all pages are read).</summary>
    public async Task<IReadOnlyDictionary<string, ulong>> ListSubjectsAsync(string queue, string filter, CancellationToken cancellationToken)
    {
        // A read never creates the stream: a queue never used has none, and is empty.
        await _connection.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        var subjects = new Dictionary<string, ulong>(StringComparer.Ordinal);
        int offset = 0;
        while (true)
        {
            INatsJSStream stream;
            try
            {
                stream = await Answered(_connection.JetStream.GetStreamAsync(Names.Stream(queue), new StreamInfoRequest { SubjectsFilter = filter, Offset = offset }, cancellationToken).AsTask()).ConfigureAwait(false);
            }
            catch (NatsJSApiException ex) when (ex.Error.ErrCode == StreamNotFound)
            {
                return subjects;
            }

            var page = stream.Info.State.Subjects;
            if (page is null || page.Count == 0)
            {
                return subjects;
            }

            foreach (var (subject, count) in page)
            {
                subjects[subject] = (ulong)count;
            }

            // The response's total counts the subjects of the filter; NumSubjects counts the whole stream.
            long total = stream.Info is StreamInfoResponse { Total: > 0 } response ? response.Total : stream.Info.State.NumSubjects;
            offset += page.Count;
            if (offset >= total)
            {
                return subjects;
            }
        }
    }

    private async Task<StoredMessage?> GetAsync(string queue, StreamMsgGetRequest request, CancellationToken cancellationToken)
    {
        await _connection.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The stream handle only names the stream: kept, so a read is one request.
            if (!_handles.TryGetValue(queue, out var stream))
            {
                stream = await Answered(_connection.JetStream.GetStreamAsync(Names.Stream(queue), cancellationToken: cancellationToken).AsTask()).ConfigureAwait(false);
                _handles[queue] = stream;
            }

            var message = await Answered(stream.GetDirectAsync<byte[]>(request, cancellationToken: cancellationToken).AsTask()).ConfigureAwait(false);
            if (message.Headers is { Code: 404 } || message.Headers?.Code is >= 400)
            {
                return null;
            }

            string? sequence = message.Headers is { } h && h.TryGetValue("Nats-Sequence", out var values) ? values[0] : null;
            string subject = message.Headers is { } hs && hs.TryGetValue("Nats-Subject", out var subjects) ? subjects[0]! : message.Subject;
            return ulong.TryParse(sequence, NumberStyles.None, CultureInfo.InvariantCulture, out ulong seq)
                ? new StoredMessage(subject, seq, message.Data ?? [], message.Headers)
                : null;
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode is NoMessageFound or StreamNotFound || ex.Error.Code == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Runs one JetStream request: its API errors are the caller's; no answer (no quorum, a timeout, a
    /// connection lost) becomes <see cref="QueueBackendUnavailableException"/>, and availability follows.
    /// </summary>
    public async Task<T> Answered<T>(Task<T> request)
    {
        try
        {
            var result = await request.ConfigureAwait(false);
            _connection.ReportAnswered();
            return result;
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is NatsException && ex is not NatsJSApiException) || ex is NatsJSApiException { Error.Code: 503 })
        {
            // 503 is JetStream's own "temporarily unavailable" (no leader): as unanswered as a timeout.
            _connection.ReportUnanswered(ex.Message);
            throw new QueueBackendUnavailableException($"the queue back end ({_connection.Servers}) did not answer: {ex.Message}", ex);
        }
    }

    private async Task CreateStreamAsync(string queue)
    {
        var config = new StreamConfig(Names.Stream(queue), [Names.AllSubjects(queue)])
        {
            Retention = StreamConfigRetention.Workqueue,
            Storage = StreamConfigStorage.File,
            NumReplicas = _settings.Replicas,
            DuplicateWindow = _settings.DuplicateWindow,
            AllowDirect = true,
            Discard = StreamConfigDiscard.New,
        };
        try
        {
            await Answered(_connection.JetStream.CreateOrUpdateStreamAsync(config).AsTask()).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code != 503)
        {
            _logger.LogError("Queue back end: cannot create stream {Stream} ({Replicas} replicas) on {Servers}: {Error}", config.Name, _settings.Replicas, _connection.Servers, ex.Error.Description);
            throw new QueueBackendUnavailableException($"cannot create stream {config.Name} with {_settings.Replicas} replica(s) on {_connection.Servers}: {ex.Error.Description}", ex);
        }
    }
}
