using System.Text.Json;
using RunnerHost.Hosting.Cli;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Tests.Supervision;

/// <summary>What an operator sees of a running master: its metrics, the shunt depth in status, log reopen across processes, and crash stacks in the log.</summary>
public sealed class ObservabilityTests
{
    private MasterHarness _harness = null!;

    private string LogFile => Path.Combine(_harness.Root, "var", "logs", "runner-host.log");

    private string MasterProm => Path.Combine(_harness.Root, "var", "metrics", "master.prom");

    [TearDown]
    public void TearDown() => _harness?.Dispose();

    [Test]
    public async Task Metrics_show_a_killed_runner_restarted_once_and_running_and_a_crash_looping_runner_failed()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.rec]
            class: RecordingRunner
            output_dir: $out
            restart_backoff: 0.5s
            stop_timeout: 5s

            [runner.crash]
            class: CrashingRunner
            restart_backoff: 0.2s
            restart_backoff_max: 1s
            max_restarts: 2
            """);
        using var master = _harness.StartMaster();
        var running = await _harness.WaitForAsync(s => Slice(s, "rec").State == SliceState.Running, master, "rec running");
        int first = Slice(running, "rec").Pid!.Value;

        Assert.That(Posix.SendSignal(first, 9), Is.True);
        await _harness.WaitForAsync(
            s => Slice(s, "rec") is { State: SliceState.Running, Pid: { } p } && p != first && Slice(s, "crash").State == SliceState.Failed,
            master,
            "rec restarted and crash failed");
        // master.prom follows every state change; wait until it caught up with the status file.
        const string RecRunning = "runnerhost_runner_state{runner=\"rec\",slice=\"0/1\",state=\"running\"} 1\n";
        const string CrashFailed = "runnerhost_runner_state{runner=\"crash\",slice=\"0/1\",state=\"failed\"} 1\n";
        await MasterHarness.WaitUntilAsync(() => ReadQuietly(MasterProm) is { } text && text.Contains(RecRunning, StringComparison.Ordinal) && text.Contains(CrashFailed, StringComparison.Ordinal), "master.prom with rec running and crash failed");

        var metrics = await _harness.RunAsync("metrics");

        Assert.That(metrics.ExitCode, Is.Zero, metrics.ToString());
        string output = metrics.Stdout;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(output, Does.Contain("# TYPE runnerhost_runner_restarts_total counter\n"));
            Assert.That(output, Does.Contain("runnerhost_runner_restarts_total{cause=\"signal 9\",runner=\"rec\",slice=\"0/1\"} 1\n"));
            Assert.That(output, Does.Contain("runnerhost_runner_restarts_total{cause=\"exit 1\",runner=\"crash\",slice=\"0/1\"} 2\n"), "two restarts, then the budget was spent");
            Assert.That(output, Does.Contain("# TYPE runnerhost_runner_state gauge\n"));
            Assert.That(output, Does.Contain(RecRunning));
            Assert.That(output, Does.Contain("runnerhost_runner_state{runner=\"rec\",slice=\"0/1\",state=\"backoff\"} 0\n"));
            Assert.That(output, Does.Contain(CrashFailed));
            Assert.That(output, Does.Contain("runnerhost_runner_state{runner=\"crash\",slice=\"0/1\",state=\"running\"} 0\n"));
            Assert.That(output, Does.Match("runnerhost_runner_backoff_delay_seconds\\{runner=\"rec\",slice=\"0/1\"\\} 0\\.[0-9]+\n"), "the 0.5 s backoff with jitter");
            Assert.That(output, Does.Contain("runnerhost_runner_uptime_seconds{runner=\"rec\",slice=\"0/1\"} "));
            Assert.That(output, Does.Contain("runnerhost_runner_uptime_seconds{runner=\"crash\",slice=\"0/1\"} 0\n"));
            Assert.That(output, Does.Contain("runnerhost_master_uptime_seconds "));
            Assert.That(output, Does.Contain("runnerhost_queue_depth{queue=\"rec\"} 0\n"), "the queue gauges are still there");
        }
    }

    [Test]
    public async Task Status_shows_the_shunt_depth_and_queues_says_the_master_runs()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.rec]
            class: RecordingRunner
            output_dir: $out
            stop_timeout: 5s
            """);
        using var master = _harness.StartMaster();
        await _harness.WaitForAllRunningAsync(master, 1);
        await _harness.EnqueueAsync("shunt", 2);

        var status = await _harness.RunAsync("status");
        var json = await _harness.RunAsync("status", "--json");
        var queues = await _harness.RunAsync("queues");
        var queuesJson = await _harness.RunAsync("queues", "--json");

        Assert.That(status.ExitCode, Is.EqualTo(StatusCommand.Running), status.ToString());
        Assert.That(status.Stdout.Split('\n')[0], Does.Match($"^RunnerHost is running \\(master pid {master.Id}, up \\d+s\\); shunt queue: 2 entries$"));
        using (var document = JsonDocument.Parse(json.Stdout))
        {
            Assert.That(document.RootElement.GetProperty("shuntDepth").GetInt32(), Is.EqualTo(2), json.Stdout);
        }

        Assert.That(queues.ExitCode, Is.Zero, queues.ToString());
        Assert.That(queues.Stdout.TrimEnd('\n').Split('\n')[^1], Is.EqualTo($"master: running (pid {master.Id})"));
        using (var document = JsonDocument.Parse(queuesJson.Stdout))
        {
            var running = document.RootElement.GetProperty("master");
            Assert.That((running.GetProperty("running").GetBoolean(), running.GetProperty("pid").GetInt32()), Is.EqualTo((true, master.Id)));
        }
    }

    [Test]
    public async Task Reopen_makes_the_master_and_its_children_write_to_a_new_file_at_the_original_path()
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
        using var master = _harness.StartMaster();
        var running = await _harness.WaitForAllRunningAsync(master, 2);
        int child = Slice(running, "rec").Pid!.Value;
        string rotated = LogFile + ".1";

        File.Move(LogFile, rotated);
        var reopen = await _harness.RunAsync("reopen");
        Assert.That(reopen.ExitCode, Is.Zero, reopen.ToString());
        string masterReopened = $"start[{master.Id}] RunnerHost.Logging: Reopened log file";
        string childReopened = $"rec:0/1[{child}] RunnerHost.Logging: Reopened log file";
        await MasterHarness.WaitUntilAsync(
            () => ReadQuietly(LogFile) is { } text && text.Contains(masterReopened, StringComparison.Ordinal) && text.Contains(childReopened, StringComparison.Ordinal),
            "both reopen lines in the new file");
        await _harness.EnqueueAsync("rec", 1);
        await _harness.EnqueueAsync("thr", 1, first: 1);
        await MasterHarness.WaitUntilAsync(() => _harness.Recorded().Count == 2, "both messages processed");

        var stop = await _harness.RunAsync("stop");
        Assert.That(stop.ExitCode, Is.Zero, stop.ToString());

        string fresh = await File.ReadAllTextAsync(LogFile);
        string old = await File.ReadAllTextAsync(rotated);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(fresh, Does.Contain($"start[{master.Id}] RunnerHost.Master: Master stopped"), "the master writes to the new file");
            Assert.That(fresh, Does.Contain($"rec:0/1[{child}] RunnerHost.Runner.rec: rec:0/1 runner exiting."), "so does its child");
            Assert.That(fresh, Does.Contain($"start[{master.Id}] RunnerHost.Runner.thr: thr:0/1 runner exiting."), "and its thread runner");
            Assert.That(old, Does.Contain("Master started"));
            Assert.That(old, Does.Not.Contain("Master stopped"));
            Assert.That(old, Does.Not.Contain("runner exiting."));
        }
    }

    [Test]
    public async Task A_runner_that_dies_from_an_exception_leaves_the_stack_in_the_log_and_exits_1()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.crash]
            class: CrashingRunner
            """);

        var result = await _harness.RunAsync("runner", "--runner", "crash");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        string log = await File.ReadAllTextAsync(LogFile);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(log, Does.Match(@"FTL crash:0/1\[\d+\] RunnerHost.Runner.crash: crash:0/1 runner failed: crashing on purpose"));
            Assert.That(log, Does.Contain("System.InvalidOperationException: crashing on purpose"));
            Assert.That(log, Does.Contain("at SupervisionPlugin.CrashingRunner.SnoozeAsync"), "the stack, in the file");
        }
    }

    [Test]
    public async Task Under_the_master_a_crashing_child_logs_its_stack_and_is_restarted_for_exit_1()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.crash]
            class: CrashingRunner
            restart_backoff: 0.2s
            max_restarts: 1
            """);
        using var master = _harness.StartMaster();

        var failed = await _harness.WaitForAsync(s => s.Slices[0].State == SliceState.Failed, master, "crash failed");

        Assert.That(failed.Slices[0].LastExit, Is.EqualTo("exit 1"));
        Assert.That(master.Stderr, Does.Contain("crash:0/1 (pid ").And.Contain("exited unexpectedly: exit 1; restarting in"));
        string log = await File.ReadAllTextAsync(LogFile);
        Assert.That(System.Text.RegularExpressions.Regex.Count(log, @"FTL crash:0/1\[\d+\] .*runner failed: crashing on purpose"), Is.EqualTo(2), "the first run and its one restart");
        Assert.That(System.Text.RegularExpressions.Regex.Count(log, "at SupervisionPlugin.CrashingRunner.SnoozeAsync"), Is.EqualTo(2));
    }

    private static SliceStatus Slice(StatusSnapshot status, string runner) => status.Slices.Single(s => s.Runner == runner);

    private static string? ReadQuietly(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
