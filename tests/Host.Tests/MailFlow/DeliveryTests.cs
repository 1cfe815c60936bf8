using MimeKit;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.MailFlow;

/// <summary>The pipeline, out, retry and archive runners against a real SMTP server on loopback.</summary>
[NonParallelizable]
public sealed class DeliveryTests
{
    private const string Post = "From: anne@example.com\r\nTo: two@example.com\r\nSubject: news\r\nMessage-ID: <post1@example.com>\r\n\r\nLine one.\r\nLine two, 8bit: caf\u00e9.\r\n";

    private SmtpSink _sink = null!;
    private FlowHost _flow = null!;

    [SetUp]
    public async Task SetUp()
    {
        _sink = new SmtpSink();
        await _sink.StartAsync();
        _flow = new FlowHost(_sink.Port);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _flow.DisposeAsync();
        await _sink.DisposeAsync();
    }

    private static (List<string> Headers, string Body) Split(string message)
    {
        int end = message.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return ([.. message[..end].Split("\r\n")], message[(end + 4)..]);
    }

    private static MessageData OutMetadata(params string[] recipients) => new()
    {
        [MessageDataKeys.ListId] = "two.example.com",
        ["recipients"] = recipients.ToList(),
    };

    [Test]
    public async Task Out_delivers_the_bytes_as_queued_with_the_bounces_address_as_sender()
    {
        await _flow.EnqueueAsync("out", Post, OutMetadata("anne@example.com", "bart@example.com"));

        await _flow.RunOnceAsync("out");

        Assert.That(_sink.Received, Has.Count.EqualTo(1));
        var received = _sink.Received[0];
        Assert.That(received.From, Is.EqualTo("two-bounces@example.com"));
        Assert.That(received.To, Is.EquivalentTo(new[] { "anne@example.com", "bart@example.com" }));
        // Byte for byte apart from added headers: MailKit declares the 8-bit body (Content-Transfer-Encoding: 8bit).
        var (sentHeaders, sentBody) = Split(Post);
        var (gotHeaders, gotBody) = Split(received.Text);
        // The SmtpServer package counts the CRLF before the final "." as part of the terminator.
        Assert.That(gotBody + "\r\n", Is.EqualTo(sentBody));
        Assert.That(gotHeaders.Where(sentHeaders.Contains), Is.EqualTo(sentHeaders), "every header kept, in order");
        Assert.That(gotHeaders.Except(sentHeaders), Is.EqualTo(new[] { "Content-Transfer-Encoding: 8bit" }));
        Assert.That(_flow.Count("out"), Is.Zero);
        Assert.That(_flow.Count("retry"), Is.Zero);
    }

    [Test]
    public async Task A_4xx_from_the_server_sends_the_entry_to_retry_with_a_not_before_time()
    {
        _sink.RefuseData = 451;
        await _flow.EnqueueAsync("out", Post, OutMetadata("anne@example.com"));

        await _flow.RunOnceAsync("out");

        var retry = _flow.Queue("retry");
        Assert.That(retry.GetFiles(), Has.Count.EqualTo(1));
        Assert.That(retry.GetSnapshot(DateTimeOffset.UtcNow).Ready, Is.Empty, "not due yet");
        var entry = await retry.DequeueAsync(retry.GetFiles()[0]);
        Assert.Multiple(() =>
        {
            Assert.That(entry.Metadata["recipients"], Is.EqualTo(new List<object?> { "anne@example.com" }));
            Assert.That(entry.Metadata["deliver_attempts"], Is.EqualTo(1L));
            Assert.That(entry.Metadata.ContainsKey("first_attempt"), Is.True);
            Assert.That(entry.Metadata.GetString("last_error"), Does.StartWith("451"));
        });
    }

    [Test]
    public async Task A_5xx_for_one_recipient_is_recorded_and_the_others_are_delivered()
    {
        _sink.RefuseRecipients["bart@example.com"] = 550;
        _sink.RefuseRecipients["carl@example.com"] = 450;
        await _flow.EnqueueAsync("out", Post, OutMetadata("anne@example.com", "bart@example.com", "carl@example.com"));

        await _flow.RunOnceAsync("out");

        Assert.That(_sink.Received.SelectMany(r => r.To), Is.EquivalentTo(new[] { "anne@example.com" }));
        var retry = _flow.Queue("retry");
        Assert.That(retry.GetFiles(), Has.Count.EqualTo(1), "only the temporarily refused recipient is still owed");
        var entry = await retry.DequeueAsync(retry.GetFiles()[0]);
        Assert.That(entry.Metadata["recipients"], Is.EqualTo(new List<object?> { "carl@example.com" }));
        var failed = (List<object?>)entry.Metadata["failed_recipients"]!;
        var record = (MessageData)failed.Single()!;
        Assert.That(record["address"], Is.EqualTo("bart@example.com"));
        Assert.That(record["code"], Is.EqualTo(550L));
        Assert.That(record.GetString("reply"), Does.Contain("refused by test"));
        Assert.That(_flow.Host.Logs.Messages(), Has.Some.Contains("bart@example.com refused permanently: 550"));
    }

    [Test]
    public async Task Connection_refused_sends_every_recipient_to_retry()
    {
        await _sink.StopAsync();
        await _flow.EnqueueAsync("out", Post, OutMetadata("anne@example.com", "bart@example.com"));

        await _flow.RunOnceAsync("out");

        var retry = _flow.Queue("retry");
        Assert.That(retry.GetFiles(), Has.Count.EqualTo(1));
        var entry = await retry.DequeueAsync(retry.GetFiles()[0]);
        Assert.That(entry.Metadata["recipients"], Is.EqualTo(new List<object?> { "anne@example.com", "bart@example.com" }));
    }

    [Test]
    public async Task Retry_moves_a_due_entry_back_to_out_and_leaves_one_not_yet_due()
    {
        var now = DateTimeOffset.UtcNow;
        var metadata = OutMetadata("anne@example.com");
        metadata["first_attempt"] = now.AddMinutes(-10);
        await _flow.EnqueueAsync("retry", Post, metadata);
        await _flow.EnqueueAsync("retry", Post, metadata, notBefore: now.AddHours(1));

        await _flow.RunOnceAsync("retry");

        Assert.That(_flow.Count("out"), Is.EqualTo(1));
        Assert.That(_flow.Count("retry"), Is.EqualTo(1), "the entry due in an hour waits");
        Assert.That(_flow.Count("shunt"), Is.Zero);
    }

    [Test]
    public async Task Retry_shunts_an_entry_whose_retry_period_ran_out_with_the_reason()
    {
        var metadata = OutMetadata("anne@example.com");
        metadata["first_attempt"] = DateTimeOffset.UtcNow.AddDays(-6);
        metadata["deliver_attempts"] = 12;
        metadata["last_error"] = "451 try later";
        await _flow.EnqueueAsync("retry", Post, metadata);

        await _flow.RunOnceAsync("retry");

        Assert.That(_flow.Count("out"), Is.Zero);
        var shunt = _flow.Queue("shunt");
        Assert.That(shunt.GetFiles(), Has.Count.EqualTo(1));
        var error = (await shunt.DequeueAsync(shunt.GetFiles()[0])).Metadata.GetNested(MessageDataKeys.Error)!;
        Assert.That(error.GetString(ErrorRecordKeys.Message), Does.Contain("delivery_retry_period").And.Contain("451 try later").And.Contain("anne@example.com"));
        Assert.That(error.GetString(ErrorRecordKeys.Type), Does.EndWith("DeliveryExpiredException"));
    }

    [Test]
    public async Task The_pipeline_adds_list_headers_and_hands_copies_to_out_and_the_archive_which_reads_back_with_MimeKit()
    {
        await _flow.EnqueueAsync("in", Post, new MessageData { [MessageDataKeys.ListId] = "two.example.com", ["to_list"] = true });

        await _flow.RunOnceAsync("in");
        await _flow.RunOnceAsync("archive");

        var outEntry = await _flow.Queue("out").DequeueAsync(_flow.Queue("out").GetFiles().Single());
        Assert.That(outEntry.Metadata["recipients"], Is.EqualTo(new List<object?> { "anne@example.com", "bart@example.com" }));
        var maildir = Path.Combine(_flow.ArchiveDir, "two.example.com", "new");
        var archived = MimeMessage.Load(Directory.GetFiles(maildir).Single());
        Assert.Multiple(() =>
        {
            Assert.That(archived.Headers["List-Id"], Is.EqualTo("Two People <two.example.com>"));
            Assert.That(archived.Headers["List-Post"], Is.EqualTo("<mailto:two@example.com>"));
            Assert.That(archived.Headers["List-Unsubscribe"], Is.EqualTo("<mailto:two-leave@example.com>"));
            Assert.That(archived.Subject, Is.EqualTo("[Two People] news"));
            Assert.That(archived.MessageId, Is.EqualTo("post1@example.com"));
            Assert.That(archived.TextBody, Does.Contain("Line two, 8bit: caf\u00e9."));
        });
    }

    [Test]
    public async Task Owner_mail_goes_to_the_owners_only_and_is_not_archived()
    {
        await _flow.EnqueueAsync("in", Post, new MessageData { [MessageDataKeys.ListId] = "two.example.com", ["to_owner"] = true });

        await _flow.RunOnceAsync("in");

        var outEntry = await _flow.Queue("out").DequeueAsync(_flow.Queue("out").GetFiles().Single());
        Assert.That(outEntry.Metadata["recipients"], Is.EqualTo(new List<object?> { "owner@example.com" }));
        Assert.That(outEntry.Message.Subject, Is.EqualTo("news"), "no list decoration");
        Assert.That(_flow.Count("archive"), Is.Zero);
    }
}
