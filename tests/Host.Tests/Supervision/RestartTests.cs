using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using RunnerHost.Hosting.Cli;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Tests.Supervision;

/// <summary>Restarts with real processes: SIGKILLed children, crash loops, cannot-start runners, operator restarts, the watchdog.</summary>
public sealed partial class RestartTests
{
    private MasterHarness _harness = null!;

    [TearDown]
    public void TearDown() => _harness?.Dispose();

    [Test]
    public async Task A_killed_runner_is_restarted_with_a_new_pid_after_the_backoff_and_an_operator_restart_is_not_counted()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.rec]
            class: RecordingRunner
            output_dir: $out
            restart_backoff: 1s
            stop_timeout: 5s
            """);
        using var master = _harness.StartMaster();
        var before = await _harness.WaitForAllRunningAsync(master, 1);
        int first = before.Slices[0].Pid!.Value;

        Assert.That(Posix.SendSignal(first, 9), Is.True);
        var killedAt = DateTimeOffset.UtcNow;
        var after = await _harness.WaitForAsync(s => s.Slices[0] is { State: SliceState.Running, Pid: { } p } && p != first, master, "a new pid");

        var slice = after.Slices[0];
        Assert.That(slice.StartedAt - killedAt, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(0.7)), "restarted after the backoff (1s minus jitter)");
        Assert.That(slice.RestartsInWindow, Is.EqualTo(1));
        Assert.That(slice.LastExit, Is.EqualTo("signal 9 (SIGKILL)"));
        Assert.That(master.Stderr, Does.Contain("exited unexpectedly: signal 9 (SIGKILL); restarting in"));

        int second = slice.Pid!.Value;
        var restart = await _harness.RunAsync("restart");
        Assert.That(restart.ExitCode, Is.Zero, restart.ToString());
        var restarted = await _harness.WaitForAsync(s => s.Slices[0] is { State: SliceState.Running, Pid: { } p } && p != second, master, "the operator restart");

        Assert.That(restarted.Slices[0].RestartsInWindow, Is.EqualTo(1), "operator restarts leave the budget untouched");
        Assert.That(restarted.Slices[0].LastExit, Is.EqualTo("exit 0"), "a graceful stop");
        Assert.That(Posix.IsAlive(second), Is.False);
    }

    [Test]
    public async Task A_runner_crashing_at_every_start_backs_off_growing_then_fails_and_the_others_keep_running()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.crash]
            class: CrashingRunner
            restart_backoff: 0.3s
            restart_backoff_max: 5s
            max_restarts: 3

            [runner.rec]
            class: RecordingRunner
            output_dir: $out
            stop_timeout: 5s
            """);
        using var master = _harness.StartMaster();
        var running = await _harness.WaitForAsync(s => s.Slices.Single(x => x.Runner == "rec").State == SliceState.Running, master, "rec running");
        int recPid = running.Slices.Single(x => x.Runner == "rec").Pid!.Value;

        var failed = await _harness.WaitForAsync(s => s.Slices.Single(x => x.Runner == "crash").State == SliceState.Failed, master, "crash failed");

        var crash = failed.Slices.Single(x => x.Runner == "crash");
        Assert.That(crash.FailureReason, Does.Contain("restart budget spent: 3 restarts within 00:10:00"));
        var delays = DelayPattern().Matches(master.Stderr)
            .Where(m => m.Groups["slice"].Value == "crash:0/1")
            .Select(m => double.Parse(m.Groups["delay"].Value, CultureInfo.InvariantCulture))
            .ToList();
        Assert.That(delays, Has.Count.EqualTo(3), master.Stderr);
        Assert.That(delays, Is.Ordered.Ascending);
        Assert.That(delays[2], Is.GreaterThan(delays[0] * 2), "exponential");
        Assert.That(master.Stderr, Does.Contain("crash:0/1 FAILED"));
        var rec = failed.Slices.Single(x => x.Runner == "rec");
        Assert.That(rec is { State: SliceState.Running, RestartsInWindow: 0 } && rec.Pid == recPid, Is.True, "the other runner is unaffected");

        var status = await _harness.RunAsync("status");
        Assert.That(status.ExitCode, Is.EqualTo(2), status.ToString());
        Assert.That(status.Stdout, Does.Contain("failed"));
    }

    [Test]
    public async Task A_runner_that_cannot_be_created_is_reported_once_and_not_retried()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.broken]
            class: No.Such.Runner
            restart_backoff: 0.1s
            """);
        using var master = _harness.StartMaster();

        var failed = await _harness.WaitForAsync(s => s.Slices[0].State == SliceState.Failed, master, "broken failed");
        await Task.Delay(1000);

        Assert.That(failed.Slices[0].FailureReason, Does.StartWith("cannot start (exit 4 (runner could not be created)); not retried"));
        Assert.That(Regex.Count(master.Stderr, "broken:0/1 started"), Is.EqualTo(1), master.Stderr);
        Assert.That(master.Stderr, Does.Contain("Runner error:"), "the child's one-line reason");
    }

    [Test]
    public async Task With_exit_on_failure_the_master_exits_non_zero_when_a_runner_fails()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.broken]
            class: No.Such.Runner
            """);
        using var master = _harness.StartMaster("--exit-on-failure");

        int exitCode = await master.WaitForExitAsync(MasterHarness.Patience);

        Assert.That(exitCode, Is.EqualTo(1), master.Stderr);
        Assert.That(master.Stderr, Does.Contain("--exit-on-failure is set"));
    }

    [Test]
    public async Task A_runner_stuck_past_dispose_timeout_is_killed_and_the_poison_message_ends_in_bad_after_three_attempts()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.stuck]
            class: RecordingRunner
            output_dir: $out
            hang_subject: poison
            dispose_timeout: 1s
            restart_backoff: 0.2s
            stop_timeout: 2s
            kill_timeout: 1s
            """);
        using var master = _harness.StartMaster();
        await _harness.WaitForAllRunningAsync(master, 1);

        await _harness.EnqueueAsync("stuck", 1, subject: "poison");
        await MasterHarness.WaitUntilAsync(() => Directory.Exists(_harness.QueueDir("bad")) && Directory.GetFiles(_harness.QueueDir("bad"), "*.psv").Length == 1, "the poison message in bad/");
        var status = await _harness.WaitForAllRunningAsync(master, 1);

        Assert.That(Regex.Count(master.Stderr, "stuck:0/1 \\(pid \\d+\\) stuck on"), Is.EqualTo(3), master.Stderr);
        Assert.That(status.Slices[0].LastExit, Is.EqualTo("watchdog kill (signal 9 (SIGKILL))"));
        Assert.That(Directory.GetFiles(_harness.QueueDir("stuck")), Is.Empty);

        await _harness.EnqueueAsync("stuck", 1, first: 1);
        await MasterHarness.WaitUntilAsync(() => _harness.Recorded().Contains("m1@test"), "a good message after the poison one");
    }

    [Test]
    public async Task A_runner_stopped_by_an_operators_TERM_is_restarted_under_the_policy()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.rec]
            class: RecordingRunner
            output_dir: $out
            restart_backoff: 0.5s
            stop_timeout: 5s
            """);
        using var master = _harness.StartMaster();
        int first = (await _harness.WaitForAllRunningAsync(master, 1)).Slices[0].Pid!.Value;

        Assert.That(Posix.SendSignal(first, 15), Is.True);
        var after = await _harness.WaitForAsync(s => s.Slices[0] is { State: SliceState.Running, Pid: { } p } && p != first, master, "the slice running again with a new pid");

        Assert.That(after.Slices[0].LastExit, Is.EqualTo("exit 0"), "a graceful exit the master did not ask for");
        Assert.That(after.Slices[0].RestartsInWindow, Is.EqualTo(1), "counted like any unexpected exit");
        Assert.That(master.Stderr, Does.Contain($"rec:0/1 (pid {first}) exited unexpectedly: exit 0; restarting in"));
        await _harness.EnqueueAsync("rec", 1);
        await MasterHarness.WaitUntilAsync(() => _harness.Recorded().Count == 1, "the restarted slice processing mail");
    }

    [Test]
    public async Task Status_exits_1_only_while_every_slice_runs_and_2_while_one_is_in_backoff()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.rec]
            class: RecordingRunner
            output_dir: $out
            restart_backoff: 30s
            restart_backoff_max: 30s
            stop_timeout: 5s

            [runner.ok]
            class: RecordingRunner
            output_dir: $out
            stop_timeout: 5s
            """);
        using var master = _harness.StartMaster();
        var running = await _harness.WaitForAllRunningAsync(master, 2);
        var healthy = await _harness.RunAsync("status");
        Assert.That(healthy.ExitCode, Is.EqualTo(StatusCommand.Running), healthy.ToString());

        Assert.That(Posix.SendSignal(running.Slices.Single(s => s.Runner == "rec").Pid!.Value, 9), Is.True);
        await _harness.WaitForAsync(s => s.Slices.Single(x => x.Runner == "rec").State == SliceState.Backoff, master, "rec in backoff");
        var degraded = await _harness.RunAsync("status");

        Assert.That(degraded.ExitCode, Is.EqualTo(StatusCommand.SomeSliceNotRunning), degraded.ToString());
        Assert.That(degraded.Stdout, Does.Match(@"\nrec +0/1 +process +backoff \(\d+s\)"), degraded.Stdout);

        var restart = await _harness.RunAsync("restart");
        Assert.That(restart.ExitCode, Is.Zero, restart.ToString());
        await _harness.WaitForAllRunningAsync(master, 2);
        var again = await _harness.RunAsync("status");
        Assert.That(again.ExitCode, Is.EqualTo(StatusCommand.Running), again.ToString());
    }

    [Test]
    public async Task A_failed_slice_is_tried_again_after_failed_retry_interval_with_a_fresh_budget()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.crash]
            class: CrashingRunner
            restart_backoff: 0.1s
            max_restarts: 1
            failed_retry_interval: 3s
            """);
        using var master = _harness.StartMaster();
        var failed = await _harness.WaitForAsync(s => s.Slices[0].State == SliceState.Failed, master, "crash failed");

        Assert.That(failed.Slices[0].NextStartAt, Is.Not.Null, "status says when it is retried");
        Assert.That(failed.Slices[0].NextStartAt!.Value - failed.UpdatedAt, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(3)));
        var text = await _harness.RunAsync("status");
        Assert.That(text.Stdout, Does.Match(@"\ncrash +0/1 +process +failed \(retry in \ds\)"), text.Stdout);
        Assert.That(master.Stderr, Does.Contain("crash:0/1 FAILED after exit 1: restart budget spent: 1 restarts within 00:10:00. The other runners keep running; retried after failed_retry_interval (00:00:03)"));

        // The retry gets the whole budget again: one start and one restart, then failed again.
        await MasterHarness.WaitUntilAsync(() => Regex.Count(master.Stderr, "crash:0/1 FAILED") == 2, "the second failure");
        Assert.That(Regex.Count(master.Stderr, "crash:0/1 started"), Is.EqualTo(4), master.Stderr);
        Assert.That(master.Stderr, Does.Contain("crash:0/1 failed 00:00:03 ago; trying again with a fresh restart budget (failed_retry_interval)"));
    }

    [Test]
    public async Task With_failed_retry_interval_0_a_failed_slice_waits_for_an_operator_restart()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.crash]
            class: CrashingRunner
            max_restarts: 0
            failed_retry_interval: 0
            """);
        using var master = _harness.StartMaster();
        var failed = await _harness.WaitForAsync(s => s.Slices[0].State == SliceState.Failed, master, "crash failed");
        await Task.Delay(2000);

        Assert.That(failed.Slices[0].NextStartAt, Is.Null);
        Assert.That(Regex.Count(master.Stderr, "crash:0/1 started"), Is.EqualTo(1), master.Stderr);
        Assert.That(master.Stderr, Does.Contain("'runner-host restart' tries again (failed_retry_interval is off)"));
        var restart = await _harness.RunAsync("restart");
        Assert.That(restart.ExitCode, Is.Zero, restart.ToString());
        await MasterHarness.WaitUntilAsync(() => Regex.Count(master.Stderr, "crash:0/1 started") == 2, "the operator's restart");
    }

    [Test]
    public async Task The_cause_of_a_start_failure_reaches_status_its_json_and_the_log_in_both_isolations()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.broken]
            class: No.Such.Runner

            [runner.tbroken]
            class: No.Such.Runner
            isolation: thread
            """);
        using var master = _harness.StartMaster();
        await _harness.WaitForAsync(s => s.Slices.All(x => x.State == SliceState.Failed), master, "both failed");
        const string Cause = "no runner type named 'No.Such.Runner' in any plugin";

        var text = await _harness.RunAsync("status");
        var json = await _harness.RunAsync("status", "--json");

        Assert.That(text.ExitCode, Is.EqualTo(StatusCommand.SomeSliceNotRunning), text.ToString());
        Assert.That(text.Stdout.Split('\n').Count(l => l.Contains("cannot start (exit 4 (runner could not be created)); not retried with backoff: ", StringComparison.Ordinal) && l.Contains(Cause, StringComparison.Ordinal)), Is.EqualTo(2), text.Stdout);
        using (var document = JsonDocument.Parse(json.Stdout))
        {
            var reasons = document.RootElement.GetProperty("slices").EnumerateArray().Select(x => x.GetProperty("failureReason").GetString()).ToList();
            Assert.That(reasons, Has.Count.EqualTo(2).And.All.Contains(Cause), json.Stdout);
        }

        string log = await File.ReadAllTextAsync(Path.Combine(_harness.Root, "var", "logs", "runner-host.log"));
        Assert.That(Regex.Count(log, $@"ERR start\[{master.Id}\] RunnerHost.Master: t?broken:0/1 FAILED after exit 4 \(runner could not be created\): .*{Regex.Escape(Cause)}"), Is.EqualTo(2), log);
    }

    [Test]
    public async Task A_thread_stuck_past_dispose_timeout_is_abandoned_and_its_next_run_waits_for_it_in_the_same_process()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.thr]
            class: RecordingRunner
            output_dir: $out
            isolation: thread
            hang_subject: poison
            dispose_timeout: 1s
            restart_backoff: 0.2s
            stop_timeout: 2s
            kill_timeout: 1s
            """);
        using var master = _harness.StartMaster();
        await _harness.WaitForAllRunningAsync(master, 1);

        await _harness.EnqueueAsync("thr", 1, subject: "poison");
        var waiting = await _harness.WaitForAsync(s => s.Slices[0].State == SliceState.Waiting, master, "the next run waiting for the abandoned thread");
        var status = await _harness.RunAsync("status");

        Assert.That(waiting.Slices[0].WaitingForPid, Is.EqualTo(master.Id), "the abandoned thread still holds the slice lock");
        Assert.That(master.Stderr, Does.Contain("thr:0/1 (thread in the master) stuck on ").And.Contain("cancelling its hook, and abandoning its thread if it does not return within kill_timeout (00:00:01)"));
        Assert.That(master.Stderr, Does.Contain("exited unexpectedly: watchdog kill (thread abandoned: it did not return after cancellation)"));
        Assert.That(status.Stdout, Does.Contain($"waiting for its previous instance (pid {master.Id}: an abandoned thread of this master) to exit"), status.Stdout);
        Assert.That(Directory.GetFiles(_harness.QueueDir("thr")).Select(Path.GetExtension), Is.EqualTo(new[] { ".bak" }));

        var stop = await _harness.RunAsync("stop", "--timeout", "30");
        Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
    }

    [GeneratedRegex(@"(?<slice>\S+) \(pid \d+\) exited unexpectedly: .*?; restarting in (?<delay>[0-9.]+)s")]
    private static partial Regex DelayPattern();
}
