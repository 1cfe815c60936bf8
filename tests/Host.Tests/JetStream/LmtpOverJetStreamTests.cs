using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.MailFlow;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.JetStream;

/// <summary>
/// The built-in LMTP runner of a real master storing into JetStream: a post is answered 250 only once
/// its entry is in the stream, and while the server is down RCPT (and a DATA already under way) get
/// 451 and nothing is stored, then or later.
/// </summary>
[NonParallelizable]
public sealed class LmtpOverJetStreamTests
{
    private NatsServer? _server;
    private JetStreamInstallation? _host;
    private int _port;

    [TearDown]
    public async Task TearDown()
    {
        _host?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Test]
    public async Task A_post_is_stored_in_the_stream_and_an_outage_answers_451_storing_nothing()
    {
        _server = await NatsServer.StartAsync();
        _port = FlowHost.FreePort();
        // Nothing takes entries out of in: what LMTP stored stays there to be counted.
        _host = JetStreamInstallation.Create("mx", [_server], replicas: 1, JetStreamInstallation.NewPrefix(), string.Create(CultureInfo.InvariantCulture, $"""
            [runner.lmtp]
            class: LmtpRunner
            path:
            lmtp_port: {_port}
            served_queues: in
            stop_timeout: 5s

            [runner.in]
            class: ListPipelineRunner
            start: no
            """));
        using var master = _host.StartMaster();
        await _host.WaitForAllRunningAsync(master, 1);
        await JetStreamInstallation.WaitUntilAsync(() => Task.FromResult(Listening()), () => $"LMTP listening on {_port}\n{master.Stderr}");

        string stored = await PostAsync("up@test");
        Assert.That(stored, Does.StartWith("250 2.0.0"), master.Stderr);
        var (queues, queuesRun) = await _host.QueuesCommandAsync();
        Assert.That(queuesRun.ExitCode, Is.Zero, queuesRun.ToString());
        Assert.That(queues["in"], Is.EqualTo((1, 0)), queuesRun.Stdout);
        Assert.That(await MessageIdsInAsync("in"), Is.EqualTo(new[] { "up@test" }));

        // A transaction under way when the server goes: its recipient was accepted, its DATA must not be.
        await using (var lmtp = await OpenTransactionAsync())
        {
            Assert.That(await lmtp.CommandAsync("RCPT TO:<test@example.com>"), Does.StartWith("250"));
            await _server.StopAsync();
            Assert.That(await lmtp.CommandAsync("DATA"), Does.StartWith("354"));
            await lmtp.SendAsync(Message("half@test") + ".\r\n");
            string? data = await lmtp.ReadReplyAsync();
            TestContext.Out.WriteLine($"DATA with the server stopped: {data}");
            Assert.That(data, Does.StartWith("451 4.3.0"), master.Stderr);
        }

        // A new transaction while it is down: RCPT is deferred, before any DATA is sent.
        string? rcpt = null;
        await JetStreamInstallation.WaitUntilAsync(
            async () =>
            {
                await using var lmtp = await OpenTransactionAsync();
                rcpt = await lmtp.CommandAsync("RCPT TO:<test@example.com>");
                return rcpt?.StartsWith("451", StringComparison.Ordinal) == true;
            },
            () => $"RCPT deferred while the server is down (last: {rcpt})",
            TimeSpan.FromSeconds(20));
        TestContext.Out.WriteLine($"RCPT with the server stopped: {rcpt}");
        Assert.That(rcpt, Does.StartWith("451 4.3.0"));

        await _server.StartAgainAsync();
        string? again = null;
        await JetStreamInstallation.WaitUntilAsync(
            async () => (again = await PostAsync("after@test")).StartsWith("250", StringComparison.Ordinal),
            () => $"a post accepted after the server came back (last: {again})\n{JetStreamInstallation.Tail(master.Stderr)}",
            TimeSpan.FromSeconds(30));

        // The failed DATA left no entry, whole or half, and nothing arrived late from a client buffer.
        await JetStreamInstallation.WaitUntilAsync(async () => await _host.DepthAsync("in") is not null, () => "this process connected again", TimeSpan.FromSeconds(30));
        var ids = await MessageIdsInAsync("in");
        (queues, queuesRun) = await _host.QueuesCommandAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ids, Is.EquivalentTo(new[] { "up@test", "after@test" }));
            Assert.That(queuesRun.ExitCode, Is.Zero, queuesRun.ToString());
            Assert.That(queues, Is.EquivalentTo(new Dictionary<string, (int, int)> { ["in"] = (2, 0), ["bad"] = (0, 0), ["shunt"] = (0, 0) }), queuesRun.Stdout);
        }

        master.Signal(Posix.SigTerm);
        Assert.That(await master.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.Zero, JetStreamInstallation.Tail(master.Stderr));
    }

    private static string Message(string messageId) =>
        $"From: anne@example.com\r\nTo: test@example.com\r\nSubject: over JetStream\r\nMessage-ID: <{messageId}>\r\n\r\nHi.\r\n";

    /// <summary>One whole LMTP post; returns the reply to the end of DATA (or the first refusal).</summary>
    private async Task<string> PostAsync(string messageId)
    {
        await using var lmtp = await OpenTransactionAsync();
        foreach (string command in new[] { "RCPT TO:<test@example.com>", "DATA" })
        {
            string reply = await lmtp.CommandAsync(command) ?? "(closed)";
            if (reply[0] is not ('2' or '3'))
            {
                return reply;
            }
        }

        await lmtp.SendAsync(Message(messageId) + ".\r\n");
        return await lmtp.ReadReplyAsync() ?? "(closed)";
    }

    /// <summary>A connection past LHLO and MAIL FROM.</summary>
    private async Task<RawLmtp> OpenTransactionAsync()
    {
        var lmtp = await RawLmtp.ConnectAsync(_port);
        Assert.That(await lmtp.ReadReplyAsync(), Does.StartWith("220"));
        Assert.That(await lmtp.CommandAsync("LHLO client.test"), Does.StartWith("250"));
        Assert.That(await lmtp.CommandAsync("MAIL FROM:<anne@example.com>"), Does.StartWith("250"));
        return lmtp;
    }

    private bool Listening()
    {
        try
        {
            using var probe = new TcpClient();
            probe.Connect(IPAddress.Loopback, _port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The Message-ID of every entry in <paramref name="queue"/>, read back from the stream.</summary>
    private async Task<List<string>> MessageIdsInAsync(string queue)
    {
        var inspector = _host!.Services.Inspector;
        var page = await inspector.ListAsync(queue, new RunnerHost.Inspection.EntryQuery(Limit: 1000));
        var ids = new List<string>();
        foreach (var entry in page.Entries)
        {
            var read = await inspector.ReadAsync(queue, entry.Id);
            string text = read?.Message is { } bytes ? Encoding.UTF8.GetString(bytes.Span) : string.Empty;
            ids.Add(TestMessages.FromText(text).MessageId ?? "(none)");
        }

        return ids;
    }
}
