using System.Globalization;

namespace RunnerHost.Hosting.Supervision.Systemd;

/// <summary>
/// How often to send <c>WATCHDOG=1</c>: half of <c>WATCHDOG_USEC</c>, as sd_watchdog_enabled advises,
/// when <c>WATCHDOG_PID</c> is unset or names this process. The values come from the environment and
/// are range-checked: anything unusable means no watchdog pings and a warning.
/// </summary>
public static class WatchdogInterval
{
    public const string UsecVariable = "WATCHDOG_USEC";
    public const string PidVariable = "WATCHDOG_PID";

    // systemd's WatchdogSec is a handful of seconds to minutes; outside this the value is a mistake.
    private const long MinUsec = 20_000; // 20 ms
    private const long MaxUsec = 24L * 3600 * 1_000_000; // one day

    /// <summary>The ping interval, or null; <paramref name="warning"/> says why a set value was refused.</summary>
    public static TimeSpan? Parse(string? usec, string? pid, int ownPid, out string? warning)
    {
        warning = null;
        if (string.IsNullOrEmpty(usec))
        {
            return null;
        }

        if (!string.IsNullOrEmpty(pid))
        {
            if (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int watchdogPid) || watchdogPid <= 0)
            {
                warning = $"{PidVariable} is '{FailureText.OneLine(pid)}', not a process id: no systemd watchdog pings";
                return null;
            }

            if (watchdogPid != ownPid)
            {
                // Meant for another process (the one that started us): not ours to ping.
                return null;
            }
        }

        if (!long.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value < MinUsec || value > MaxUsec)
        {
            warning = $"{UsecVariable} is '{FailureText.OneLine(usec)}', not a number of microseconds from {MinUsec} to {MaxUsec}: no systemd watchdog pings";
            return null;
        }

        return TimeSpan.FromMicroseconds(value / 2);
    }
}
