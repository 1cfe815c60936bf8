namespace RunnerHost.Hosting.Tests.MailFlow;

/// <summary>
/// The whole flow with every runner running (in this process, created from the deployed plugins the
/// way <c>runner-host runner</c> creates them): LMTP in → pipeline → SMTP sink and archive, with the
/// sink going away mid-run.
/// </summary>
[NonParallelizable]
public sealed class EndToEndTests
{
    [Test]
    public async Task Mail_flows_from_LMTP_to_the_SMTP_sink_and_the_archive_and_survives_a_sink_outage_without_loss_or_duplicates()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await using var flow = new FlowHost(sink.Port);
        await flow.StartLmtpAsync();
        foreach (var name in new[] { "in", "out", "retry", "archive" })
        {
            await flow.StartAsync(name);
        }

        await SendAsync(flow, "first", "<e2e-1@example.com>");
        await FlowHost.Eventually(() => sink.Received.Count == 1, "first message at the sink");
        Assert.That(sink.Received[0].To, Is.EquivalentTo(new[] { "anne@example.com", "bart@example.com" }));
        Assert.That(sink.Received[0].Text, Does.Contain("List-Id: Two People <two.example.com>").And.Contain("Subject: [Two People] first"));

        // The smarthost goes away (open sessions dropped): the next post waits in retry.
        await sink.StopAsync();
        await SendAsync(flow, "second", "<e2e-2@example.com>");
        await FlowHost.Eventually(() => flow.Count("retry") == 1 || flow.Host.Logs.Messages().Any(m => m.Contains("temporarily failed", StringComparison.Ordinal)), "second message sent to retry");

        await sink.StartAsync();
        await FlowHost.Eventually(() => sink.Received.Count >= 2, "second message delivered after the sink came back", seconds: 30);
        await FlowHost.Eventually(() => Directory.Exists(ArchiveNew(flow)) && Directory.GetFiles(ArchiveNew(flow)).Length == 2, "both archived");
        await Task.Delay(500); // room for a duplicate to show up, were there one

        Assert.That(flow.Host.Logs.Messages(), Has.Some.Contains("temporarily failed"), "the outage was seen");
        Assert.That(flow.Host.Logs.Messages(), Has.Some.Contains("due again: back to out"), "the retry runner brought it back");
        var byId = sink.Received.GroupBy(m => MimeKit.MimeMessage.Load(new MemoryStream(m.Data)).MessageId ?? "(none)").ToDictionary(g => g.Key, g => g.ToList());
        Assert.That(byId.Keys, Is.EquivalentTo(new[] { "e2e-1@example.com", "e2e-2@example.com" }));
        Assert.That(byId.Values.Select(v => v.Count), Has.All.EqualTo(1), "none delivered twice");
        Assert.That(byId["e2e-2@example.com"].Single().To, Is.EquivalentTo(new[] { "anne@example.com", "bart@example.com" }));
        foreach (var queue in new[] { "in", "out", "retry", "shunt" })
        {
            Assert.That(flow.Count(queue), Is.Zero, $"{queue} is empty");
        }
    }

    private static string ArchiveNew(FlowHost flow) => Path.Combine(flow.ArchiveDir, "two.example.com", "new");

    private static async Task SendAsync(FlowHost flow, string subject, string messageId)
    {
        var (exit, output) = await Peers.SwaksAsync(
            "--server", $"127.0.0.1:{flow.LmtpPort}", "--protocol", "LMTP",
            "--from", "anne@example.com", "--to", "two@example.com",
            "--header", $"Subject: {subject}", "--header", $"Message-Id: {messageId}", "--body", $"Body of {subject}.");
        Assert.That(exit, Is.Zero, output);
    }
}
