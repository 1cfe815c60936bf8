using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace RunnerHost.Hosting.Tests.MailFlow;

/// <summary>A message as the SMTP sink received it: envelope and exact bytes.</summary>
internal sealed record ReceivedMessage(string From, IReadOnlyList<string> To, byte[] Data)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Data);
}

/// <summary>
/// A real SMTP server (the SmtpServer package) on a loopback port, recording what arrives. Recipients
/// can be refused with any code; the whole server can be stopped and started again on the same port.
/// </summary>
internal sealed class SmtpSink : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedMessage> _received = new();
    private readonly TimeSpan? _idleTimeout;
    private CancellationTokenSource? _stop;
    private Task? _running;
    private readonly ConcurrentDictionary<ISessionContext, byte> _open = new();

    /// <param name="port">The port; a free one when null.</param>
    /// <param name="idleTimeout">When set, the server closes a connection that sent no command for this long (Postfix's smtpd_timeout).</param>
    public SmtpSink(int? port = null, TimeSpan? idleTimeout = null)
    {
        Port = port ?? FlowHost.FreePort();
        _idleTimeout = idleTimeout;
    }

    public int Port { get; }

    /// <summary>How many SMTP sessions are open now (a kept client connection counts until either side closes it).</summary>
    public int OpenSessions => _open.Count;

    /// <summary>Recipient address → reply code to refuse it with (e.g. 450, 550).</summary>
    public ConcurrentDictionary<string, int> RefuseRecipients { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>When set, every message is refused at the end of DATA with this code.</summary>
    public int? RefuseData { get; set; }

    public IReadOnlyList<ReceivedMessage> Received => [.. _received];

    public async Task StartAsync()
    {
        var builder = new SmtpServerOptionsBuilder()
            .ServerName("sink.test")
            .Endpoint(b => b.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)));
        if (_idleTimeout is { } idle)
        {
            builder = builder.CommandWaitTimeout(idle);
        }

        var options = builder.Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(this));
        services.Add(new Filter(this));
        var server = new SmtpServer.SmtpServer(options, services);
        server.SessionCreated += (_, e) => _open[e.Context] = 0;
        server.SessionCompleted += (_, e) => _open.TryRemove(e.Context, out byte _);
        server.SessionFaulted += (_, e) => _open.TryRemove(e.Context, out byte _);
        server.SessionCancelled += (_, e) => _open.TryRemove(e.Context, out byte _);
        _stop = new CancellationTokenSource();
        _running = server.StartAsync(_stop.Token);
        // StartAsync binds asynchronously; wait until the port answers.
        for (int i = 0; i < 100; i++)
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException($"SMTP sink did not start on port {Port}");
    }

    /// <summary>Stops the server and drops every open session (as a crashed smarthost would).</summary>
    public async Task StopAsync()
    {
        if (_stop is null || _running is null)
        {
            return;
        }

        await _stop.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
            // Expected.
        }

        _stop.Dispose();
        _stop = null;
        _running = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private sealed class Store(SmtpSink sink) : MessageStore
    {
        public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            if (sink.RefuseData is { } code)
            {
                return Task.FromResult(new SmtpResponse((SmtpReplyCode)code, "refused by test"));
            }

            sink._received.Enqueue(new ReceivedMessage(
                Address(transaction.From),
                [.. transaction.To.Select(Address)],
                buffer.ToArray()));
            return Task.FromResult(SmtpResponse.Ok);
        }
    }

    private sealed class Filter(SmtpSink sink) : IMailboxFilter
    {
        public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken) => Task.FromResult(true);

        public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
        {
            if (sink.RefuseRecipients.TryGetValue(Address(to), out int code))
            {
                throw new SmtpResponseException(new SmtpResponse((SmtpReplyCode)code, $"{Address(to)} refused by test"));
            }

            return Task.FromResult(true);
        }
    }

    private static string Address(IMailbox mailbox) => mailbox.AsAddress();
}
