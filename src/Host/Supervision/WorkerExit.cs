using System.Globalization;

namespace RunnerHost.Host.Supervision;

/// <summary>How one run of a slice ended.</summary>
/// <param name="ExitCode">The process exit code (0 for a thread that returned); null when killed by a signal or failed by an exception.</param>
/// <param name="Signal">The signal that killed the process, if any.</param>
/// <param name="Error">An exception that escaped a thread-isolated runner, or why it could not start.</param>
/// <param name="CannotStart">Configuration or runner creation failed (exit codes 3 and 4): retrying cannot help.</param>
/// <param name="Watchdog">The master killed it because a message took longer than <c>dispose_timeout</c>.</param>
public sealed record WorkerExit(int? ExitCode, int? Signal = null, string? Error = null, bool CannotStart = false, bool Watchdog = false)
{
    /// <summary>A clean exit: status 0, nothing else wrong.</summary>
    public bool IsClean => ExitCode == 0 && Signal is null && Error is null && !Watchdog && !CannotStart;

    /// <summary>From a process exit status as .NET reports it: 128 + n means killed by signal n.</summary>
    public static WorkerExit FromProcess(int status, bool watchdog) => status switch
    {
        > 128 and < 160 => new WorkerExit(null, status - 128, Watchdog: watchdog),
        3 or 4 => new WorkerExit(status, CannotStart: true),
        _ => new WorkerExit(status, Watchdog: watchdog),
    };

    /// <summary>
    /// A short, low-cardinality cause for the restart metric's <c>cause</c> label: <c>signal 9</c>,
    /// <c>exit 1</c>, <c>watchdog</c>, <c>exception</c> (never the message, which would make a series per text).
    /// </summary>
    public string Cause => (Watchdog, ExitCode, Signal) switch
    {
        (true, _, _) => "watchdog",
        (_, _, { } signal) => $"signal {signal.ToString(CultureInfo.InvariantCulture)}",
        (_, { } code, _) => $"exit {code.ToString(CultureInfo.InvariantCulture)}",
        _ => "exception",
    };

    /// <summary>One short phrase for logs and status, e.g. <c>signal 9 (SIGKILL)</c>.</summary>
    public string Describe()
    {
        string what = (ExitCode, Signal) switch
        {
            (_, { } signal) => $"signal {signal.ToString(CultureInfo.InvariantCulture)}{SignalName(signal)}",
            (3, _) when CannotStart => "exit 3 (configuration error)",
            (4, _) when CannotStart => "exit 4 (runner could not be created)",
            ({ } code, _) => $"exit {code.ToString(CultureInfo.InvariantCulture)}",
            _ => "exception",
        };
        if (Error is not null)
        {
            what = ExitCode is null && Signal is null ? $"exception: {Error}" : $"{what}: {Error}";
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
