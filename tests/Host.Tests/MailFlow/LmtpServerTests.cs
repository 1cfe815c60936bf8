using MimeKit;

namespace RunnerHost.Hosting.Tests.MailFlow;

/// <summary>The LMTP runner, driven by swaks, Python's smtplib and raw sockets.</summary>
[NonParallelizable]
public sealed class LmtpServerTests
{
    private const string Message = "From: anne@example.com\r\nTo: two@example.com\r\nSubject: hello\r\n\r\nHi there.\r\n";

    private FlowHost _flow = null!;

    [SetUp]
    public async Task SetUp()
    {
        _flow = new FlowHost(smtpPort: FlowHost.FreePort(), lmtpSettings: "max_message_size: 20000\nmax_recipients: 5");
        await _flow.StartLmtpAsync();
    }

    [TearDown]
    public async Task TearDown() => await _flow.DisposeAsync();

    [Test]
    public async Task Swaks_pipelined_post_is_queued_in_in_with_list_metadata_and_hash_headers()
    {
        var (exit, output) = await Peers.SwaksAsync(
            "--server", $"127.0.0.1:{_flow.LmtpPort}", "--protocol", "LMTP", "--pipeline",
            "--from", "anne@example.com", "--to", "two@example.com", "--header", "Subject: pipelined", "--body", "Hello list.");

        Assert.That(exit, Is.Zero, output);
        Assert.That(output, Does.Contain("250-PIPELINING").And.Contain("250 2.0.0 Ok: queued"));
        var entries = _flow.Queue("in").GetFiles();
        Assert.That(entries, Has.Count.EqualTo(1));
        var entry = await _flow.Queue("in").DequeueAsync(entries[0]);
        Assert.Multiple(() =>
        {
            Assert.That(entry.Metadata.ListId, Is.EqualTo("two.example.com"));
            Assert.That(entry.Metadata["to_list"], Is.True);
            Assert.That(entry.Metadata.ContainsKey("received_time"), Is.True);
            Assert.That(entry.Metadata.TryGetInt64("original_size", out long size) && size > 0, Is.True);
            Assert.That(entry.Message.Subject, Is.EqualTo("pipelined"));
            Assert.That(entry.Message.Headers["X-MailFrom"], Is.EqualTo("anne@example.com"));
            Assert.That(entry.Message.Headers["Message-ID-Hash"], Has.Length.EqualTo(32));
            Assert.That(entry.Message.Headers["X-Message-ID-Hash"], Is.EqualTo(entry.Message.Headers["Message-ID-Hash"]));
        });
    }

    [Test]
    public async Task Swaks_mixed_recipients_get_one_reply_each_and_only_accepted_ones_are_queued()
    {
        // two@ → in (to_list); two-owner@ → in (to_owner); nobody@ → 550; two-bounces@ → no bounces runner → 450.
        var (_, output) = await Peers.SwaksAsync(
            "--server", $"127.0.0.1:{_flow.LmtpPort}", "--protocol", "LMTP",
            "--from", "anne@example.com", "--to", "two@example.com,nobody@example.com,two-owner@example.com,two-bounces@example.com",
            "--body", "Mixed.");

        Assert.That(output, Does.Contain("550 5.1.1 <nobody@example.com>"));
        Assert.That(output, Does.Contain("450 4.3.0 <two-bounces@example.com>: no runner serves the 'bounces' queue"));
        Assert.That(output.Split('\n').Count(l => l.Contains("250 2.0.0 Ok: queued", StringComparison.Ordinal)), Is.EqualTo(2), output);
        var flags = new List<string>();
        foreach (var file in _flow.Queue("in").GetFiles())
        {
            var entry = await _flow.Queue("in").DequeueAsync(file);
            flags.Add(entry.Metadata.ContainsKey("to_owner") ? "to_owner" : entry.Metadata.ContainsKey("to_list") ? "to_list" : "?");
        }

        Assert.That(flags, Is.EquivalentTo(new[] { "to_list", "to_owner" }));
    }

    [Test]
    public async Task Python_smtplib_LMTP_reads_the_first_reply_and_the_rest_are_there_to_read()
    {
        const string script = """
            import smtplib, sys
            s = smtplib.LMTP('127.0.0.1', int(sys.argv[1]))
            print('helo', s.helo()[0])
            code, _ = s.ehlo('client.test')
            print('lhlo', code, 'size' in s.esmtp_features)
            msg = 'From: anne@example.com\r\nSubject: python\r\nMessage-ID: <py1@example.com>\r\n\r\nBody\r\n'
            refused = s.sendmail('anne@example.com', ['two@example.com', 'two-owner@example.com', 'x@example.com'], msg)
            print('refused', sorted(refused))
            # smtplib read only the first per-recipient reply after DATA; the second is still waiting.
            print('second', s.getreply()[0])
            print('noop', s.noop()[0])
            s.quit()
            """;

        var (exit, output) = await Peers.PythonAsync(script, _flow.LmtpPort);

        Assert.That(exit, Is.Zero, output);
        Assert.That(output, Does.Contain("helo 500"));
        Assert.That(output, Does.Contain("lhlo 250 True"));
        Assert.That(output, Does.Contain("refused ['x@example.com']"));
        Assert.That(output, Does.Contain("second 250"));
        Assert.That(output, Does.Contain("noop 250"));
        Assert.That(_flow.Count("in"), Is.EqualTo(2));
        var entry = await _flow.Queue("in").DequeueAsync(_flow.Queue("in").GetFiles()[0]);
        Assert.That(entry.Message.Headers["Message-ID-Hash"], Is.EqualTo("K5ZHQYVVCYT3TIFKNLHNQKRYSJL4QIPX"), "Base32(SHA-1('py1@example.com'))");
    }

    [Test]
    public async Task An_oversized_message_is_refused_with_552_by_SIZE_and_after_DATA()
    {
        const string script = """
            import smtplib, sys
            s = smtplib.LMTP('127.0.0.1', int(sys.argv[1]))
            s.ehlo('client.test')
            try:
                s.sendmail('anne@example.com', ['two@example.com'], 'Subject: big\r\n\r\n' + ('x' * 70 + '\r\n') * 400)
            except smtplib.SMTPSenderRefused as e:
                print('refused', e.smtp_code)
            """;
        var (_, output) = await Peers.PythonAsync(script, _flow.LmtpPort);
        Assert.That(output, Does.Contain("refused 552"), output);

        // Without SIZE the limit is enforced while reading the data: one 552 per recipient.
        await using var raw = await RawLmtp.ConnectAsync(_flow.LmtpPort);
        await raw.ReadReplyAsync();
        await raw.CommandAsync("LHLO client.test");
        Assert.That(await raw.CommandAsync("MAIL FROM:<anne@example.com>"), Does.StartWith("250"));
        Assert.That(await raw.CommandAsync("RCPT TO:<two@example.com>"), Does.StartWith("250"));
        Assert.That(await raw.CommandAsync("DATA"), Does.StartWith("354"));
        await raw.SendAsync("Subject: big\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('y', 70) + "\r\n", 400)) + ".\r\n");
        Assert.That(await raw.ReadReplyAsync(), Does.StartWith("552 5.3.4"));
        Assert.That(await raw.CommandAsync("NOOP"), Does.StartWith("250"), "the session goes on");
        Assert.That(_flow.Count("in"), Is.Zero);
    }

    [Test]
    public async Task Garbage_and_bad_sequences_get_5xx_and_the_server_keeps_serving()
    {
        await using (var raw = await RawLmtp.ConnectAsync(_flow.LmtpPort))
        {
            await raw.ReadReplyAsync();
            Assert.That(await raw.CommandAsync("MAIL FROM:<a@example.com>"), Does.StartWith("503 5.5.1"), "MAIL before LHLO");
            Assert.That(await raw.CommandAsync("EHLO client.test"), Does.StartWith("500 5.5.1"));
            Assert.That(await raw.CommandAsync("LHLO"), Does.StartWith("501"));
            Assert.That(await raw.CommandAsync("LHLO client.test"), Does.EndWith("250 SIZE 20000"));
            Assert.That(await raw.CommandAsync("RCPT TO:<two@example.com>"), Does.StartWith("503 5.5.1"), "RCPT before MAIL");
            Assert.That(await raw.CommandAsync("DATA"), Does.StartWith("503 5.5.1"), "DATA before MAIL");
            Assert.That(await raw.CommandAsync("MAIL FROM:anne@example.com"), Does.StartWith("501"), "no angle brackets");
            Assert.That(await raw.CommandAsync("MAIL FROM:<anne@example.com> FOO=BAR"), Does.StartWith("555"));
            Assert.That(await raw.CommandAsync("MAIL FROM:<anne@example.com>"), Does.StartWith("250"));
            Assert.That(await raw.CommandAsync("MAIL FROM:<anne@example.com>"), Does.StartWith("503 5.5.1"), "nested MAIL");
            Assert.That(await raw.CommandAsync("DATA"), Does.StartWith("503 5.5.1"), "DATA without recipients");
            Assert.That(await raw.CommandAsync("VRFY anne"), Does.StartWith("252"));
            Assert.That(await raw.CommandAsync("XYZZY"), Does.StartWith("500 5.5.2"));
            Assert.That(await raw.CommandAsync(new string('A', 5000)), Does.StartWith("500 5.5.2 Line too long"));
            var random = new byte[2000];
            new Random(42).NextBytes(random);
            await raw.SendAsync(random);
            await raw.SendAsync("\r\nQUIT\r\n");
            // Every reply to the random lines is 5xx; the session ends with 221 (QUIT) or 421 (max_errors).
            var replies = new List<string>();
            while (await raw.ReadReplyAsync() is { } reply)
            {
                replies.Add(reply);
            }

            Assert.That(replies, Is.Not.Empty);
            Assert.That(replies[..^1], Has.All.StartWith("5"));
            Assert.That(replies[^1], Does.StartWith("221").Or.StartWith("421"));
        }

        var (exit, output) = await Peers.SwaksAsync("--server", $"127.0.0.1:{_flow.LmtpPort}", "--protocol", "LMTP", "--to", "two@example.com", "--body", "after garbage");
        Assert.That(exit, Is.Zero, output);
        Assert.That(_flow.Count("in"), Is.EqualTo(1));
    }

    [Test]
    public async Task The_250_after_DATA_comes_only_once_the_entry_file_exists()
    {
        await using var raw = await RawLmtp.ConnectAsync(_flow.LmtpPort);
        await raw.ReadReplyAsync();
        await raw.CommandAsync("LHLO client.test");
        await raw.CommandAsync("MAIL FROM:<anne@example.com>");
        await raw.CommandAsync("RCPT TO:<two@example.com>");
        await raw.CommandAsync("DATA");
        await raw.SendAsync(Message + "..dot-stuffed line\r\n.\r\n");

        Assert.That(await raw.ReadReplyAsync(), Does.StartWith("250 2.0.0"));
        var files = Directory.GetFiles(Path.Combine(_flow.Host.QueueDir, "in"), "*.pck");
        Assert.That(files, Has.Length.EqualTo(1), "the entry is on disk when the reply arrives");
        var entry = await _flow.Queue("in").DequeueAsync(Path.GetFileNameWithoutExtension(files[0]));
        Assert.That(System.Text.Encoding.UTF8.GetString(entry.RawMessage.Span), Does.EndWith("\r\n\r\nHi there.\r\n.dot-stuffed line\r\n"), "dot-unstuffed, CRLF kept");
        Assert.That(entry.Message.MessageId, Is.Not.Empty, "a Message-ID was added");
    }

    [Test]
    public async Task Too_many_recipients_get_452()
    {
        await using var raw = await RawLmtp.ConnectAsync(_flow.LmtpPort);
        await raw.ReadReplyAsync();
        await raw.CommandAsync("LHLO client.test");
        await raw.CommandAsync("MAIL FROM:<anne@example.com>");
        for (int i = 0; i < 5; i++)
        {
            Assert.That(await raw.CommandAsync("RCPT TO:<two@example.com>"), Does.StartWith("250"));
        }

        Assert.That(await raw.CommandAsync("RCPT TO:<two@example.com>"), Does.StartWith("452 4.5.3"));
    }
}
