using System.Text.Json;
using RunnerHost.Hosting.Cli;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Tests.Supervision;

/// <summary>A slice never runs twice at once: not across masters (an orphan of a SIGKILLed master), not by hand beside the master.</summary>
public sealed class SliceExclusionTests
{
    private const int Messages = 6;

    private MasterHarness _harness = null!;

    [TearDown]
    public void TearDown() => _harness?.Dispose();

    [Test]
    public async Task A_master_killed_mid_dispose_and_started_again_at_once_processes_every_message_exactly_once()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.slow]
            class: RecordingRunner
            output_dir: $out
            instances: 2
            dispose_delay: 5s
            stop_timeout: 30s
            kill_timeout: 5s
            """);
        int[] orphans;
        using var first = _harness.StartMaster();
        {
            orphans = [.. (await _harness.WaitForAllRunningAsync(first, 2)).Slices.Select(s => s.Pid!.Value)];
            await _harness.EnqueueAsync("slow", Messages);
            // Mid-dispose: a dequeued entry is a .bak; the children keep it in hand while a new master starts at once.
            await MasterHarness.WaitUntilAsync(() => Directory.GetFiles(_harness.QueueDir("slow"), "*.bak").Length > 0, "a message in hand", TimeSpan.FromMilliseconds(10));
            first.Signal(9);
            // Not the Process's exit, which also waits for the orphans to close the inherited stderr.
            await MasterHarness.WaitUntilAsync(() => !MasterLock.IsHeld(_harness.Paths.LockFile), "the killed master's lock released", TimeSpan.FromMilliseconds(10));
        }

        using var second = _harness.StartMaster();
        await MasterHarness.WaitUntilAsync(
            () => _harness.Recorded().Distinct(StringComparer.Ordinal).Count() == Messages && QueueEntries("slow") == 0,
            "every message processed and the queue empty");
        await MasterHarness.WaitUntilAsync(() => !orphans.Any(Posix.IsAlive), "the orphans to exit");
        var stop = await _harness.RunAsync("stop");
        Assert.That(stop.ExitCode, Is.Zero, stop.ToString());

        var recorded = _harness.Recorded();
        var expected = Enumerable.Range(0, Messages).Select(i => $"m{i}@test");
        Assert.That(expected.Except(recorded, StringComparer.Ordinal), Is.Empty, "nothing lost");
        Assert.That(recorded.GroupBy(m => m, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key), Is.Empty, "nothing processed twice");
        Assert.That(recorded, Has.Count.EqualTo(Messages));
    }

    [Test]
    public async Task A_hand_run_runner_refuses_a_slice_the_master_runs_and_an_overlapping_whole_queue_run()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.rec]
            class: RecordingRunner
            output_dir: $out
            instances: 2
            stop_timeout: 5s
            """);
        using var master = _harness.StartMaster();
        var status = await _harness.WaitForAllRunningAsync(master, 2);
        int holder = status.Slices.Single(s => s.Slice == 1).Pid!.Value;

        var slice = await _harness.RunAsync("runner", "--runner", "rec:1:2", "--once");
        var whole = await _harness.RunAsync("runner", "--runner", "rec", "--once");

        Assert.That(slice.ExitCode, Is.EqualTo(2), slice.ToString());
        Assert.That(slice.Stderr, Does.Contain($"rec:1/2 is already running (pid {holder}"), slice.ToString());
        Assert.That(whole.ExitCode, Is.EqualTo(2), "slice 0 of 1 overlaps both slices of 2: " + whole);
        Assert.That(whole.Stderr, Does.Contain("is already running"), whole.ToString());
        Assert.That(master.HasExited, Is.False);

        var stop = await _harness.RunAsync("stop");
        Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
        var after = await _harness.RunAsync("runner", "--runner", "rec:1:2", "--once");
        Assert.That(after.ExitCode, Is.Zero, "free again once the master is gone: " + after);
    }

    [Test]
    public async Task A_slice_whose_lock_is_held_waits_and_status_names_the_holder_in_both_isolations()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.rec]
            class: RecordingRunner
            output_dir: $out
            stop_timeout: 5s

            [runner.thr]
            class: RecordingRunner
            output_dir: $out
            isolation: thread
            stop_timeout: 5s
            """);
        // This test process plays the previous instance of both slices.
        string locks = Path.Combine(_harness.Root, "var", "locks");
        var held = new[] { "rec", "thr" }
            .Select(runner => SliceLock.TryAcquire(locks, new SliceId(runner, 0, 1), out _) ?? throw new InvalidOperationException("lock taken"))
            .ToList();
        int me = Environment.ProcessId;
        using var master = _harness.StartMaster();
        try
        {
            await _harness.WaitForAsync(s => s.Slices.Count == 2 && s.Slices.All(x => x is { State: SliceState.Waiting } && x.WaitingForPid == me), master, "both slices waiting for this process");
            await _harness.EnqueueAsync("rec", 1);
            await _harness.EnqueueAsync("thr", 1, first: 1);

            var status = await _harness.RunAsync("status");
            var json = await _harness.RunAsync("status", "--json");

            Assert.That(status.ExitCode, Is.EqualTo(StatusCommand.SomeSliceNotRunning), status.ToString());
            Assert.That(status.Stdout.Split('\n').Count(l => l.Contains(" waiting ", StringComparison.Ordinal) && l.Contains($"waiting for its previous instance (pid {me}) to exit", StringComparison.Ordinal)), Is.EqualTo(2), status.Stdout);
            using (var document = JsonDocument.Parse(json.Stdout))
            {
                var slices = document.RootElement.GetProperty("slices").EnumerateArray().ToList();
                Assert.That(slices.Select(x => x.GetProperty("state").GetString()), Is.All.EqualTo("waiting"), json.Stdout);
                Assert.That(slices.Select(x => x.GetProperty("waitingForPid").GetInt32()), Is.All.EqualTo(me), json.Stdout);
            }

            Assert.That(_harness.Recorded(), Is.Empty, "nothing runs while the previous instance holds the slice");
            Assert.That(master.Stderr, Does.Contain($"rec:0/1 waiting for its previous instance (pid {me}) to release"));
            Assert.That(master.Stderr, Does.Contain($"thr:0/1 waiting for its previous instance (pid {me}) to release"));
        }
        finally
        {
            held.ForEach(l => l.Dispose());
        }

        await _harness.WaitForAllRunningAsync(master, 2);
        await MasterHarness.WaitUntilAsync(() => _harness.Recorded().Count == 2, "both messages processed once the locks are free");
        var running = await _harness.RunAsync("status");
        Assert.That(running.ExitCode, Is.EqualTo(StatusCommand.Running), running.ToString());
    }

    private int QueueEntries(string queue) => !Directory.Exists(_harness.QueueDir(queue))
        ? 0
        : Directory.GetFiles(_harness.QueueDir(queue)).Count(f => f.EndsWith(".pck", StringComparison.Ordinal) || f.EndsWith(".bak", StringComparison.Ordinal));
}
