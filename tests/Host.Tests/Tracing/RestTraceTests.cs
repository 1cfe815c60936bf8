using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using RunnerHost.Hosting.Tests.MailFlow;
using RunnerHost.Hosting.Tests.Plugins;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Tracing;

/// <summary>
/// REST requests are spans, and a message injected over REST continues the caller's trace to the SMTP delivery:
/// <c>runner-host start</c> with the shipped flow, a real HTTP client sending its own W3C <c>traceparent</c>,
/// the test's SMTP sink and OTLP receiver.
/// </summary>
[NonParallelizable]
public sealed class RestTraceTests
{
    private const string Token = "rest-trace-token-0123456789abcdef";

    private static readonly Dictionary<string, string?> QuickExport = new() { ["OTEL_BSP_SCHEDULE_DELAY"] = "200" };

    private string _root = null!;
    private string _config = null!;

    [SetUp]
    public void SetUp()
    {
        _root = TestDirectories.CreateTemp("rest-trace");
        _config = Path.Combine(_root, "runner-host.cfg");
    }

    [TearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(_root);

    [Test]
    public async Task A_message_injected_over_rest_continues_the_callers_trace_to_the_smtp_delivery()
    {
        using var receiver = new OtlpReceiver();
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        int restPort = FlowHost.FreePort();
        string configuration = ShippedConfiguration.For(_root, FlowHost.FreePort(), restPort, sink.Port)
            .Replace($"rest_port: {restPort}", $"rest_port: {restPort}\napi_token: {Token}", StringComparison.Ordinal);
        await File.WriteAllTextAsync(_config, configuration + $"\n[tracing]\nexporter: otlp\nendpoint: {receiver.Endpoint}\n");
        using var master = HostProcess.Start(_root, QuickExport, "start", "-C", _config);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{restPort}"), Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            // The caller's own span: what a client instrumented with OpenTelemetry would send.
            var callerTrace = ActivityTraceId.CreateRandom().ToHexString();
            var callerSpan = ActivitySpanId.CreateRandom().ToHexString();
            var response = await InjectAsync(client, $"00-{callerTrace}-{callerSpan}-01", master);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
            await FlowHost.Eventually(() => sink.Received.Count == 1, "the injected message at the sink", seconds: 60);
            await FlowHost.Eventually(
                () => receiver.Spans.Any(s => s.TraceId == callerTrace && s.ParentSpanId == callerSpan)
                    && new[] { "process in", "process out", "smtp send" }.All(hop => receiver.Spans.Any(s => s.TraceId == callerTrace && s.Name == hop)),
                "the request's and the runners' spans in the caller's trace (each process exports on its own)",
                seconds: 30);

            var spans = receiver.Spans;
            string all = string.Join("\n", spans.Select(s => $"{s} kind={s.Kind} route={s.Tag("http.route")}"));
            var trace = spans.Where(s => s.TraceId == callerTrace).ToList();
            var request = trace.Where(s => s.ParentSpanId == callerSpan).ToList();
            Assert.That(request, Has.Count.EqualTo(1), $"one span whose parent is the caller's:\n{all}");
            var incoming = trace.Single(s => s.Name == "process in");
            var outgoing = trace.Single(s => s.Name == "process out");
            var smtp = trace.Single(s => s.Name == "smtp send");
            Assert.Multiple(() =>
            {
                Assert.That(request[0].Kind, Is.EqualTo(ReceivedSpan.Server), "the request is a server span");
                Assert.That(request[0].Name, Is.EqualTo("POST /queues/{name}"), all);
                Assert.That(request[0].Tag("http.request.method"), Is.EqualTo("POST"), all);
                Assert.That(request[0].Tag("http.route"), Is.EqualTo("/queues/{name}"), all);
                Assert.That(request[0].Tag("http.response.status_code"), Is.EqualTo("201"), all);
                Assert.That(request[0].Resource.GetValueOrDefault("runnerhost.runner"), Is.EqualTo("rest"), "the rest runner's process sent it");
                Assert.That(incoming.Kind, Is.EqualTo(ReceivedSpan.Consumer));
                Assert.That(incoming.ParentSpanId, Is.EqualTo(request[0].SpanId), "in continues the request that queued the entry");
                Assert.That(outgoing.ParentSpanId, Is.EqualTo(incoming.SpanId), "out continues in");
                Assert.That(smtp.ParentSpanId, Is.EqualTo(outgoing.SpanId), "the delivery is out's");
                Assert.That(smtp.Tag("runnerhost.result"), Is.EqualTo("delivered"));
            });

            // A read is a span too; without a caller's context it starts a trace of its own. A health probe is not.
            using (var probe = await client.GetAsync(new Uri("/health/live", UriKind.Relative)))
            {
                Assert.That(probe.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            }

            using (var read = await client.GetAsync(new Uri("/queues", UriKind.Relative)))
            {
                Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            }

            await FlowHost.Eventually(
                () => receiver.Spans.Any(s => s.Tag("http.route") == "/queues" && s.Tag("http.request.method") == "GET"),
                "the GET /queues span",
                seconds: 30);
            var get = receiver.Spans.First(s => s.Tag("http.route") == "/queues" && s.Tag("http.request.method") == "GET");
            Assert.That(get.ParentSpanId, Is.Empty, "no caller context, a new root");
            Assert.That(get.TraceId, Is.Not.EqualTo(callerTrace));
            Assert.That(get.Name, Is.EqualTo("GET /queues"));
            Assert.That(receiver.Spans.Where(s => s.Tag("url.path")?.StartsWith("/health", StringComparison.Ordinal) == true), Is.Empty, "probes are not traced");
            Assert.That(receiver.Rejected, Is.Empty);
        }
        finally
        {
            await HostProcess.RunAsync(_root, null, "stop", "-C", _config);
        }
    }

    // POSTs until the rest runner listens (the master starts it with the others).
    private static async Task<HttpResponseMessage> InjectAsync(HttpClient client, string traceparent, RunningHost master)
    {
        const string Message = "From: anne@example.com\r\nTo: test@example.com\r\nSubject: over REST\r\nMessage-Id: <rest-trace@example.com>\r\n\r\nInjected, traced.\r\n";
        Exception? last = null;
        for (int attempt = 0; attempt < 120 && !master.HasExited; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/queues/in?listid=test.example.com");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            request.Headers.TryAddWithoutValidation("traceparent", traceparent);
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Message));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
            try
            {
                return await client.SendAsync(request);
            }
            catch (HttpRequestException e)
            {
                last = e;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"the rest runner never took the request: {last?.Message}\nmaster stderr:\n{master.Stderr}");
        throw new UnreachableException();
    }
}
