using System.Diagnostics;
using System.Text.Json;
using RunnerHost.Hosting.Cli;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.JetStream;

/// <summary>
/// A real master on a three-node JetStream cluster with replicated streams: a node dies (SIGKILL, the
/// leader of the queue's stream) in the middle of a soak, and the host goes on by itself.
/// </summary>
[NonParallelizable]
public sealed class ClusterSoakTests
{
    private const int Messages = 2000;
    private const int Instances = 2;

    private NatsServer[] _cluster = [];
    private JetStreamInstallation? _host;

    [TearDown]
    public async Task TearDown()
    {
        _host?.Dispose();
        foreach (var node in _cluster)
        {
            await node.DisposeAsync();
        }
    }

    [Test]
    public async Task A_node_killed_during_a_soak_loses_no_message_and_leaves_no_entry()
    {
        _cluster = await NatsServer.StartClusterAsync();
        await ClusterProbe.WaitForReplicasAsync(_cluster, 3);
        string prefix = JetStreamInstallation.NewPrefix();
        _host = JetStreamInstallation.Create("soak", _cluster, replicas: 3, prefix, JetStreamInstallation.ArchiveRunner(Instances));
        using var master = _host.StartMaster();
        await _host.WaitForAllRunningAsync(master, Instances);
        // The operator's first look, while every node runs (it also makes the streams of bad and shunt:
        // see the explicit test below for why that must not be left to a degraded cluster).
        var (early, earlyRun) = await _host.QueuesCommandAsync();
        Assert.That(earlyRun.ExitCode, Is.Zero, earlyRun.ToString());
        Assert.That(early.Keys, Is.EquivalentTo(new[] { "archive", "bad", "shunt" }));

        var clock = Stopwatch.StartNew();
        await _host.EnqueueAsync("archive", Messages);
        TestContext.Out.WriteLine($"enqueued {Messages} in {clock.Elapsed.TotalSeconds:0.0}s");

        // The stream's leader is the node whose loss matters most: its replicas elect another.
        await JetStreamInstallation.WaitUntilAsync(() => Task.FromResult(_host.ArchivedCount() >= Messages / 4), () => $"a quarter processed before the kill ({_host.ArchivedCount()})");
        var victim = await ClusterProbe.StreamLeaderAsync(_cluster, prefix + "_archive");
        int before = _host.ArchivedCount();
        victim.Kill();
        TestContext.Out.WriteLine($"killed {victim.Name} (leader of the stream) at {clock.Elapsed.TotalSeconds:0.0}s with {before} processed");

        await JetStreamInstallation.WaitUntilAsync(
            async () => _host.ArchivedMessageIds().Distinct(StringComparer.Ordinal).Count() >= Messages && await _host.DepthAsync("archive") == 0,
            () => $"every message processed and the queue empty ({_host.ArchivedMessageIds().Distinct(StringComparer.Ordinal).Count()} processed)\nmaster stderr (end):\n{JetStreamInstallation.Tail(master.Stderr)}");
        TestContext.Out.WriteLine($"all processed at {clock.Elapsed.TotalSeconds:0.0}s");

        var ids = _host.ArchivedMessageIds();
        var (queues, queuesRun) = await _host.QueuesCommandAsync();
        var statusRun = await _host.RunAsync("status", "--json");
        var textStatus = await _host.RunAsync("status");
        var status = _host.StatusOf(master);
        int duplicates = ids.Count - ids.Distinct(StringComparer.Ordinal).Count();
        TestContext.Out.WriteLine($"{Messages} messages, {duplicates} duplicates, restarts {string.Join(",", status?.Slices.Select(s => s.RestartsInWindow) ?? [])}");
        using var json = JsonDocument.Parse(statusRun.Stdout);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Enumerable.Range(0, Messages).Select(i => $"m{i}@test").Except(ids, StringComparer.Ordinal), Is.Empty, "nothing lost");
            Assert.That(ids.Distinct(StringComparer.Ordinal).Count(), Is.EqualTo(Messages), "nothing but the messages sent");
            Assert.That(queuesRun.ExitCode, Is.Zero, queuesRun.ToString());
            Assert.That(queues.TryGetValue("archive", out var archive) ? archive : (-1, -1), Is.EqualTo((0, 0)), queuesRun.Stdout);
            Assert.That(queues.Where(q => q.Key != "archive").Select(q => $"{q.Key}={q.Value.Depth}"), Is.All.EndWith("=0"), "bad and shunt hold nothing");
            // Nobody had to act: the master ran throughout, its slices never failed or restarted.
            Assert.That(master.HasExited, Is.False, master.Stderr);
            Assert.That(statusRun.ExitCode, Is.EqualTo(StatusCommand.Running), statusRun.ToString());
            Assert.That(status?.Slices.Select(s => (s.State, s.RestartsInWindow)), Is.All.EqualTo((SliceState.Running, 0)), status?.ToJson());
            Assert.That(json.RootElement.GetProperty("queueBackend").GetProperty("problem").ValueKind, Is.EqualTo(JsonValueKind.Null), statusRun.Stdout);
            Assert.That(textStatus.Stdout, Does.Contain("Queue back end: JetStream at ").And.Not.Contain("UNAVAILABLE"), textStatus.ToString());
        }

        master.Signal(Posix.SigTerm);
        Assert.That(await master.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.Zero, JetStreamInstallation.Tail(master.Stderr));
    }

    [Test]
    public async Task Queues_answers_for_never_used_queues_while_one_node_is_down()
    {
        _cluster = await NatsServer.StartClusterAsync();
        await ClusterProbe.WaitForReplicasAsync(_cluster, 3);
        _cluster[2].Kill();

        // Three installations, each under a prefix of its own: none of their streams exists yet.
        var failures = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            using var fresh = JetStreamInstallation.Create("fresh" + i, _cluster, replicas: 3, JetStreamInstallation.NewPrefix(), JetStreamInstallation.ArchiveRunner(Instances));
            // Right after the kill the cluster may still be electing a new JetStream leader (no API answers
            // for a few seconds, which `queues` rightly reports); once it has one, a queue never used must
            // read as empty, not fail for a stream it would have to create.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            var (queues, run) = await fresh.QueuesCommandAsync();
            while ((run.ExitCode != 0 || queues.Values.Any(q => q.Depth != 0)) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(1000);
                (queues, run) = await fresh.QueuesCommandAsync();
            }

            if (run.ExitCode != 0 || queues.Values.Any(q => q.Depth != 0))
            {
                failures.Add(run.ToString());
            }
        }

        Assert.That(failures, Is.Empty, "a cluster that lost one node of three still answers for queues that were never used");
    }
}
