using NATS.Client.Core;
using NATS.Client.JetStream;
using RunnerHost.Hosting.Tests.MailFlow;
using RunnerHost.Hosting.Tests.Plugins;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Tracing;

/// <summary>
/// One post is one trace, the way users run it: <c>runner-host start</c> with the shipped flow (lmtp → in → out),
/// swaks as the LMTP client, the test's SMTP sink, and the test's own OTLP/HTTP receiver.
/// </summary>
[NonParallelizable]
public sealed class PostTraceTests
{
    // Spans leave the runner processes a fifth of a second after they end, not five seconds.
    private static readonly Dictionary<string, string?> QuickExport = new() { ["OTEL_BSP_SCHEDULE_DELAY"] = "200" };

    private string _root = null!;
    private string _config = null!;
    private int _lmtpPort;

    [SetUp]
    public void SetUp()
    {
        _root = TestDirectories.CreateTemp("post-trace");
        _config = Path.Combine(_root, "runner-host.cfg");
        _lmtpPort = FlowHost.FreePort();
    }

    [TearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(_root);

    [Test]
    public Task A_post_is_one_trace_from_the_lmtp_accept_through_both_runners_to_the_smtp_delivery() =>
        AssertOnePostOneTraceAsync(queues: string.Empty, () => Task.CompletedTask);

    [Test]
    public Task On_jetstream_the_context_travels_in_the_stream_entries_metadata()
    {
        // The shared server, under a prefix of this test's own: every queue of the flow is a stream subject.
        var server = SharedNatsServer.Get();
        string prefix = "t" + Guid.NewGuid().ToString("N")[..12];
        return AssertOnePostOneTraceAsync(
            $"\n[queues]\nbackend: jetstream\nservers: {server.Url}\nreplicas: 1\nprefix: {prefix}\n",
            async () =>
            {
                // The entries went through the streams (lmtp → in, in → out and archive), not through files.
                await using var connection = new NatsConnection(NatsOpts.Default with { Url = server.Url });
                var js = new NatsJSContext(connection);
                ulong published = 0;
                await foreach (string name in js.ListStreamNamesAsync())
                {
                    if (name.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        published += (await js.GetStreamAsync(name)).Info.State.LastSeq;
                    }
                }

                Assert.That(published, Is.GreaterThanOrEqualTo(3), $"entries published to the {prefix} streams");
            });
    }

    /// <param name="queues">A <c>[queues]</c> section, or empty for the default (files).</param>
    /// <param name="assertBackEnd">Checks that the back end named is the one the post went through.</param>
    private async Task AssertOnePostOneTraceAsync(string queues, Func<Task> assertBackEnd)
    {
        using var receiver = new OtlpReceiver();
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await File.WriteAllTextAsync(_config, ShippedConfiguration.For(_root, _lmtpPort, FlowHost.FreePort(), sink.Port)
            + queues + $"\n[tracing]\nexporter: otlp\nendpoint: {receiver.Endpoint}\n");
        using var master = HostProcess.Start(_root, QuickExport, "start", "-C", _config);
        try
        {
            await PostAsync("<trace-e2e@example.com>", master);
            await FlowHost.Eventually(() => sink.Received.Count == 1, "the post at the sink", seconds: 60);
            const string messageId = "trace-e2e@example.com";
            string[] hops = ["lmtp accept", "process in", "process out", "smtp send"];
            await FlowHost.Eventually(
                () => hops.All(hop => receiver.Spans.Any(s => s.Name == hop && s.Tag("runnerhost.message_id") == messageId)),
                "a span of every hop at the receiver",
                seconds: 30);

            var spans = receiver.Spans;
            string all = string.Join("\n", spans);
            Assert.That(receiver.Rejected, Is.Empty, "every export is an OTLP/HTTP protobuf POST to /v1/traces");
            var ofPost = spans.Where(s => s.Tag("runnerhost.message_id") == messageId).ToList();
            Assert.That(ofPost.Select(s => s.TraceId).Distinct().Count(), Is.EqualTo(1), $"one trace id over the post's spans:\n{all}");
            var trace = spans.Where(s => s.TraceId == ofPost[0].TraceId).ToList();

            var lmtp = Single(trace, "lmtp accept", ReceivedSpan.Server, all);
            var incoming = Single(trace, "process in", ReceivedSpan.Consumer, all);
            var outgoing = Single(trace, "process out", ReceivedSpan.Consumer, all);
            var smtp = Single(trace, "smtp send", ReceivedSpan.Client, all);
            Assert.Multiple(() =>
            {
                Assert.That(lmtp.ParentSpanId, Is.Empty, "the LMTP accept starts the trace");
                Assert.That(incoming.ParentSpanId, Is.EqualTo(lmtp.SpanId), "in continues the LMTP accept");
                Assert.That(outgoing.ParentSpanId, Is.EqualTo(incoming.SpanId), "out continues in");
                Assert.That(smtp.ParentSpanId, Is.EqualTo(outgoing.SpanId), "the delivery is out's");
                Assert.That(lmtp.Tag("runnerhost.list"), Is.EqualTo("test.example.com"));
                Assert.That(lmtp.Tag("messaging.destination.name"), Is.EqualTo("in"));
                Assert.That(incoming.Tag("runnerhost.runner"), Is.EqualTo("in"));
                Assert.That(incoming.Tag("runnerhost.outcome"), Is.EqualTo("Processed"));
                Assert.That(smtp.Tag("runnerhost.result"), Is.EqualTo("delivered"));
                Assert.That(smtp.Tag("runnerhost.recipients"), Is.EqualTo("2"));
                Assert.That(smtp.Tag("server.port"), Is.EqualTo(sink.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            });

            // Three runner processes, each its own resource: the context crossed process boundaries through the queues.
            var instances = new[] { lmtp, incoming, outgoing }.Select(s => s.Resource.GetValueOrDefault("service.instance.id")).Distinct().ToList();
            Assert.That(instances, Has.Count.EqualTo(3).And.None.Null, all);
            Assert.That(new[] { lmtp, incoming, smtp }.Select(s => s.Resource.GetValueOrDefault("process.pid")).Distinct().Count(), Is.EqualTo(3));
            Assert.That(smtp.Resource.GetValueOrDefault("service.name"), Is.EqualTo("runner-host"));
            Assert.That(smtp.Resource.GetValueOrDefault("runnerhost.runner"), Is.EqualTo("out"));
            await assertBackEnd();
        }
        finally
        {
            await HostProcess.RunAsync(_root, null, "stop", "-C", _config);
        }
    }

    [Test]
    public async Task With_the_default_configuration_nothing_is_exported_and_the_post_is_delivered()
    {
        using var receiver = new OtlpReceiver();
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await File.WriteAllTextAsync(_config, ShippedConfiguration.For(_root, _lmtpPort, FlowHost.FreePort(), sink.Port));

        // The standard variable names a collector, but tracing is off unless [tracing] names an exporter.
        var environment = new Dictionary<string, string?>(QuickExport) { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint };
        using var master = HostProcess.Start(_root, environment, "start", "-C", _config);
        try
        {
            await PostAsync("<trace-off@example.com>", master);
            await FlowHost.Eventually(() => sink.Received.Count == 1, "the post at the sink", seconds: 60);
            var stop = await HostProcess.RunAsync(_root, null, "stop", "-C", _config);
            Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
            Assert.That(receiver.Requests, Is.Zero, "no process exported anything");
            var queued = Directory.GetFiles(Path.Combine(_root, "var"), "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".pck", StringComparison.Ordinal));
            Assert.That(queued, Is.Empty, "nothing left queued");
        }
        finally
        {
            await HostProcess.RunAsync(_root, null, "stop", "-C", _config);
        }
    }

    private static ReceivedSpan Single(List<ReceivedSpan> trace, string name, int kind, string all)
    {
        var matching = trace.Where(s => s.Name == name).ToList();
        Assert.That(matching, Has.Count.EqualTo(1), $"one '{name}' span in the trace:\n{all}");
        Assert.That(matching[0].Kind, Is.EqualTo(kind), $"kind of '{name}'");
        return matching[0];
    }

    // swaks until the LMTP runner listens (the master starts it with the others).
    private async Task PostAsync(string messageId, RunningHost master)
    {
        (int ExitCode, string Output) last = default;
        for (int attempt = 0; attempt < 120 && !master.HasExited; attempt++)
        {
            last = await Peers.SwaksAsync(
                "--server", $"127.0.0.1:{_lmtpPort}", "--protocol", "LMTP",
                "--from", "anne@example.com", "--to", "test@example.com",
                "--header", "Subject: traced", "--header", $"Message-Id: {messageId}", "--body", "One post, one trace.");
            if (last.ExitCode == 0)
            {
                return;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"LMTP never took the post: {last.Output}\nmaster stderr:\n{master.Stderr}");
    }
}
