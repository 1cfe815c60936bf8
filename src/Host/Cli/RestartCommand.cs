using System.CommandLine;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Cli;

/// <summary><c>runner-host restart</c>: SIGUSR1 to the master, which restarts every runner gracefully without charging restart budgets.</summary>
public static class RestartCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var command = new Command("restart", "Restart every runner (gracefully; failed runners too). Restart budgets are not charged.");
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(() =>
            SignalCommand.SendAsync(result.GetValue(configOption), Posix.SigUsr1, "Restarting the runners", cancellationToken)));
        return command;
    }
}
