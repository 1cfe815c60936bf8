using System.Diagnostics;
using System.Text.Json;
using RunnerHost.Hosting.Cli;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.JetStream;

/// <summary>
/// Two hosts (two real masters, each with its own var_dir and host_name) on one three-node cluster with
/// the same queues: one works every slice, the other stands by naming it; when the first dies whole
/// (master and children SIGKILLed, as a machine dies), the other takes the slices over and finishes.
/// </summary>
[NonParallelizable]
public sealed class TwoHostTests
{
    private const int Messages = 1000;
    private const int Instances = 2;

    private NatsServer[] _cluster = [];
    private JetStreamInstallation? _alpha;
    private JetStreamInstallation? _beta;

    [TearDown]
    public async Task TearDown()
    {
        _alpha?.Dispose();
        _beta?.Dispose();
        foreach (var node in _cluster)
        {
            await node.DisposeAsync();
        }
    }

    [Test]
    public async Task The_standby_host_takes_over_the_slices_of_a_host_that_died_and_finishes_every_message()
    {
        _cluster = await NatsServer.StartClusterAsync();
        await ClusterProbe.WaitForReplicasAsync(_cluster, 3);
        string prefix = JetStreamInstallation.NewPrefix();
        _alpha = JetStreamInstallation.Create("alpha", _cluster, replicas: 3, prefix, JetStreamInstallation.ArchiveRunner(Instances));
        _beta = JetStreamInstallation.Create("beta", _cluster, replicas: 3, prefix, JetStreamInstallation.ArchiveRunner(Instances));
        using var alpha = _alpha.StartMaster();
        var alphaStatus = await _alpha.WaitForAllRunningAsync(alpha, Instances);
        using var beta = _beta.StartMaster();
        var betaStatus = await _beta.WaitForStatusAsync(
            beta, s => s.Slices.Count == Instances && s.Slices.All(x => x.State == SliceState.Waiting && x.WaitingFor?.Contains("standby", StringComparison.Ordinal) == true), "every slice of beta on standby");

        // What an operator sees on each host: every slice running here, or waiting for the host and pid that hold it.
        var alphaJson = await _alpha.RunAsync("status", "--json");
        var betaJson = await _beta.RunAsync("status", "--json");
        var betaText = await _beta.RunAsync("status");
        var alphaSlices = Slices(alphaJson);
        var betaSlices = Slices(betaJson);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(alphaJson.ExitCode, Is.EqualTo(StatusCommand.Running), alphaJson.ToString());
            Assert.That(alphaSlices.Select(s => s.State), Is.EqualTo(new[] { "running", "running" }), alphaJson.Stdout);
            Assert.That(alphaSlices.Select(s => s.Pid), Is.EqualTo(alphaStatus.Slices.OrderBy(s => s.Slice).Select(s => s.Pid)), "the pids of alpha's children");
            Assert.That(betaJson.ExitCode, Is.EqualTo(StatusCommand.SomeSliceNotRunning), betaJson.ToString());
            Assert.That(betaSlices.Select(s => s.State), Is.EqualTo(new[] { "waiting", "waiting" }), betaJson.Stdout);
            for (int slice = 0; slice < Instances; slice++)
            {
                string holder = $"held by host alpha pid {alphaStatus.Slices.Single(s => s.Slice == slice).Pid} (since ";
                Assert.That(betaSlices[slice].WaitingFor, Does.Contain(holder), betaJson.Stdout);
                Assert.That(betaStatus.Slices.Single(s => s.Slice == slice).WaitingFor, Does.Contain(holder));
            }

            Assert.That(betaText.Stdout.Split('\n').Count(l => l.StartsWith("archive", StringComparison.Ordinal) && l.Contains("waiting", StringComparison.Ordinal) && l.Contains("standby: the slice is held by host alpha pid", StringComparison.Ordinal)), Is.EqualTo(Instances), betaText.Stdout);
            Assert.That(betaText.Stdout, Does.Contain($"Queue back end: JetStream at {string.Join(", ", _cluster.Select(n => n.Url))} (this host: beta)\n"), betaText.Stdout);
        }

        await _alpha.EnqueueAsync("archive", Messages);
        await JetStreamInstallation.WaitUntilAsync(() => Task.FromResult(_alpha.ArchivedCount() >= Messages / 4), () => $"a quarter processed by alpha ({_alpha.ArchivedCount()})");
        Assert.That(_beta.ArchivedCount(), Is.Zero, "beta took nothing while alpha held the slices");

        var killed = HostCrash.Kill(alpha);
        var sinceKill = Stopwatch.StartNew();
        await alpha.WaitForExitAsync(TimeSpan.FromSeconds(10));
        int byAlpha = _alpha.ArchivedCount();
        TestContext.Out.WriteLine($"killed alpha (pids {string.Join(", ", killed)}) with {byAlpha} processed");

        // A dead holder's claims lapse after slice_lease; its entries in hand come back after ack_wait.
        var takeoverBound = JetStreamInstallation.AckWait + JetStreamInstallation.SliceLease + TimeSpan.FromSeconds(10);
        await _beta.WaitForStatusAsync(beta, s => s.Slices.All(x => x.State == SliceState.Running), "beta running every slice", takeoverBound);
        await JetStreamInstallation.WaitUntilAsync(() => Task.FromResult(_beta.ArchivedCount() > 0), () => "beta processing", takeoverBound - sinceKill.Elapsed);
        TestContext.Out.WriteLine($"beta took over in {sinceKill.Elapsed.TotalSeconds:0.0}s");

        await JetStreamInstallation.WaitUntilAsync(
            async () => AllIds().Distinct(StringComparer.Ordinal).Count() >= Messages && await _beta.DepthAsync("archive") == 0,
            () => $"every message processed ({AllIds().Distinct(StringComparer.Ordinal).Count()}) and the queue empty\nbeta stderr (end):\n{JetStreamInstallation.Tail(beta.Stderr)}");

        var ids = AllIds();
        int duplicates = ids.Count - ids.Distinct(StringComparer.Ordinal).Count();
        TestContext.Out.WriteLine($"{Messages} messages: {byAlpha} by alpha, {_beta.ArchivedCount()} by beta, {duplicates} duplicates");
        var (queues, queuesRun) = await _beta.QueuesCommandAsync();
        var after = await _beta.RunAsync("status", "--json");
        var afterSlices = Slices(after);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Enumerable.Range(0, Messages).Select(i => $"m{i}@test").Except(ids, StringComparer.Ordinal), Is.Empty, "nothing lost");
            Assert.That(ids.Distinct(StringComparer.Ordinal).Count(), Is.EqualTo(Messages), "nothing but the messages sent");
            // At most the entry each slice had in hand when alpha died is processed again.
            Assert.That(duplicates, Is.InRange(0, Instances));
            Assert.That(queuesRun.ExitCode, Is.Zero, queuesRun.ToString());
            Assert.That(queues.TryGetValue("archive", out var archive) ? archive : (-1, -1), Is.EqualTo((0, 0)), queuesRun.Stdout);
            Assert.That(after.ExitCode, Is.EqualTo(StatusCommand.Running), after.ToString());
            Assert.That(afterSlices.Select(s => (s.State, s.WaitingFor)), Is.All.EqualTo(("running", (string?)null)), after.Stdout);
            Assert.That(_beta.StatusOf(beta)?.Slices.Select(s => s.RestartsInWindow), Is.All.Zero, $"beta's slices took over without a restart:\n{Problems(beta)}");
        }

        beta.Signal(Posix.SigTerm);
        Assert.That(await beta.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.Zero, JetStreamInstallation.Tail(beta.Stderr));
    }

    [Test]
    public async Task An_outage_longer_than_the_slice_lease_leaves_the_slices_with_their_holder()
    {
        var server = await NatsServer.StartAsync();
        _cluster = [server];
        string prefix = JetStreamInstallation.NewPrefix();
        _alpha = JetStreamInstallation.Create("alpha", _cluster, replicas: 1, prefix, JetStreamInstallation.ArchiveRunner(Instances));
        _beta = JetStreamInstallation.Create("beta", _cluster, replicas: 1, prefix, JetStreamInstallation.ArchiveRunner(Instances));
        using var alpha = _alpha.StartMaster();
        var before = await _alpha.WaitForAllRunningAsync(alpha, Instances);
        using var beta = _beta.StartMaster();
        await _beta.WaitForStatusAsync(beta, s => s.Slices.Count == Instances && s.Slices.All(x => x.State == SliceState.Waiting), "every slice of beta on standby");

        // The claims lapse on the server while it is away; both hosts want them back when it returns.
        await server.StopAsync();
        await Task.Delay(JetStreamInstallation.SliceLease + TimeSpan.FromSeconds(2));
        await server.StartAgainAsync();
        await _alpha.EnqueueAsync("archive", 20);
        await JetStreamInstallation.WaitUntilAsync(() => Task.FromResult(_alpha.ArchivedCount() + _beta.ArchivedCount() >= 20), () => "the messages after the outage processed");

        var alphaAfter = _alpha.StatusOf(alpha);
        var betaAfter = _beta.StatusOf(beta);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_beta.ArchivedCount(), Is.Zero, "the standby took nothing over");
            Assert.That(alphaAfter?.Slices.Select(x => (x.State, x.Pid)), Is.EqualTo(before.Slices.Select(x => (SliceState.Running, x.Pid))), $"alpha kept every slice with the same runner:\n{Problems(alpha)}");
            Assert.That(alphaAfter?.Slices.Select(x => x.RestartsInWindow), Is.All.Zero);
            Assert.That(betaAfter?.Slices.Select(x => x.State), Is.All.EqualTo(SliceState.Waiting), $"beta still stands by:\n{Problems(beta)}");
        }
    }

    // What the host logged above information, without the per-message lines.
    private static string Problems(RunningHost host) =>
        string.Join('\n', host.Stderr.Split('\n').Where(l => l.Contains(" WRN ", StringComparison.Ordinal) || l.Contains(" ERR ", StringComparison.Ordinal) || l.Contains(" CRT ", StringComparison.Ordinal) || l.Contains(" FTL ", StringComparison.Ordinal) || l.StartsWith("   at ", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal)));

    private List<string> AllIds() => [.. _alpha!.ArchivedMessageIds(), .. _beta!.ArchivedMessageIds()];

    private static List<(string State, int? Pid, string? WaitingFor)> Slices(ProcessResult status)
    {
        using var json = JsonDocument.Parse(status.Stdout);
        return [.. json.RootElement.GetProperty("slices").EnumerateArray()
            .OrderBy(s => s.GetProperty("slice").GetInt32())
            .Select(s => (
                s.GetProperty("state").GetString()!,
                s.TryGetProperty("pid", out var pid) && pid.ValueKind == JsonValueKind.Number ? pid.GetInt32() : (int?)null,
                s.TryGetProperty("waitingFor", out var waiting) ? waiting.GetString() : null))];
    }
}
