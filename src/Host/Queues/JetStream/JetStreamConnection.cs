using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;
using RunnerHost.Hosting.Configuration;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>
/// The one connection of a process to the NATS servers. The first connection is made in the background
/// with backoff, so that a host whose server is down still starts (its slices show as waiting); after
/// that the client reconnects by itself. Every failure to reach the servers is logged once per outage,
/// naming the URLs.
/// </summary>
public sealed class JetStreamConnection : IAsyncDisposable, IDisposable
{
    /// <summary>The longest pause between reconnection attempts of the client.</summary>
    public static readonly TimeSpan LongestReconnectWait = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(10);

    private readonly QueueBackendSettings _settings;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly NatsConnection _connection;
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _gate = new();
    private Task? _connecting;
    private volatile string? _problem;
    private volatile string? _unanswered;
    private long _lastProbe;
    private int _disposed;

    public JetStreamConnection(QueueBackendSettings settings, ILoggerFactory loggerFactory, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _settings = settings;
        _clock = clock;
        _logger = loggerFactory.CreateLogger("RunnerHost.Queues.JetStream");
        var opts = NatsOpts.Default with
        {
            Url = string.Join(",", settings.Servers),
            Name = $"runner-host {settings.HostName} pid {Environment.ProcessId}",
            AuthOpts = settings.CredentialsFile is { } credentials ? NatsAuthOpts.Default with { CredsFile = credentials } : NatsAuthOpts.Default,
            // Reconnect forever: a runner pauses during an outage and resumes after it.
            MaxReconnectRetry = -1,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(200),
            // Short: a holder must be back and renew its slice claims before a standby's grace ends (SliceClaim).
            ReconnectWaitMax = JetStreamConnection.LongestReconnectWait,
            ConnectTimeout = TimeSpan.FromSeconds(3),
            RequestTimeout = settings.PublishTimeout,
            // While disconnected a publish fails at once instead of waiting in the client's buffer and
            // being sent later: an LMTP client told 451 must not find its message queued after all.
            PublishTimeoutOnDisconnected = true,
        };
        _connection = new NatsConnection(opts);
        _connection.ConnectionDisconnected += (_, _) =>
        {
            _problem = $"the connection to {Servers} was lost; reconnecting";
            _logger.LogWarning("Queue back end: the connection to {Servers} was lost; runners pause until it is back", Servers);
            return ValueTask.CompletedTask;
        };
        _connection.ReconnectFailed += (_, _) =>
        {
            _problem = $"{Servers} unreachable; reconnecting";
            return ValueTask.CompletedTask;
        };
        _connection.ConnectionOpened += (_, _) =>
        {
            if (_problem is not null)
            {
                _logger.LogInformation("Queue back end: connected to {Servers} again", Servers);
            }

            _problem = null;
            return ValueTask.CompletedTask;
        };
        JetStream = new NatsJSContext(_connection, new NatsJSOpts(opts, requestTimeout: settings.PublishTimeout));
        KeyValue = new NatsKVContext(JetStream);
    }

    /// <summary>The server URLs, as configured, for messages.</summary>
    public string Servers => string.Join(", ", _settings.Servers);

    public NatsJSContext JetStream { get; }

    public NatsKVContext KeyValue { get; }

    /// <summary>
    /// False once the servers are known not to answer: disconnected, or connected while JetStream's last
    /// request went unanswered (no quorum). True while the first connection is still being made.
    /// </summary>
    public bool IsAvailable
    {
        get
        {
            if (!IsOpen)
            {
                return _problem is null;
            }

            if (_unanswered is not null)
            {
                ProbeSoon();
            }

            return _unanswered is null;
        }
    }

    /// <summary>A JetStream request went unanswered although connected (the stream has no leader): uses fail fast until one succeeds.</summary>
    public void ReportUnanswered(string problem) => _unanswered = $"connected to {Servers}, but JetStream does not answer: {problem}";

    /// <summary>A JetStream request succeeded.</summary>
    public void ReportAnswered() => _unanswered = null;

    /// <summary>True while connected.</summary>
    public bool IsOpen => _connection.ConnectionState == NatsConnectionState.Open;

    /// <summary>Why the back end cannot be used now (one line naming the URLs), or null when connected.</summary>
    public string? Problem => IsOpen ? _unanswered : _problem ?? $"connecting to {Servers}";

    /// <summary>Completes once connected (starting the first connection if needed); <paramref name="waiting"/> hears why not yet, once per change.</summary>
    public async Task WhenOpenAsync(Action<string>? waiting, CancellationToken cancellationToken)
    {
        EnsureConnecting();
        if (IsOpen)
        {
            return;
        }

        string? told = null;
        while (!IsOpen)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // A healthy server is reached within milliseconds: only a known problem is worth reporting.
            if (_problem is { } problem && problem != told)
            {
                waiting?.Invoke($"waiting for the queue back end: {problem}");
                told = problem;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), _clock, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits up to publish_timeout for the connection (made on first use), then throws
    /// <see cref="QueueBackendUnavailableException"/>: nothing is sent while disconnected, so nothing waits
    /// in the client's buffer to be stored after its caller was told it failed.
    /// </summary>
    public async Task EnsureOpenAsync(CancellationToken cancellationToken)
    {
        EnsureConnecting();
        if (IsOpen)
        {
            return;
        }

        // The first connection is given publish_timeout to come up; once the servers are known to be
        // unreachable, every use fails at once (an LMTP client hears 451 without waiting).
        var deadline = _clock.GetUtcNow() + _settings.PublishTimeout;
        while (!IsOpen && _problem is null && _clock.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), _clock, cancellationToken).ConfigureAwait(false);
        }

        if (!IsOpen)
        {
            throw new QueueBackendUnavailableException($"the queue back end is unavailable: {Problem}");
        }
    }

    // A producer that only asks IsAvailable (LMTP refusing at RCPT) sends nothing that could succeed:
    // a cheap JetStream request every few seconds finds out when the servers answer again.
    private void ProbeSoon()
    {
        long now = _clock.GetTimestamp();
        long last = Interlocked.Read(ref _lastProbe);
        if (_clock.GetElapsedTime(last, now) < TimeSpan.FromSeconds(2) || Interlocked.CompareExchange(ref _lastProbe, now, last) != last)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
                timeout.CancelAfter(_settings.PublishTimeout);
                await JetStream.GetAccountInfoAsync(timeout.Token).ConfigureAwait(false);
                ReportAnswered();
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException or TimeoutException or ObjectDisposedException)
            {
                // Still unanswered; the next look probes again.
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        if (_connecting is { } connecting)
        {
            await connecting.ConfigureAwait(false);
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
        _closing.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void EnsureConnecting()
    {
        lock (_gate)
        {
            _connecting ??= Task.Run(ConnectLoopAsync);
        }
    }

    private async Task ConnectLoopAsync()
    {
        var delay = FirstRetry;
        bool logged = false;
        while (!_closing.IsCancellationRequested)
        {
            try
            {
                await _connection.ConnectAsync().ConfigureAwait(false);
                if (logged)
                {
                    _logger.LogInformation("Queue back end: connected to {Servers}", Servers);
                }

                _problem = null;
                return;
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException or System.Net.Sockets.SocketException or IOException or TimeoutException)
            {
                _problem = $"{Servers} unreachable ({ex.GetBaseException().Message}); retrying in {delay.TotalSeconds:0.#}s";
                if (!logged)
                {
                    _logger.LogWarning("Queue back end: {Servers} unreachable ({Error}); runners wait, retrying with backoff", Servers, ex.GetBaseException().Message);
                    logged = true;
                }
            }

            try
            {
                await Task.Delay(delay, _clock, _closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetry.Ticks));
        }
    }
}
