using System.Diagnostics;
using System.Text.Json;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Supervision;

/// <summary>The real master with real child processes and signals: start, status, stop, lock, master death, detach.</summary>
public sealed class MasterLifecycleTests
{
    private const string TwoModes = """
        [runner.rec]
        class: RecordingRunner
        output_dir: $out
        instances: 2
        stop_timeout: 5s
        kill_timeout: 2s

        [runner.thr]
        class: RecordingRunner
        output_dir: $out
        instances: 2
        isolation: thread
        stop_timeout: 5s
        """;

    private MasterHarness _harness = null!;

    [TearDown]
    public void TearDown() => _harness?.Dispose();

    [Test]
    public async Task Every_slice_runs_in_both_isolation_modes_status_shows_them_and_stop_waits_for_all()
    {
        _harness = await MasterHarness.CreateAsync(TwoModes);
        using var master = _harness.StartMaster();
        var status = await _harness.WaitForAllRunningAsync(master, 4);
        var childPids = status.Slices.Where(s => s.Isolation == "process").Select(s => s.Pid!.Value).ToList();
        Assert.That(childPids, Has.Count.EqualTo(2).And.Unique);
        Assert.That(status.Slices.Where(s => s.Isolation == "thread").Select(s => s.Pid), Is.All.EqualTo(status.MasterPid));

        var table = await _harness.RunAsync("status");
        Assert.That(table.ExitCode, Is.EqualTo(1), table.ToString());
        Assert.That(table.Stdout, Does.Contain($"master pid {status.MasterPid}"));
        Assert.That(table.Stdout.Split('\n').Count(l => l.StartsWith("rec ", StringComparison.Ordinal) || l.StartsWith("thr ", StringComparison.Ordinal)), Is.EqualTo(4), table.Stdout);
        Assert.That(table.Stdout.Split('\n').Count(l => l.Contains(" running ", StringComparison.Ordinal)), Is.EqualTo(5), "the header line and four slices");
        var json = await _harness.RunAsync("status", "--json");
        Assert.That(json.Stdout, Does.Contain("\"queueDepth\":0"));

        await _harness.EnqueueAsync("rec", 10);
        await _harness.EnqueueAsync("thr", 10, first: 100);
        await MasterHarness.WaitUntilAsync(() => _harness.Recorded().Count == 20, "20 messages processed");

        var stop = await _harness.RunAsync("stop");
        Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
        Assert.That(master.HasExited, Is.True, "stop returns only after the master is gone");
        Assert.That(childPids.Where(Posix.IsAlive), Is.Empty, "every child is gone");
        Assert.That(await master.WaitForExitAsync(MasterHarness.Patience), Is.Zero, master.Stderr);
        var after = await _harness.RunAsync("status");
        Assert.That(after.ExitCode, Is.Zero);
        Assert.That(after.Stdout, Is.EqualTo("RunnerHost is not running\n"));
    }

    [Test]
    public async Task A_second_master_is_refused_naming_the_pid_and_lock()
    {
        _harness = await MasterHarness.CreateAsync(TwoModes);
        using var master = _harness.StartMaster();
        var status = await _harness.WaitForAllRunningAsync(master, 4);

        var second = await _harness.RunAsync("start");

        Assert.That(second.ExitCode, Is.EqualTo(2), second.ToString());
        Assert.That(second.Stderr, Does.Contain($"Error: the master is already running (pid {status.MasterPid}, lock {_harness.Paths.LockFile})"));
        Assert.That(master.HasExited, Is.False);
    }

    [Test]
    public async Task When_the_master_is_killed_its_children_exit_and_start_works_again_without_force()
    {
        _harness = await MasterHarness.CreateAsync(TwoModes);
        int[] childPids;
        using (var master = _harness.StartMaster())
        {
            var status = await _harness.WaitForAllRunningAsync(master, 4);
            childPids = [.. status.Slices.Where(s => s.Isolation == "process").Select(s => s.Pid!.Value)];

            master.Signal(9);
            await master.WaitForExitAsync(MasterHarness.Patience);
        }

        await MasterHarness.WaitUntilAsync(() => !childPids.Any(Posix.IsAlive), "the orphaned children to exit");

        using var again = _harness.StartMaster();
        var restarted = await _harness.WaitForAllRunningAsync(again, 4);
        Assert.That(restarted.MasterPid, Is.Not.EqualTo(0));
        again.Signal(15);
        Assert.That(await again.WaitForExitAsync(MasterHarness.Patience), Is.Zero, again.Stderr);
    }

    [Test]
    public async Task Stop_during_a_slow_dispose_neither_shunts_nor_loses_the_message()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.slow]
            class: RecordingRunner
            output_dir: $out
            dispose_delay: 60s
            stop_timeout: 1s
            kill_timeout: 10s
            """);
        using var master = _harness.StartMaster();
        await _harness.WaitForAllRunningAsync(master, 1);
        await _harness.EnqueueAsync("slow", 1);
        await _harness.WaitForAsync(s => s.Slices[0].InFlight is not null, master, "the message in hand");

        var stop = await _harness.RunAsync("stop");

        Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
        Assert.That(Directory.GetFiles(_harness.QueueDir("slow")).Select(Path.GetExtension), Is.EqualTo(new[] { ".pck" }), "back in its queue");
        Assert.That(Directory.Exists(_harness.QueueDir("shunt")) ? Directory.GetFiles(_harness.QueueDir("shunt")) : [], Is.Empty, "nothing shunted");
        Assert.That(_harness.Recorded(), Is.Empty);
        Assert.That(master.Stderr, Does.Contain("returned it to the queue"));
    }

    [Test]
    public async Task Start_detach_returns_once_every_runner_is_running()
    {
        _harness = await MasterHarness.CreateAsync(TwoModes);
        try
        {
            var start = await _harness.RunAsync("start", "--detach");

            Assert.That(start.ExitCode, Is.Zero, start.ToString());
            Assert.That(start.Stdout, Does.StartWith("RunnerHost master started (pid "));
            var status = _harness.Status;
            Assert.That(status?.Slices.Select(s => s.State), Is.All.EqualTo(SliceState.Running));
            Assert.That(File.ReadAllText(_harness.Paths.LogFile), Does.Contain("Master started"));
        }
        finally
        {
            var stop = await _harness.RunAsync("stop");
            Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
        }
    }

    [Test]
    public async Task Status_json_has_the_same_keys_whether_the_master_runs_or_not()
    {
        _harness = await MasterHarness.CreateAsync(TwoModes);
        var stopped = await _harness.RunAsync("status", "--json");
        using var master = _harness.StartMaster();
        await _harness.WaitForAllRunningAsync(master, 4);
        var running = await _harness.RunAsync("status", "--json");

        using var notRunning = JsonDocument.Parse(stopped.Stdout);
        using var isRunning = JsonDocument.Parse(running.Stdout);
        static List<string> Keys(JsonDocument d) => [.. d.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];
        Assert.That(Keys(notRunning), Is.EqualTo(Keys(isRunning)), $"{stopped.Stdout}\n{running.Stdout}");
        Assert.That(Keys(isRunning), Is.SupersetOf(new[] { "running", "masterPid", "slices", "shuntDepth" }));
        Assert.That(notRunning.RootElement.GetProperty("running").GetBoolean(), Is.False);
        Assert.That(notRunning.RootElement.GetProperty("masterPid").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(notRunning.RootElement.GetProperty("slices").GetArrayLength(), Is.Zero);
        Assert.That(isRunning.RootElement.GetProperty("running").GetBoolean(), Is.True);
        Assert.That(isRunning.RootElement.GetProperty("masterPid").GetInt32(), Is.EqualTo(master.Id));
        Assert.That(isRunning.RootElement.GetProperty("slices").GetArrayLength(), Is.EqualTo(4));
    }

    [Test]
    public async Task Stop_treats_an_exited_master_its_parent_has_not_reaped_as_gone()
    {
        _harness = await MasterHarness.CreateAsync(TwoModes);
        // A parent that starts the master in the foreground and never waits for it: the shell becomes sleep.
        var start = new ProcessStartInfo("sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("dotnet \"$0\" start -C \"$1\" </dev/null >\"$2\" 2>&1 & exec sleep 300");
        start.ArgumentList.Add(HostProcess.HostDll);
        start.ArgumentList.Add(_harness.ConfigFile);
        start.ArgumentList.Add(Path.Combine(_harness.Root, "master.out"));
        start.Environment.Remove("RUNNER_HOST_CONFIG");
        start.Environment.Remove("RUNNER_HOST_VAR_DIR");
        using var parent = Process.Start(start)!;
        try
        {
            await MasterHarness.WaitUntilAsync(() => _harness.Status is { } s && s.Slices.Count == 4 && s.Slices.All(x => x.State == SliceState.Running), "the master running");
            int pid = _harness.Status!.MasterPid;

            var stop = await _harness.RunAsync("stop", "--timeout", "20");

            Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
            Assert.That(stop.Stdout, Does.EndWith("Stopped\n"));
            Assert.That(ProcessState.State(pid), Is.EqualTo('Z'), "the master exited and waits, unreaped, for its parent");
        }
        finally
        {
            parent.Kill();
            await parent.WaitForExitAsync();
        }
    }

    [Test]
    public async Task Stop_abandons_a_thread_whose_hook_ignores_cancellation_within_stop_and_kill_timeout()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.thr]
            class: RecordingRunner
            output_dir: $out
            isolation: thread
            hang_subject: poison
            stop_timeout: 2s
            kill_timeout: 1s
            """);
        using (var master = _harness.StartMaster())
        {
            await _harness.WaitForAllRunningAsync(master, 1);
            await _harness.EnqueueAsync("thr", 1, subject: "poison");
            await _harness.WaitForAsync(s => s.Slices[0].InFlight is not null, master, "the poison message in hand");

            // Generous: the master must exit by itself within stop_timeout + kill_timeout (3 s); it used to hang for ever.
            var stop = await _harness.RunAsync("stop", "--timeout", "30");

            Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
            Assert.That(await master.WaitForExitAsync(MasterHarness.Patience), Is.Zero, master.Stderr);
            Assert.That(master.Stderr, Does.Contain("thr:0/1 (thread in the master) did not stop within 00:00:03; abandoning its thread"));
            Assert.That(master.Stderr, Does.Not.Contain($"(pid {master.Id}) did not stop"), "nothing is killed, so no pid is named");
            Assert.That(master.Stderr, Does.Not.Contain("killing it"));
            Assert.That(Directory.GetFiles(_harness.QueueDir("thr")).Select(Path.GetExtension), Is.EqualTo(new[] { ".bak" }), "the entry stays .bak for recovery");
        }

        // The next master recovers it; without the hang it is processed, once.
        await File.WriteAllTextAsync(_harness.ConfigFile, (await File.ReadAllTextAsync(_harness.ConfigFile)).Replace("hang_subject: poison", string.Empty, StringComparison.Ordinal));
        using var again = _harness.StartMaster();
        await MasterHarness.WaitUntilAsync(() => _harness.Recorded().Count == 1 && Directory.GetFiles(_harness.QueueDir("thr")).Length == 0, "the recovered message processed");
        Assert.That(_harness.Recorded(), Is.EqualTo(new[] { "m0@test" }));
        var stopAgain = await _harness.RunAsync("stop");
        Assert.That(stopAgain.ExitCode, Is.Zero, stopAgain.ToString());
    }
}
