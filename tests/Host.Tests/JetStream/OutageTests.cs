using System.Text.Json;
using RunnerHost.Hosting.Cli;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.JetStream;

/// <summary>
/// The single nats-server of a host is stopped in the middle of the work and started again (same port,
/// same store): the runners pause and resume by themselves, nothing is lost, and <c>status</c> says the
/// back end is unavailable while it is.
/// </summary>
[NonParallelizable]
public sealed class OutageTests
{
    private const int Messages = 1000;
    private const int Instances = 2;

    private NatsServer? _server;
    private JetStreamInstallation? _host;

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
    public async Task Runners_resume_after_the_server_comes_back_and_status_names_the_outage()
    {
        _server = await NatsServer.StartAsync();
        _host = JetStreamInstallation.Create("solo", [_server], replicas: 1, JetStreamInstallation.NewPrefix(), JetStreamInstallation.ArchiveRunner(Instances));
        using var master = _host.StartMaster();
        await _host.WaitForAllRunningAsync(master, Instances);
        var healthy = await _host.RunAsync("status");
        Assert.That(healthy.Stdout, Does.Contain($"Queue back end: JetStream at {_server.Url} (this host: solo)\n"), healthy.ToString());

        await _host.EnqueueAsync("archive", Messages);
        await JetStreamInstallation.WaitUntilAsync(() => Task.FromResult(_host.ArchivedCount() >= Messages / 5), () => $"a fifth processed ({_host.ArchivedCount()})");
        await _server.StopAsync();
        int atStop = _host.ArchivedCount();

        // Longer than slice_lease: the claims lapse on the server meanwhile and must be taken again.
        var outageEnds = DateTime.UtcNow + JetStreamInstallation.SliceLease + TimeSpan.FromSeconds(2);
        var text = await _host.RunAsync("status");
        var json = await _host.RunAsync("status", "--json");
        string? problem;
        using (var report = JsonDocument.Parse(json.Stdout))
        {
            problem = report.RootElement.GetProperty("queueBackend").GetProperty("problem").GetString();
        }

        if (DateTime.UtcNow < outageEnds)
        {
            await Task.Delay(outageEnds - DateTime.UtcNow);
        }

        int duringOutage = _host.ArchivedCount();
        bool masterAliveInOutage = !master.HasExited;
        await _server.StartAgainAsync();
        TestContext.Out.WriteLine($"stopped with {atStop} processed, {duringOutage} at the restart");

        await JetStreamInstallation.WaitUntilAsync(
            async () => _host.ArchivedMessageIds().Distinct(StringComparer.Ordinal).Count() >= Messages && await _host.DepthAsync("archive") == 0,
            () => $"every message processed ({_host.ArchivedMessageIds().Distinct(StringComparer.Ordinal).Count()}) and the queue empty\nmaster stderr (end):\n{JetStreamInstallation.Tail(master.Stderr)}");

        var ids = _host.ArchivedMessageIds();
        int duplicates = ids.Count - ids.Distinct(StringComparer.Ordinal).Count();
        TestContext.Out.WriteLine($"{Messages} messages, {duplicates} duplicates");
        var after = await _host.RunAsync("status", "--json");
        var afterText = await _host.RunAsync("status");
        var (queues, queuesRun) = await _host.QueuesCommandAsync();
        using var afterJson = JsonDocument.Parse(after.Stdout);
        using (Assert.EnterMultipleScope())
        {
            var line = text.Stdout.Split('\n').SingleOrDefault(l => l.StartsWith("Queue back end: JetStream at ", StringComparison.Ordinal));
            Assert.That(line, Does.StartWith($"Queue back end: JetStream at {_server.Url} (this host: solo); UNAVAILABLE: "), text.ToString());
            Assert.That(text.ExitCode, Is.EqualTo(StatusCommand.Running).Or.EqualTo(StatusCommand.SomeSliceNotRunning), text.ToString());
            Assert.That(problem, Does.Contain(_server.Url), json.Stdout);
            Assert.That(masterAliveInOutage, Is.True, "the master outlived the outage");

            Assert.That(Enumerable.Range(0, Messages).Select(i => $"m{i}@test").Except(ids, StringComparer.Ordinal), Is.Empty, "nothing lost");
            Assert.That(ids.Distinct(StringComparer.Ordinal).Count(), Is.EqualTo(Messages), "nothing but the messages sent");
            Assert.That(duplicates, Is.InRange(0, Instances), "at most the entry each slice had in hand");
            Assert.That(afterJson.RootElement.GetProperty("queueBackend").GetProperty("problem").ValueKind, Is.EqualTo(JsonValueKind.Null), after.Stdout);
            Assert.That(afterText.Stdout, Does.Contain($"Queue back end: JetStream at {_server.Url} (this host: solo)\n"), afterText.ToString());
            Assert.That(after.ExitCode, Is.EqualTo(StatusCommand.Running), after.ToString());
            Assert.That(queuesRun.ExitCode, Is.Zero, queuesRun.ToString());
            Assert.That(queues.GetValueOrDefault("archive", (-1, -1)), Is.EqualTo((0, 0)), queuesRun.Stdout);
            Assert.That(queues.GetValueOrDefault("bad", (-1, -1)), Is.EqualTo((0, 0)), queuesRun.Stdout);
            // Every message was processed once: an acknowledgement the outage held up is no processing failure.
            Assert.That(queues.GetValueOrDefault("shunt", (-1, -1)), Is.EqualTo((0, 0)), $"nothing shunted\n{queuesRun.Stdout}\n{string.Join("\n", master.Stderr.Split('\n').Where(l => l.Contains("SHUNTING", StringComparison.Ordinal) || l.Contains("uncaught", StringComparison.Ordinal)))}");
            // Paused, not failed: no slice was restarted by the outage.
            Assert.That(_host.StatusOf(master)?.Slices.Select(s => (s.State, s.RestartsInWindow)), Is.All.EqualTo((SliceState.Running, 0)), _host.StatusOf(master)?.ToJson());
        }

        master.Signal(Posix.SigTerm);
        Assert.That(await master.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.Zero, JetStreamInstallation.Tail(master.Stderr));
    }
}
