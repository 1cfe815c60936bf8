using System.CommandLine;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Cli;

/// <summary><c>runner-host reopen</c>: SIGHUP to the master, which forwards it to every runner (log reopen).</summary>
public static class ReopenCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var command = new Command("reopen", "Reopen log files (the master forwards SIGHUP to every runner).");
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(() =>
            SignalCommand.SendAsync(result.GetValue(configOption), Posix.SigHup, "Reopening the logs", cancellationToken)));
        return command;
    }
}
