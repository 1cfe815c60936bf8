using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using RunnerHost.Lists;
using RunnerHost.Plugins.Lmtp.Protocol;
using RunnerHost.Queues;

namespace RunnerHost.Plugins.Lmtp;

/// <summary>
/// Accepts LMTP connections on one endpoint and runs one <see cref="Session"/> task per connection,
/// at most <c>max_connections</c> at a time (the rest get 421 and are closed).
/// </summary>
internal sealed class LmtpServer : IAsyncDisposable
{
    private static readonly TimeSpan LingerTime = TimeSpan.FromSeconds(1);
    private const long LingerBytes = 1024 * 1024;

    private readonly LmtpOptions _options;
    private readonly RecipientRouter _router;
    private readonly IQueueRegistry _queues;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly TcpListener _listener;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    // Ends sessions between commands (graceful stop); _abort ends them anywhere.
    private readonly CancellationTokenSource _shutdown = new();
    private readonly CancellationTokenSource _abort = new();
    private Task _acceptLoop = Task.CompletedTask;
    private long _nextSession;

    public LmtpServer(LmtpOptions options, IListManager lists, IQueueRegistry queues, TimeProvider clock, ILogger logger)
    {
        _options = options;
        _queues = queues;
        _clock = clock;
        _logger = logger;
        _router = new RecipientRouter(lists, queues, options.ServedQueues);
        _listener = new TcpListener(options.Host, options.Port);
        _slots = new SemaphoreSlim(options.MaxConnections, options.MaxConnections);
    }

    /// <summary>The bound endpoint (the real port when <c>lmtp_port: 0</c>).</summary>
    public IPEndPoint? Endpoint => _listener.LocalEndpoint as IPEndPoint;

    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Stops accepting, lets sessions finish their current transaction, and aborts what is left after the stop timeout.</summary>
    public async Task StopAsync()
    {
        _listener.Stop();
        await _shutdown.CancelAsync().ConfigureAwait(false);
        await _acceptLoop.ConfigureAwait(false);
        var drained = Task.WhenAll(_sessions.Values);
        if (await Task.WhenAny(drained, Task.Delay(_options.StopTimeout, _clock)).ConfigureAwait(false) != drained)
        {
            _logger.LogWarning("LMTP {Count} session(s) still open after {Timeout}; closing them", _sessions.Count, _options.StopTimeout);
            await _abort.CancelAsync().ConfigureAwait(false);
            await drained.ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _shutdown.Dispose();
        _abort.Dispose();
        _slots.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_shutdown.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_shutdown.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _shutdown.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                // A connection reset before accept completed: nothing to serve, keep listening.
                _logger.LogDebug("LMTP accept failed: {Error}", ex.Message);
                continue;
            }

            long id = Interlocked.Increment(ref _nextSession);
            _sessions[id] = Task.Run(() => ServeAsync(id, socket));
        }
    }

    /// <summary>
    /// Closing a socket with unread input makes the kernel answer with a reset, which can destroy the
    /// last reply (a 421 after max_errors or data_timeout, with pipelined input still arriving) before
    /// the peer reads it. So the server half-closes and discards input briefly, as web servers'
    /// lingering close does; bounded in time and bytes, after the connection slot is released.
    /// </summary>
    private async Task LingerAsync(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
            using var linger = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
            linger.CancelAfter(LingerTime);
            var buffer = new byte[4096];
            long discarded = 0;
            int read;
            while (discarded < LingerBytes && (read = await socket.ReceiveAsync(buffer, SocketFlags.None, linger.Token).ConfigureAwait(false)) > 0)
            {
                discarded += read;
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away or took too long: close now.
        }
    }

    private async Task ServeAsync(long id, Socket socket)
    {
        string peer = socket.RemoteEndPoint?.ToString() ?? "unknown";
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            if (!await _slots.WaitAsync(0).ConfigureAwait(false))
            {
                _logger.LogWarning("LMTP refused {Peer}: {Max} connections open", peer, _options.MaxConnections);
                await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(Reply.Busy + "\r\n"), _abort.Token).ConfigureAwait(false);
                return;
            }

            try
            {
                _logger.LogDebug("LMTP session {Id} from {Peer}", id, peer);
                var session = new Session(stream, _options, _router, _queues, _clock, _logger, peer);
                await session.RunAsync(_shutdown.Token, _abort.Token).ConfigureAwait(false);
            }
            finally
            {
                _slots.Release();
            }

            await LingerAsync(socket).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away or the server aborted the session: nothing more to say to it.
            _logger.LogDebug("LMTP session {Id} from {Peer} ended: {Error}", id, peer, ex.Message);
        }
        catch (Exception ex)
        {
            // A bug in one session must not take the server down.
            _logger.LogError(ex, "LMTP session {Id} from {Peer} failed: {Error}", id, peer, ex.Message);
        }
        finally
        {
            _sessions.TryRemove(id, out _);
        }
    }
}
