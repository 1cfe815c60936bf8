namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// The restart decision for one slice, free of I/O and timers: given how a run ended and when, say
/// whether to restart and after how long, or to give up. Operator restarts never pass through here.
/// </summary>
public sealed class RestartTracker
{
    private readonly RestartPolicy _policy;
    private readonly Backoff _backoff;
    private readonly RestartBudget _budget;
    private int _consecutiveFailures;
    private DateTimeOffset? _runningSince;

    public RestartTracker(RestartPolicy policy, Func<double> random)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _policy = policy;
        _backoff = new Backoff(policy.RestartBackoff, policy.RestartBackoffMax, random);
        _budget = new RestartBudget(policy.MaxRestarts, policy.RestartWindow);
    }

    /// <summary>Restarts counted in the window now (after a stable run resets it).</summary>
    public int RestartsInWindow(DateTimeOffset now)
    {
        CheckStable(now);
        return _budget.Count(now);
    }

    /// <summary>A run started at <paramref name="now"/>.</summary>
    public void OnStarted(DateTimeOffset now) => _runningSince = now;

    /// <summary>
    /// Decides what follows the end of a run the master did not ask for. Every such end counts, a clean
    /// exit 0 too (an operator's <c>kill -TERM</c> of one child): a slice stays stopped only when the master stops it.
    /// </summary>
    public RestartDecision OnExit(WorkerExit exit, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(exit);
        CheckStable(now);
        _runningSince = null;
        if (exit.CannotStart)
        {
            string cause = exit.Error is { } error ? $": {error}" : string.Empty;
            return RestartDecision.Fail($"cannot start ({exit.DescribeStatus()}); not retried with backoff{cause}");
        }

        if (!_budget.TryRecord(now))
        {
            string window = _budget.Window is { } w ? $"within {w}" : "in its lifetime";
            return RestartDecision.Fail($"restart budget spent: {_budget.MaxRestarts} restarts {window}");
        }

        return RestartDecision.RestartAfter(_backoff.Delay(_consecutiveFailures++));
    }

    /// <summary>The retry of a failed slice after <c>failed_retry_interval</c>: a fresh budget and backoff, as after a stable run.</summary>
    public void ResetForRetry()
    {
        _budget.Reset();
        _consecutiveFailures = 0;
    }

    // A run that lasted stable_uptime proves the runner healthy again: forget its past crashes.
    private void CheckStable(DateTimeOffset now)
    {
        if (_runningSince is { } since && now - since >= _policy.StableUptime)
        {
            _budget.Reset();
            _consecutiveFailures = 0;
        }
    }
}

/// <summary>What to do after a run ended.</summary>
public sealed record RestartDecision(RestartAction Action, TimeSpan Delay, string? Reason)
{
    public static RestartDecision RestartAfter(TimeSpan delay) => new(RestartAction.Restart, delay, null);

    public static RestartDecision Fail(string reason) => new(RestartAction.Fail, TimeSpan.Zero, reason);
}

public enum RestartAction
{
    Restart,
    Fail,
}
