using System.Diagnostics;

namespace RunnerHost.Hosting.Tests.MailFlow;

/// <summary>
/// LMTP over real sockets: a <c>+tag</c> sub-address reaches its list; <c>max_errors</c> counts every
/// error reply of a session and then closes it with 421; <c>data_timeout</c> bounds the whole DATA
/// phase, so a client trickling lines cannot hold a connection slot forever.
/// </summary>
[NonParallelizable]
public sealed class LmtpSessionLimitsTests
{
    private const string Message = "From: anne@example.com\r\nTo: two@example.com\r\nSubject: tagged\r\nMessage-ID: <tag-1@example.com>\r\n\r\nHi.\r\n";

    [Test]
    public async Task A_plus_tag_on_the_posting_address_is_delivered_to_the_list()
    {
        await using var flow = new FlowHost(FlowHost.FreePort());
        await flow.StartLmtpAsync();
        const string script = """
            import smtplib, sys
            s = smtplib.LMTP('127.0.0.1', int(sys.argv[1]))
            s.ehlo('client.test')
            msg = 'From: anne@example.com\r\nSubject: tagged\r\nMessage-ID: <tag-py@example.com>\r\n\r\nBody\r\n'
            refused = s.sendmail('anne@example.com', ['two+news@example.com'], msg)
            print('refused', sorted(refused))
            s.quit()
            """;

        var (exit, output) = await Peers.PythonAsync(script, flow.LmtpPort);

        Assert.That(exit, Is.Zero, output);
        Assert.That(output, Does.Contain("refused []"));
        await using (var raw = await ConnectAsync(flow))
        {
            Assert.That(await raw.CommandAsync("MAIL FROM:<anne@example.com>"), Does.StartWith("250"));
            Assert.That(await raw.CommandAsync("RCPT TO:<Two+Other.Tag@Example.COM>"), Does.StartWith("250 2.1.5"), "case does not matter");
            Assert.That(await raw.CommandAsync("RCPT TO:<two-owner+x@example.com>"), Does.StartWith("250 2.1.5"));
            Assert.That(await raw.CommandAsync("RCPT TO:<nobody+two@example.com>"), Does.StartWith("550 5.1.1"), "the tag is not the list");
            Assert.That(await raw.CommandAsync("RCPT TO:<+two@example.com>"), Does.StartWith("550 5.1.1"));
            Assert.That(await raw.CommandAsync("DATA"), Does.StartWith("354"));
            await raw.SendAsync(Message + ".\r\n");
            Assert.That(await raw.ReadReplyAsync(), Does.StartWith("250 2.0.0"));
            Assert.That(await raw.ReadReplyAsync(), Does.StartWith("250 2.0.0"));
        }

        var entries = new List<(string? ListId, string? Recipient, string Flag)>();
        foreach (var file in flow.Queue("in").GetFiles())
        {
            var entry = await flow.Queue("in").DequeueAsync(file);
            entries.Add((entry.Metadata.ListId, entry.Metadata.GetString("original_recipient"), entry.Metadata.ContainsKey("to_list") ? "to_list" : entry.Metadata.ContainsKey("to_owner") ? "to_owner" : "?"));
        }

        Assert.That(entries, Is.EquivalentTo(new[]
        {
            ("two.example.com", "two+news@example.com", "to_list"),
            ("two.example.com", "Two+Other.Tag@Example.COM", "to_list"),
            ("two.example.com", "two-owner+x@example.com", "to_owner"),
        }));
    }

    [Test]
    public async Task Max_errors_counts_refused_recipients_and_closes_with_421()
    {
        await using var flow = new FlowHost(FlowHost.FreePort(), lmtpSettings: "max_errors: 5");
        await flow.StartLmtpAsync();
        await using var raw = await ConnectAsync(flow);
        Assert.That(await raw.CommandAsync("MAIL FROM:<anne@example.com>"), Does.StartWith("250"));

        // Pipelined: far more refused recipients than max_errors.
        await raw.SendAsync(string.Concat(Enumerable.Range(0, 50).Select(i => $"RCPT TO:<nobody{i}@example.com>\r\n")));
        var replies = await ReadUntilClosedAsync(raw);

        Assert.That(replies, Has.Count.EqualTo(6), string.Join("\n", replies));
        Assert.That(replies[..5], Has.All.StartWith("550 5.1.1"));
        Assert.That(replies[5], Does.StartWith("421 4.7.0"));
    }

    [Test]
    public async Task Max_errors_counts_every_kind_of_error_reply_in_the_session()
    {
        await using var flow = new FlowHost(FlowHost.FreePort(), lmtpSettings: "max_errors: 4\nmax_message_size: 1000\nmax_recipients: 1");
        await flow.StartLmtpAsync();
        await using var raw = await ConnectAsync(flow);
        Assert.That(await raw.CommandAsync("MAIL FROM:<anne@example.com>"), Does.StartWith("250"));
        Assert.That(await raw.CommandAsync("RCPT TO:<nobody@example.com>"), Does.StartWith("550"), "error 1: unknown recipient");
        Assert.That(await raw.CommandAsync("RCPT TO:<two@example.com>"), Does.StartWith("250"));
        Assert.That(await raw.CommandAsync("RCPT TO:<two@example.com>"), Does.StartWith("452 4.5.3"), "error 2: too many recipients");
        Assert.That(await raw.CommandAsync("RCPT TO:<two-bounces@example.com>"), Does.StartWith("452 4.5.3"), "error 3");
        Assert.That(await raw.CommandAsync("DATA"), Does.StartWith("354"));
        await raw.SendAsync("Subject: big\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('z', 70) + "\r\n", 40)) + ".\r\n");
        var replies = await ReadUntilClosedAsync(raw);

        Assert.That(replies, Has.Count.EqualTo(2), string.Join("\n", replies));
        Assert.That(replies[0], Does.StartWith("552 5.3.4"), "error 4: message too big (the reply of DATA)");
        Assert.That(replies[1], Does.StartWith("421 4.7.0"));
        Assert.That(flow.Count("in"), Is.Zero);
    }

    [Test]
    public async Task A_DATA_phase_longer_than_data_timeout_gets_421_and_frees_the_slot()
    {
        await using var flow = new FlowHost(FlowHost.FreePort(), lmtpSettings: "data_timeout: 2s\nidle_timeout: 30s\nmax_connections: 1");
        await flow.StartLmtpAsync();
        // The readiness probe's own session may still hold the one slot for a moment.
        var raw = await ConnectServedAsync(flow);
        await using (raw)
        {
            Assert.That(await raw.CommandAsync("LHLO client.test"), Does.StartWith("250"));
            Assert.That(await raw.CommandAsync("MAIL FROM:<anne@example.com>"), Does.StartWith("250"));
            Assert.That(await raw.CommandAsync("RCPT TO:<two@example.com>"), Does.StartWith("250"));
            Assert.That(await raw.CommandAsync("DATA"), Does.StartWith("354"));
            await raw.SendAsync("From: anne@example.com\r\nSubject: slow\r\n\r\n");

            // One short line every 0.5 s: each within idle_timeout, the whole far beyond data_timeout.
            var clock = Stopwatch.StartNew();
            var reply = raw.ReadReplyAsync(TimeSpan.FromSeconds(30));
            while (!reply.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                try
                {
                    await raw.SendAsync("a slow line\r\n");
                }
                catch (IOException)
                {
                    break;
                }

                await Task.WhenAny(reply, Task.Delay(500));
            }

            Assert.That(reply.IsCompleted, Is.True, "the server ended the DATA phase");
            Assert.That(await reply, Does.StartWith("421 4.4.2").And.Contain("data_timeout"));
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)));
            Assert.That(await raw.ReadReplyAsync(), Is.Null, "closed after the 421");
        }

        Assert.That(flow.Count("in"), Is.Zero, "nothing of the cut message was queued");
        await using var next = await ConnectServedAsync(flow);
        Assert.That(await next.CommandAsync("NOOP"), Does.StartWith("250"), "the slot is free again");
    }

    private static async Task<RawLmtp> ConnectAsync(FlowHost flow)
    {
        var client = await RawLmtp.ConnectAsync(flow.LmtpPort);
        Assert.That(await client.ReadReplyAsync(), Does.StartWith("220"));
        Assert.That(await client.CommandAsync("LHLO client.test"), Does.StartWith("250"));
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

    private static async Task<List<string>> ReadUntilClosedAsync(RawLmtp raw)
    {
        var replies = new List<string>();
        while (await raw.ReadReplyAsync() is { } reply)
        {
            replies.Add(reply);
        }

        return replies;
    }
}
