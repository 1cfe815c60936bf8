namespace RunnerHost.Hosting.Tests.MailFlow;

/// <summary>The LMTP server's connection limits and its stop: <c>max_connections</c>, <c>idle_timeout</c>, draining.</summary>
[NonParallelizable]
public sealed class LmtpLimitsTests
{
    [Test]
    public async Task The_connection_over_max_connections_gets_421_4_3_2_and_a_freed_slot_is_usable_again()
    {
        await using var flow = new FlowHost(FlowHost.FreePort(), lmtpSettings: "max_connections: 2");
        await flow.StartLmtpAsync();
        // The readiness probe's own session may still hold a slot for a moment: retry until served.
        await using var first = await ConnectServedAsync(flow);
        await using var second = await ConnectServedAsync(flow);

        await using (var third = await RawLmtp.ConnectAsync(flow.LmtpPort))
        {
            Assert.That(await third.ReadReplyAsync(), Does.StartWith("421 4.3.2"));
            Assert.That(await third.ReadReplyAsync(), Is.Null, "closed after the refusal");
        }

        Assert.That(await first.CommandAsync("QUIT"), Does.StartWith("221"));
        // The slot is released when the session ends; a new connection is served again.
        await FlowHost.Eventually(() => TryGreeting(flow).GetAwaiter().GetResult().StartsWith("220", StringComparison.Ordinal), "a freed slot");
        Assert.That(await second.CommandAsync("NOOP"), Does.StartWith("250"), "the open sessions are unaffected");
    }

    [Test]
    public async Task An_idle_session_gets_421_after_idle_timeout_and_is_closed()
    {
        await using var flow = new FlowHost(FlowHost.FreePort(), lmtpSettings: "idle_timeout: 1s");
        await flow.StartLmtpAsync();
        await using var client = await ConnectAsync(flow);
        Assert.That(await client.CommandAsync("LHLO client.example.com"), Does.StartWith("250"));

        // ReadReplyAsync waits up to 10 s, well beyond the 1 s idle timeout.
        Assert.That(await client.ReadReplyAsync(), Does.StartWith("421 4.4.2"));
        Assert.That(await client.ReadReplyAsync(), Is.Null, "closed after the timeout");
    }

    [Test]
    public async Task Stop_lets_a_session_in_DATA_finish_and_sends_421_to_waiting_sessions()
    {
        await using var flow = new FlowHost(FlowHost.FreePort());
        var runner = await flow.StartLmtpAsync();
        await using var sending = await ConnectAsync(flow);
        await using var waiting = await ConnectAsync(flow);
        Assert.That(await waiting.CommandAsync("LHLO idle.example.com"), Does.StartWith("250"));
        Assert.That(await sending.CommandAsync("LHLO busy.example.com"), Does.StartWith("250"));
        Assert.That(await sending.CommandAsync("MAIL FROM:<anne@example.com>"), Does.StartWith("250"));
        Assert.That(await sending.CommandAsync("RCPT TO:<two@example.com>"), Does.StartWith("250"));
        Assert.That(await sending.CommandAsync("DATA"), Does.StartWith("354"));
        await sending.SendAsync("From: anne@example.com\r\nTo: two@example.com\r\nSubject: mid-stop\r\n\r\nFirst half, ");

        runner.Stop();
        Assert.That(await waiting.ReadReplyAsync(), Does.StartWith("421 4.3.2"), "a session between commands is told the service shuts down");
        await FlowHost.Eventually(() => !TryConnect(flow), "the listener closed");

        await sending.SendAsync("second half.\r\n.\r\n");
        Assert.That(await sending.ReadReplyAsync(), Does.StartWith("250 2.0.0"), "the message in DATA is accepted");
        Assert.That(flow.Count("in"), Is.EqualTo(1), "and durably queued");
        Assert.That(await sending.ReadReplyAsync(), Is.Null.Or.StartWith("421"), "then the session ends");
    }

    private static async Task<RawLmtp> ConnectAsync(FlowHost flow)
    {
        var client = await RawLmtp.ConnectAsync(flow.LmtpPort);
        Assert.That(await client.ReadReplyAsync(), Does.StartWith("220"));
        return client;
    }

    private static async Task<RawLmtp> ConnectServedAsync(FlowHost flow)
    {
        for (int attempt = 0; ; attempt++)
        {
            var client = await RawLmtp.ConnectAsync(flow.LmtpPort);
            string greeting = await client.ReadReplyAsync() ?? string.Empty;
            if (greeting.StartsWith("220", StringComparison.Ordinal))
            {
                return client;
            }

            await client.DisposeAsync();
            Assert.That(attempt, Is.LessThan(100), $"never served: {greeting}");
            await Task.Delay(100);
        }
    }

    private static async Task<string> TryGreeting(FlowHost flow)
    {
        await using var client = await RawLmtp.ConnectAsync(flow.LmtpPort);
        string greeting = await client.ReadReplyAsync() ?? string.Empty;
        if (greeting.StartsWith("220", StringComparison.Ordinal))
        {
            await client.CommandAsync("QUIT");
        }

        return greeting;
    }

    private static bool TryConnect(FlowHost flow)
    {
        try
        {
            using var probe = new System.Net.Sockets.TcpClient();
            probe.Connect(System.Net.IPAddress.Loopback, flow.LmtpPort);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
