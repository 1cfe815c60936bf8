using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Tests.Supervision;

/// <summary>The pure parts of the restart policy, with explicit times and a fixed "random".</summary>
public sealed class RestartLogicTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Test]
    public void Backoff_doubles_up_to_the_cap()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), () => 0);

        var delays = Enumerable.Range(0, 6).Select(i => backoff.Delay(i).TotalSeconds);

        Assert.That(delays, Is.EqualTo(new[] { 1.0, 2, 4, 8, 10, 10 }));
    }

    [Test]
    public void Jitter_only_shortens_the_delay_by_at_most_a_fifth()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), () => 0.999999);

        Assert.That(backoff.Delay(0).TotalSeconds, Is.InRange(8.0, 8.01));
        Assert.That(backoff.Delay(10), Is.LessThanOrEqualTo(TimeSpan.FromSeconds(60)));
    }

    [Test]
    public void The_budget_counts_in_a_sliding_window()
    {
        var budget = new RestartBudget(2, TimeSpan.FromMinutes(1));

        Assert.That(budget.TryRecord(T0), Is.True);
        Assert.That(budget.TryRecord(T0.AddSeconds(30)), Is.True);
        Assert.That(budget.TryRecord(T0.AddSeconds(59)), Is.False, "third in one minute");
        Assert.That(budget.Count(T0.AddSeconds(59)), Is.EqualTo(2));
        Assert.That(budget.TryRecord(T0.AddSeconds(60)), Is.True, "the first one left the window");
        Assert.That(budget.Count(T0.AddSeconds(91)), Is.EqualTo(1));
    }

    [Test]
    public void Without_a_window_the_budget_is_a_lifetime_count()
    {
        var budget = new RestartBudget(1, null);

        Assert.That(budget.TryRecord(T0), Is.True);
        Assert.That(budget.TryRecord(T0.AddDays(365)), Is.False);
    }

    [Test]
    public void A_crash_loop_backs_off_growing_then_fails_when_the_budget_is_spent()
    {
        var tracker = new RestartTracker(new RestartPolicy { MaxRestarts = 3, RestartBackoff = TimeSpan.FromSeconds(1), RestartBackoffMax = TimeSpan.FromSeconds(60) }, () => 0);
        var now = T0;
        var delays = new List<TimeSpan>();
        RestartDecision decision;
        while (true)
        {
            tracker.OnStarted(now);
            now = now.AddSeconds(0.5);
            decision = tracker.OnExit(new WorkerExit(1), now);
            if (decision.Action != RestartAction.Restart)
            {
                break;
            }

            delays.Add(decision.Delay);
            now += decision.Delay;
        }

        Assert.That(delays.Select(d => d.TotalSeconds), Is.EqualTo(new[] { 1.0, 2, 4 }));
        Assert.That(decision.Action, Is.EqualTo(RestartAction.Fail));
        Assert.That(decision.Reason, Does.Contain("3 restarts within 00:10:00"));
    }

    [Test]
    public void A_stable_run_resets_the_count_and_the_backoff()
    {
        var tracker = new RestartTracker(new RestartPolicy { MaxRestarts = 2, StableUptime = TimeSpan.FromSeconds(60) }, () => 0);
        tracker.OnStarted(T0);
        tracker.OnExit(new WorkerExit(null, Signal: 9), T0.AddSeconds(1));
        tracker.OnStarted(T0.AddSeconds(2));
        tracker.OnExit(new WorkerExit(null, Signal: 9), T0.AddSeconds(3));
        Assert.That(tracker.RestartsInWindow(T0.AddSeconds(3)), Is.EqualTo(2));

        tracker.OnStarted(T0.AddSeconds(5));
        Assert.That(tracker.RestartsInWindow(T0.AddSeconds(66)), Is.Zero, "running for stable_uptime resets the count");
        var decision = tracker.OnExit(new WorkerExit(1), T0.AddSeconds(70));

        Assert.That(decision.Action, Is.EqualTo(RestartAction.Restart));
        Assert.That(decision.Delay, Is.EqualTo(TimeSpan.FromSeconds(1)), "backoff starts over");
    }

    [TestCase(3)]
    [TestCase(4)]
    public void Configuration_and_creation_errors_fail_at_once(int code)
    {
        var tracker = new RestartTracker(new RestartPolicy(), () => 0);
        tracker.OnStarted(T0);

        var decision = tracker.OnExit(WorkerExit.FromProcess(code, watchdog: false), T0);

        Assert.That(decision.Action, Is.EqualTo(RestartAction.Fail));
        Assert.That(tracker.RestartsInWindow(T0), Is.Zero);
    }

    [Test]
    public void An_unrequested_clean_exit_is_restarted_like_signals_and_watchdog_kills()
    {
        var tracker = new RestartTracker(new RestartPolicy(), () => 0);

        // Issue 11 item 6: an exit 0 the master did not ask for (an operator's kill -TERM) is restarted and counted.
        Assert.That(tracker.OnExit(WorkerExit.FromProcess(0, watchdog: false), T0).Action, Is.EqualTo(RestartAction.Restart));
        Assert.That(tracker.RestartsInWindow(T0), Is.EqualTo(1));
        Assert.That(tracker.OnExit(WorkerExit.FromProcess(137, watchdog: false), T0).Action, Is.EqualTo(RestartAction.Restart));
        Assert.That(tracker.OnExit(WorkerExit.FromProcess(137, watchdog: true), T0).Action, Is.EqualTo(RestartAction.Restart));
        Assert.That(WorkerExit.FromProcess(137, watchdog: true).Describe(), Is.EqualTo("watchdog kill (signal 9 (SIGKILL))"));
    }

    [Test]
    public void A_window_too_short_for_the_backoff_is_reported()
    {
        var inconsistent = new RestartPolicy { MaxRestarts = 5, RestartWindow = TimeSpan.FromSeconds(10), RestartBackoff = TimeSpan.FromSeconds(2) };
        var consistent = new RestartPolicy();

        Assert.That(inconsistent.CheckConsistency(), Does.Contain("never be marked failed"));
        Assert.That(consistent.CheckConsistency(), Is.Null);
    }

    [TestCase(null, 300.0)]
    [TestCase("30s", 30.0)]
    [TestCase("1h", 3600.0)]
    [TestCase("0", null)]
    [TestCase("0s", null)]
    [TestCase("off", null)]
    public void Failed_retry_interval_defaults_to_five_minutes_and_0_means_never(string? value, double? seconds)
    {
        var policy = RestartPolicy.FromSettings(Runner(value is null ? "" : $"failed_retry_interval: {value}\n"));

        Assert.That(policy.FailedRetryInterval?.TotalSeconds, Is.EqualTo(seconds));
    }

    [TestCase("8d", "longer than the largest interval, 7d")]
    [TestCase("soon", "is not a duration")]
    public void A_bad_failed_retry_interval_names_the_key(string value, string problem)
    {
        // Checked when the configuration is read, as every host key is, so every command refuses it.
        var error = Assert.Throws<RunnerHost.Hosting.Configuration.ConfigurationException>(() => RestartPolicy.FromSettings(Runner($"failed_retry_interval: {value}\n")));

        Assert.That(error!.Message, Does.Contain("failed_retry_interval").And.Contain(problem));
    }

    [Test]
    public void A_retry_after_failure_gets_a_fresh_budget_and_backoff()
    {
        var tracker = new RestartTracker(new RestartPolicy { MaxRestarts = 1 }, () => 0);
        tracker.OnStarted(T0);
        Assert.That(tracker.OnExit(new WorkerExit(1), T0.AddSeconds(1)).Action, Is.EqualTo(RestartAction.Restart));
        tracker.OnStarted(T0.AddSeconds(2));
        Assert.That(tracker.OnExit(new WorkerExit(1), T0.AddSeconds(3)).Action, Is.EqualTo(RestartAction.Fail));

        tracker.ResetForRetry();
        tracker.OnStarted(T0.AddSeconds(4));
        var decision = tracker.OnExit(new WorkerExit(1), T0.AddSeconds(5));

        Assert.That(decision.Action, Is.EqualTo(RestartAction.Restart));
        Assert.That(decision.Delay, Is.EqualTo(TimeSpan.FromSeconds(1)), "backoff starts over");
    }

    private static RunnerHost.Configuration.RunnerSettings Runner(string keys)
    {
        var stack = RunnerHost.Hosting.Configuration.ConfigurationStack.FromDefaults();
        stack.Push("test", $"[runner.x]\nclass: X\n{keys}");
        Assert.That(stack.Build().TryGetRunner("x", out var settings), Is.True);
        return settings!;
    }
}
