using System.Globalization;

namespace RunnerHost.Hosting.Supervision;

/// <summary>How one run of a slice ended.</summary>
/// <param name="ExitCode">The process exit code (0 for a thread that returned); null when killed by a signal, failed by an exception or abandoned.</param>
/// <param name="Signal">The signal that killed the process, if any.</param>
/// <param name="Error">An exception that escaped a thread-isolated runner, or why it could not start (one line).</param>
/// <param name="CannotStart">Configuration or runner creation failed (exit codes 3 and 4): retrying with backoff cannot help.</param>
/// <param name="Watchdog">The master killed it because a message took longer than <c>dispose_timeout</c>.</param>
/// <param name="Abandoned">A thread that did not return after cancellation: the master stopped waiting for it.</param>
public sealed record WorkerExit(int? ExitCode, int? Signal = null, string? Error = null, bool CannotStart = false, bool Watchdog = false, bool Abandoned = false)
{
    /// <summary>From a process exit status as .NET reports it: 128 + n means killed by signal n. <paramref name="reason"/> is the child's own account of a start failure.</summary>
    public static WorkerExit FromProcess(int status, bool watchdog, string? reason = null) => status switch
    {
        > 128 and < 160 => new WorkerExit(null, status - 128, Watchdog: watchdog),
        3 or 4 => new WorkerExit(status, Error: reason, CannotStart: true),
        _ => new WorkerExit(status, Watchdog: watchdog),
    };

    /// <summary>
    /// A short, low-cardinality cause for the restart metric's <c>cause</c> label: <c>signal 9</c>,
    /// <c>exit 1</c>, <c>watchdog</c>, <c>abandoned</c>, <c>exception</c> (never the message, which would make a series per text).
    /// </summary>
    public string Cause => (Watchdog, Abandoned, ExitCode, Signal) switch
    {
        (true, _, _, _) => "watchdog",
        (_, true, _, _) => "abandoned",
        (_, _, _, { } signal) => $"signal {signal.ToString(CultureInfo.InvariantCulture)}",
        (_, _, { } code, _) => $"exit {code.ToString(CultureInfo.InvariantCulture)}",
        _ => "exception",
    };

    /// <summary>The exit without the error text, e.g. <c>exit 4 (runner could not be created)</c>.</summary>
    public string DescribeStatus() => (ExitCode, Signal) switch
    {
        _ when Abandoned => "thread abandoned: it did not return after cancellation",
        (_, { } signal) => $"signal {signal.ToString(CultureInfo.InvariantCulture)}{SignalName(signal)}",
        (3, _) when CannotStart => "exit 3 (configuration error)",
        (4, _) when CannotStart => "exit 4 (runner could not be created)",
        ({ } code, _) => $"exit {code.ToString(CultureInfo.InvariantCulture)}",
        _ => "exception",
    };

    /// <summary>One short phrase for logs and status, e.g. <c>signal 9 (SIGKILL)</c>.</summary>
    public string Describe()
    {
        string what = DescribeStatus();
        if (Error is not null)
        {
            what = ExitCode is null && Signal is null && !Abandoned ? $"exception: {Error}" : $"{what}: {Error}";
        }

        return Watchdog ? $"watchdog kill ({what})" : what;
    }

    private static string SignalName(int signal) => signal switch
    {
        1 => " (SIGHUP)",
        2 => " (SIGINT)",
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => string.Empty,
    };
}
