using System.CommandLine;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Cli;

/// <summary>
/// <c>runner-host stop [--timeout T]</c>: SIGTERM to the master, then waits until it and its runners are
/// gone: its lock released (the master drops it after every runner stopped) or its process exited, a
/// zombie that its parent has not reaped included.
/// </summary>
public static class StopCommand
{
    // After the lock is released, how long to let the process finish exiting before saying "Stopped".
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(2);

    public static Command Create(Option<string?> configOption)
    {
        var timeoutOption = new Option<int>("--timeout", "-t")
        {
            Description = "Seconds to wait for the master to exit (default 120).",
            DefaultValueFactory = _ => 120,
        };
        var command = new Command("stop", "Stop the master: every runner finishes or returns its message in hand; waits until all are gone.") { timeoutOption };
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(() => RunAsync(
            result.GetValue(configOption), TimeSpan.FromSeconds(result.GetValue(timeoutOption)), cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(string? configFile, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var environment = CommandEnvironment.Open(configFile, VarAccess.ReadOnly);
        var client = new MasterClient(MasterPaths.From(environment.Configuration.Paths));
        if (await client.FindAsync(cancellationToken).ConfigureAwait(false) is not { } pid)
        {
            await Console.Out.WriteLineAsync("RunnerHost is not running").ConfigureAwait(false);
            return ExitCodes.Success;
        }

        await Console.Out.WriteLineAsync($"Stopping the master (pid {pid})").ConfigureAwait(false);
        MasterClient.Signal(pid, Posix.SigTerm);
        var deadline = DateTime.UtcNow + timeout;
        while (!client.IsGone(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                await Console.Error.WriteLineAsync($"Error: the master (pid {pid}) is still running after {timeout.TotalSeconds:0}s").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        for (var exitBy = DateTime.UtcNow + ExitGrace; !MasterClient.HasExited(pid) && DateTime.UtcNow < exitBy;)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        await Console.Out.WriteLineAsync("Stopped").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
