using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Tests.Supervision;

/// <summary>Thousands of messages across 2 runners × 2 slices while runner processes are SIGKILLed at random.</summary>
public sealed class SoakTests
{
    private const int Messages = 3000;
    private const int Kills = 4;

    private MasterHarness _harness = null!;

    [TearDown]
    public void TearDown() => _harness?.Dispose();

    [Test]
    public async Task Every_message_is_processed_at_least_once_with_no_more_duplicates_than_kills()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.a]
            class: RecordingRunner
            output_dir: $out
            instances: 2
            dispose_delay: 0.003s
            fsync: no
            restart_backoff: 0.2s
            stop_timeout: 5s

            [runner.b]
            class: RecordingRunner
            output_dir: $out
            instances: 2
            dispose_delay: 0.003s
            fsync: no
            restart_backoff: 0.2s
            stop_timeout: 5s
            """);
        using var master = _harness.StartMaster();
        await _harness.WaitForAllRunningAsync(master, 4);
        await Task.WhenAll(_harness.EnqueueAsync("a", Messages / 2), _harness.EnqueueAsync("b", Messages / 2, first: Messages / 2));

        var random = TestContext.CurrentContext.Random;
        var killed = new List<int>();
        while (killed.Count < Kills)
        {
            await Task.Delay(random.Next(300, 700));
            var status = await _harness.WaitForAsync(s => s.Slices.Count(x => x.State == SliceState.Running) >= 3, master, "running slices to kill");
            var victims = status.Slices.Where(s => s is { State: SliceState.Running, Pid: { } p } && !killed.Contains(p)).ToList();
            int pid = victims[random.Next(victims.Count)].Pid!.Value;
            if (Posix.SendSignal(pid, 9))
            {
                killed.Add(pid);
            }
        }

        await MasterHarness.WaitUntilAsync(
            () => _harness.Recorded().Distinct(StringComparer.Ordinal).Count() == Messages && QueueEntries("a") + QueueEntries("b") == 0,
            "every message processed and the queues empty");
        var stop = await _harness.RunAsync("stop");
        Assert.That(stop.ExitCode, Is.Zero, stop.ToString());

        var recorded = _harness.Recorded();
        var expected = Enumerable.Range(0, Messages).Select(i => $"m{i}@test");
        Assert.That(expected.Except(recorded, StringComparer.Ordinal), Is.Empty, "nothing lost");
        int duplicates = recorded.Count - Messages;
        TestContext.Out.WriteLine($"{Messages} messages, {Kills} kills, {duplicates} duplicates");
        Assert.That(duplicates, Is.InRange(0, Kills));
        Assert.That(Directory.Exists(_harness.QueueDir("shunt")) ? Directory.GetFiles(_harness.QueueDir("shunt")) : [], Is.Empty);
        Assert.That(Directory.Exists(_harness.QueueDir("bad")) ? Directory.GetFiles(_harness.QueueDir("bad")) : [], Is.Empty);
    }

    private int QueueEntries(string queue) => Directory.GetFiles(_harness.QueueDir(queue)).Count(f => f.EndsWith(".pck", StringComparison.Ordinal) || f.EndsWith(".bak", StringComparison.Ordinal));
}
