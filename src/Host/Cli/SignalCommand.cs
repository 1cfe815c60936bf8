using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Cli;

/// <summary>Shared by <c>restart</c> and <c>reopen</c>: find the master and send it one signal.</summary>
internal static class SignalCommand
{
    public static async Task<int> SendAsync(string? configFile, int signal, string what, CancellationToken cancellationToken)
    {
        using var environment = CommandEnvironment.Open(configFile, VarAccess.ReadOnly);
        var client = new MasterClient(MasterPaths.From(environment.Configuration.Paths));
        if (await client.FindAsync(cancellationToken).ConfigureAwait(false) is not { } pid || !MasterClient.Signal(pid, signal))
        {
            await Console.Error.WriteLineAsync("Error: the master is not running").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        await Console.Out.WriteLineAsync($"{what} (master pid {pid})").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
