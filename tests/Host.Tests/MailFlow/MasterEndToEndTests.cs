using System.Diagnostics;
using System.Net;
using System.Text.Json;
using RunnerHost.Hosting.Tests.Plugins;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.MailFlow;

/// <summary>
/// The default configuration run the way a user runs it: <c>runner-host start</c> as a real process
/// with every runner a child process, mail in over LMTP, out to a real SMTP sink that goes away
/// mid-run, the archive, <c>status --json</c>, the REST API, and <c>stop</c>.
/// </summary>
[NonParallelizable]
public sealed class MasterEndToEndTests
{
    private static readonly string[] Runners = ["lmtp", "in", "out", "retry", "archive", "rest"];

    private string _root = null!;
    private string _config = null!;
    private int _lmtpPort;
    private int _restPort;

    [SetUp]
    public void SetUp()
    {
        _root = TestDirectories.CreateTemp("master-e2e");
        _config = Path.Combine(_root, "runner-host.cfg");
        _lmtpPort = FlowHost.FreePort();
        _restPort = FlowHost.FreePort();
    }

    [TearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(_root);

    [Test]
    public async Task The_master_runs_the_default_flow_through_a_sink_outage_without_loss_or_duplicates_and_stops_cleanly()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        await File.WriteAllTextAsync(_config, DefaultConfigFor(sink.Port));
        using var master = HostProcess.Start(_root, "start", "-C", _config);
        var status = await WaitForAllRunningAsync(master);
        var childPids = status.GetProperty("slices").EnumerateArray().Select(s => s.GetProperty("pid").GetInt32()).ToList();

        await SendAsync("first", "<master-e2e-1@example.com>");
        await FlowHost.Eventually(() => sink.Received.Count == 1, "first message at the sink", seconds: 60);
        Assert.That(sink.Received[0].To, Is.EquivalentTo(new[] { "anne@example.com", "bart@example.com" }));
        Assert.That(sink.Received[0].Text, Does.Contain("List-Id: Test list <test.example.com>").And.Contain("Subject: [Test list] first"));

        // The smarthost goes away: the next post is owed and goes to retry.
        await sink.StopAsync();
        await SendAsync("second", "<master-e2e-2@example.com>");
        await master.WaitForStderrAsync("temporarily failed", TimeSpan.FromSeconds(60));
        await master.WaitForStderrAsync("due again: back to out", TimeSpan.FromSeconds(60));

        await sink.StartAsync();
        await FlowHost.Eventually(() => sink.Received.Count >= 2, "second message delivered after the sink came back", seconds: 60);
        string archiveNew = Path.Combine(_root, "var", "archives", "test.example.com", "new");
        await FlowHost.Eventually(() => Directory.Exists(archiveNew) && Directory.GetFiles(archiveNew).Length == 2, "both archived", seconds: 60);
        await Task.Delay(1000); // room for a duplicate to show up, were there one

        var byId = sink.Received.GroupBy(m => MimeKit.MimeMessage.Load(new MemoryStream(m.Data)).MessageId ?? "(none)").ToDictionary(g => g.Key, g => g.Count());
        Assert.That(byId.Keys, Is.EquivalentTo(new[] { "master-e2e-1@example.com", "master-e2e-2@example.com" }), "no message lost");
        Assert.That(byId.Values, Has.All.EqualTo(1), "none delivered twice");
        var archived = Directory.GetFiles(archiveNew).Select(f => MimeKit.MimeMessage.Load(f).MessageId).ToList();
        Assert.That(archived, Is.EquivalentTo(new[] { "master-e2e-1@example.com", "master-e2e-2@example.com" }));

        // The REST API of the same master answers, and sees every runner running and the queues drained.
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_restPort}"), Timeout = TimeSpan.FromSeconds(30) };
        using (var runners = JsonDocument.Parse(await client.GetStringAsync("/runners")))
        {
            Assert.That(runners.RootElement.GetProperty("masterRunning").GetBoolean(), Is.True);
            Assert.That(runners.RootElement.GetProperty("runners").EnumerateArray().Select(r => r.GetProperty("runner").GetString()), Is.EquivalentTo(Runners));
        }

        await FlowHost.Eventually(() => QueueDepths(client).All(q => q.Value == 0), "every queue empty", seconds: 30);
        Assert.That((await client.GetAsync("/health/ready")).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var stop = await HostProcess.RunAsync(_root, null, "stop", "-C", _config);
        Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
        Assert.That(master.HasExited, Is.True, "stop returns only after the master is gone");
        Assert.That(childPids, Has.None.Matches<int>(IsAlive), "every child is gone");
    }

    private async Task<JsonElement> WaitForAllRunningAsync(RunningHost master)
    {
        var clock = Stopwatch.StartNew();
        string last = string.Empty;
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            var result = await HostProcess.RunAsync(_root, null, "status", "--json", "-C", _config);
            last = result.ToString();
            if (result.ExitCode == 1 && result.Stdout.TrimStart().StartsWith('{'))
            {
                using var document = JsonDocument.Parse(result.Stdout);
                var slices = document.RootElement.TryGetProperty("slices", out var listed) ? listed.EnumerateArray().ToList() : [];
                if (slices.Count == Runners.Length && slices.All(s => s.GetProperty("state").GetString() == "running"))
                {
                    Assert.That(slices.Select(s => s.GetProperty("runner").GetString()), Is.EquivalentTo(Runners));
                    return document.RootElement.Clone();
                }
            }

            if (master.HasExited)
            {
                break;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"not every runner became running; last status: {last}\nmaster stderr:\n{master.Stderr}");
        throw new InvalidOperationException("unreachable");
    }

    private static Dictionary<string, int> QueueDepths(HttpClient client)
    {
        using var queues = JsonDocument.Parse(client.GetStringAsync("/queues").GetAwaiter().GetResult());
        return queues.RootElement.EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!, q => q.GetProperty("depth").GetInt32());
    }

    private async Task SendAsync(string subject, string messageId)
    {
        var (exit, output) = await Peers.SwaksAsync(
            "--server", $"127.0.0.1:{_lmtpPort}", "--protocol", "LMTP",
            "--from", "anne@example.com", "--to", "test@example.com",
            "--header", $"Subject: {subject}", "--header", $"Message-Id: {messageId}", "--body", $"Body of {subject}.");
        Assert.That(exit, Is.Zero, output);
    }

    private string DefaultConfigFor(int smtpPort) => ShippedConfiguration.For(_root, _lmtpPort, _restPort, smtpPort);

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
