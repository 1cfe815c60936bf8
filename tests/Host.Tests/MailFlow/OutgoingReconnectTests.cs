using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.MailFlow;

/// <summary>
/// The out runner's kept SMTP connection, closed by a real server that drops idle clients: the
/// reconnect is logged as what it is (Information, naming the server and the message), not as a
/// failure; a real delivery failure still logs as a Warning naming the message.
/// </summary>
[NonParallelizable]
public sealed class OutgoingReconnectTests
{
    [Test]
    public async Task A_kept_connection_the_server_closed_is_logged_as_a_reconnect_and_a_real_failure_as_a_failure()
    {
        await using var sink = new SmtpSink(idleTimeout: TimeSpan.FromSeconds(1));
        await sink.StartAsync();
        await using var flow = new FlowHost(sink.Port);
        await flow.StartAsync("out");

        await flow.EnqueueAsync("out", Post("keep-1@example.com"), Recipients());
        await FlowHost.Eventually(() => sink.Received.Count == 1, "the first message delivered");
        // The runner keeps the connection; the server closes it once it has been idle for its timeout.
        Assert.That(sink.OpenSessions, Is.EqualTo(1), "the runner keeps its connection open after the delivery");
        await FlowHost.Eventually(() => sink.OpenSessions == 0, "the server dropped the idle connection");
        int before = flow.Host.Logs.Lines.Count;

        await flow.EnqueueAsync("out", Post("keep-2@example.com"), Recipients());
        await FlowHost.Eventually(() => sink.Received.Count == 2, "the second message delivered over a new connection");

        await FlowHost.Eventually(() => Since(flow, before).Any(l => l.Message.Contains("delivered keep-2@example.com", StringComparison.Ordinal)), "the delivery logged");

        var reconnect = Since(flow, before).Where(l => l.Message.Contains("closed by the server; reconnecting", StringComparison.Ordinal)).ToList();
        Assert.That(reconnect, Has.Count.EqualTo(1), Dump(flow, before));
        Assert.That(reconnect[0].Level, Is.EqualTo(LogLevel.Information));
        Assert.That(reconnect[0].Message, Does.Contain($"SMTP connection to 127.0.0.1:{sink.Port} closed by the server; reconnecting").And.Contain("keep-2@example.com"));
        Assert.That(Since(flow, before).Where(l => l.Level >= LogLevel.Warning), Is.Empty, Dump(flow, before));
        Assert.That(flow.Count("retry"), Is.Zero, "nothing was owed");

        // A real failure: the smarthost is gone.
        await sink.StopAsync();
        int beforeOutage = flow.Host.Logs.Lines.Count;
        await flow.EnqueueAsync("out", Post("keep-3@example.com"), Recipients());
        await FlowHost.Eventually(() => flow.Count("retry") == 1, "the third message owed and sent to retry");
        var failures = Since(flow, beforeOutage).Where(l => l.Level == LogLevel.Warning && l.Message.Contains("keep-3@example.com", StringComparison.Ordinal)).ToList();
        Assert.That(failures.Select(l => l.Message), Has.Some.Contains($"SMTP delivery of keep-3@example.com to 127.0.0.1:{sink.Port} failed"), Dump(flow, beforeOutage));
        Assert.That(Since(flow, beforeOutage).Where(l => l.Level == LogLevel.Information && l.Message.Contains("reconnecting", StringComparison.Ordinal) && !l.Message.Contains("keep-3@example.com", StringComparison.Ordinal)), Is.Empty, "a reconnect always names its message");
    }

    [Test]
    public async Task A_kept_connection_dropped_without_a_reply_is_a_reconnect_too()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await using var flow = new FlowHost(sink.Port);
        await flow.StartAsync("out");
        await flow.EnqueueAsync("out", Post("drop-1@example.com"), Recipients());
        await FlowHost.Eventually(() => sink.Received.Count == 1, "the first message delivered");

        // The smarthost restarts: every session is dropped without a word, and it listens again on the same port.
        await sink.StopAsync();
        await sink.StartAsync();
        int before = flow.Host.Logs.Lines.Count;
        await flow.EnqueueAsync("out", Post("drop-2@example.com"), Recipients());
        await FlowHost.Eventually(() => sink.Received.Count == 2, "the second message delivered over a new connection");
        await FlowHost.Eventually(() => Since(flow, before).Any(l => l.Message.Contains("delivered drop-2@example.com", StringComparison.Ordinal)), "the delivery logged");

        Assert.That(
            Since(flow, before).Where(l => l.Level == LogLevel.Information).Select(l => l.Message),
            Has.Some.Contains($"SMTP connection to 127.0.0.1:{sink.Port} closed by the server; reconnecting to deliver drop-2@example.com"),
            Dump(flow, before));
        Assert.That(Since(flow, before).Where(l => l.Level >= LogLevel.Warning), Is.Empty, Dump(flow, before));
        Assert.That(flow.Count("retry") + flow.Count("shunt"), Is.Zero);
    }

    private static string Post(string messageId) =>
        $"From: anne@example.com\r\nTo: two@example.com\r\nSubject: kept\r\nMessage-ID: <{messageId}>\r\n\r\nBody.\r\n";

    private static MessageData Recipients() => new()
    {
        [MessageDataKeys.ListId] = "two.example.com",
        ["recipients"] = new List<string> { "anne@example.com" },
    };

    private static IEnumerable<LogLine> Since(FlowHost flow, int index) => flow.Host.Logs.Lines.Skip(index);

    private static string Dump(FlowHost flow, int index) => string.Join("\n", Since(flow, index).Select(l => $"{l.Level}: {l.Message}"));
}
