using System.Globalization;
using System.Text.RegularExpressions;
using RunnerHost.Host.Supervision;

namespace RunnerHost.Host.Tests.Supervision;

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

    [GeneratedRegex(@"(?<slice>\S+) \(pid \d+\) exited unexpectedly: .*?; restarting in (?<delay>[0-9.]+)s")]
    private static partial Regex DelayPattern();
}
