using RunnerHost.Configuration;

namespace RunnerHost.Hosting.Supervision;

/// <summary>How the master runs and restarts the slices of one runner; read from its <c>[runner.NAME]</c> section.</summary>
public sealed record RestartPolicy
{
    public Isolation Isolation { get; init; } = Isolation.Process;

    public TimeSpan RestartBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan RestartBackoffMax { get; init; } = TimeSpan.FromSeconds(60);

    public int MaxRestarts { get; init; } = 10;

    /// <summary>The sliding window of <see cref="MaxRestarts"/>; null = a lifetime count.</summary>
    public TimeSpan? RestartWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A run this long resets the restart count and the backoff.</summary>
    public TimeSpan StableUptime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a stop waits for the message in hand (the runner's own grace).</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After <see cref="StopTimeout"/>, how much longer the master waits before SIGKILL.</summary>
    public TimeSpan KillTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A slice stuck on one message longer than this is killed and restarted; null = off.</summary>
    public TimeSpan? DisposeTimeout { get; init; }

    /// <summary>How long a failed slice waits before it is tried again with a fresh budget; null = never (only <c>restart</c>).</summary>
    public TimeSpan? FailedRetryInterval { get; init; } = DefaultFailedRetryInterval;

    /// <summary>The default of <c>failed_retry_interval</c>.</summary>
    public static TimeSpan DefaultFailedRetryInterval { get; } = TimeSpan.FromMinutes(5);

    /// <summary>The largest <c>failed_retry_interval</c> (timers take at most about 49 days; a week is already more than any operator waits).</summary>
    public static TimeSpan MaxFailedRetryInterval { get; } = TimeSpan.FromDays(7);

    /// <summary>Reads the policy keys of a runner section (docs/master.md); errors name file and line.</summary>
    public static RestartPolicy FromSettings(RunnerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var isolation = settings.GetString("isolation")?.Trim().ToUpperInvariant() switch
        {
            null or "" or "PROCESS" => Isolation.Process,
            "THREAD" => Isolation.Thread,
            var other => throw new ConfigurationValueException(settings.Describe("isolation", $"'{other.ToLowerInvariant()}' is not process or thread")),
        };
        var window = settings.GetDuration("restart_window", TimeSpan.FromMinutes(10));
        return new RestartPolicy
        {
            Isolation = isolation,
            RestartBackoff = settings.GetDuration("restart_backoff", TimeSpan.FromSeconds(1)),
            RestartBackoffMax = settings.GetDuration("restart_backoff_max", TimeSpan.FromSeconds(60)),
            MaxRestarts = settings.MaxRestarts,
            RestartWindow = window > TimeSpan.Zero ? window : null,
            StableUptime = settings.GetDuration("stable_uptime", TimeSpan.FromSeconds(60)),
            StopTimeout = settings.GetDuration("stop_timeout", TimeSpan.FromSeconds(30)),
            KillTimeout = settings.GetDuration("kill_timeout", TimeSpan.FromSeconds(10)),
            DisposeTimeout = settings.GetString("dispose_timeout")?.Trim() is { Length: > 0 } text && !text.Equals("off", StringComparison.OrdinalIgnoreCase)
                ? settings.GetDuration("dispose_timeout", TimeSpan.Zero)
                : null,
            FailedRetryInterval = ReadFailedRetryInterval(settings),
        };
    }

    // "0" (as the docs write it), "0s" and "off" mean never.
    internal static TimeSpan? ReadFailedRetryInterval(RunnerSettings settings)
    {
        const string Key = "failed_retry_interval";
        string? text = settings.GetString(Key)?.Trim();
        if (text is null or "")
        {
            return DefaultFailedRetryInterval;
        }

        if (text == "0" || text.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var interval = settings.GetDuration(Key, DefaultFailedRetryInterval);
        if (interval > MaxFailedRetryInterval)
        {
            throw new ConfigurationValueException(settings.Describe(Key, $"'{text}' is longer than the largest interval, 7d"));
        }

        return interval > TimeSpan.Zero ? interval : null;
    }

    /// <summary>
    /// Explains why the budget can never be spent, or null: when <see cref="MaxRestarts"/> backoff
    /// delays alone last longer than the window, old restarts expire before the count is reached
    /// (systemd's "5 in 10 s" with a 2 s+ backoff), so a crash loop would never be marked failed.
    /// </summary>
    public string? CheckConsistency()
    {
        if (RestartWindow is not { } window || MaxRestarts == 0)
        {
            return null;
        }

        var backoff = new Backoff(RestartBackoff, RestartBackoffMax, () => 1);
        var total = TimeSpan.Zero;
        for (int i = 0; i < MaxRestarts; i++)
        {
            total += backoff.Delay(i);
        }

        return total < window
            ? null
            : $"max_restarts: {MaxRestarts} restarts with restart_backoff {RestartBackoff} (max {RestartBackoffMax}) take at least {total}, longer than restart_window {window}: a crash loop would never be marked failed";
    }
}

/// <summary>Where a slice runs.</summary>
public enum Isolation
{
    /// <summary>A child <c>runner-host runner</c> process per slice.</summary>
    Process,

    /// <summary>A task inside the master, in its own plugin scope.</summary>
    Thread,
}
