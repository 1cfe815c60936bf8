using System.CommandLine;
using System.Diagnostics;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Cli;

/// <summary><c>runner-host start [--detach] [--exit-on-failure]</c>: runs the master.</summary>
public static class StartCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var detachOption = new Option<bool>("--detach", "-d")
        {
            Description = "Run the master in the background (output to $log_dir/master.log); return once every runner is running.",
        };
        var exitOnFailureOption = new Option<bool>("--exit-on-failure")
        {
            Description = "Stop everything and exit 1 when a runner fails (spent its restart budget or cannot start), for service managers.",
        };
        var timeoutOption = new Option<int>("--timeout", "-t")
        {
            Description = "With --detach: seconds to wait for every runner to be running (default 120).",
            DefaultValueFactory = _ => 120,
        };
        // The background half of --detach: a new session, output into master.log.
        var detachedChildOption = new Option<bool>("--detached-child") { Hidden = true };
        var command = new Command("start", "Run the master: start every runner with 'start: yes' and keep them running (Ctrl-C or 'runner-host stop' stops it).")
        {
            detachOption,
            exitOnFailureOption,
            timeoutOption,
            detachedChildOption,
        };
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(() =>
        {
            string? config = result.GetValue(configOption);
            bool exitOnFailure = result.GetValue(exitOnFailureOption);
            return result.GetValue(detachOption)
                ? DetachAsync(config, exitOnFailure, TimeSpan.FromSeconds(result.GetValue(timeoutOption)), cancellationToken)
                : RunAsync(config, exitOnFailure, result.GetValue(detachedChildOption), cancellationToken);
        }));
        return command;
    }

    private static async Task<int> RunAsync(string? configFile, bool exitOnFailure, bool detachedChild, CancellationToken cancellationToken)
    {
        if (detachedChild)
        {
            // Before anything logs: leave the caller's session and send all output to master.log.
            var hostPaths = ConfigurationStack.Load(configFile).Build().Paths;
            HostDirectories.Check(hostPaths, VarAccess.ReadWrite);
            var paths = MasterPaths.From(hostPaths);
            HostDirectories.CreateFile(paths.LogFile); // 0640 whatever the umask; RedirectOutput appends to it
            Posix.NewSession();
            Posix.RedirectOutput(paths.LogFile);
        }

        // The master handles its signals itself, HUP included (its own log, then the runners').
        using var environment = CommandEnvironment.Open(configFile, VarAccess.ReadWrite, handleSignals: false);
        var master = new Master(environment.Services, new MasterOptions(exitOnFailure, environment.ReopenLogs));
        return await master.RunAsync(null, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> DetachAsync(string? configFile, bool exitOnFailure, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var environment = CommandEnvironment.Open(configFile, VarAccess.ReadWrite);
        var paths = MasterPaths.From(environment.Configuration.Paths);
        var client = new MasterClient(paths);
        if (await client.FindAsync(cancellationToken).ConfigureAwait(false) is { } running)
        {
            await Console.Error.WriteLineAsync($"Error: the master is already running (pid {running}, lock {paths.LockFile})").ConfigureAwait(false);
            return Master.AlreadyRunning;
        }

        var arguments = new List<string> { "start", "--detached-child" };
        if (environment.Configuration.ConfigFile is { } config)
        {
            arguments.AddRange(["-C", config]);
        }

        if (exitOnFailure)
        {
            arguments.Add("--exit-on-failure");
        }

        var start = HostExecutable.StartInfo(arguments);
        // All three redirected and never read: the child points stdout/stderr at master.log at once,
        // and holds none of our caller's pipes or terminal.
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the master");
        child.StandardInput.Close();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (child.HasExited)
            {
                await Console.Error.WriteLineAsync($"Error: the master exited with code {child.ExitCode}; see {paths.LogFile}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            if (StatusSnapshot.TryRead(paths.StatusFile) is { } status && status.MasterPid == child.Id)
            {
                if (status.Slices.FirstOrDefault(s => s.State == SliceState.Failed) is { } failed)
                {
                    await Console.Error.WriteLineAsync($"Error: runner {failed.Runner}:{failed.Slice} failed ({failed.FailureReason}); the master keeps running (pid {child.Id}), see {paths.LogFile}").ConfigureAwait(false);
                    return ExitCodes.Failure;
                }

                if (status.Slices.All(s => s.State == SliceState.Running))
                {
                    await Console.Out.WriteLineAsync($"RunnerHost master started (pid {child.Id}), {status.Slices.Count} runner slices running; log: {paths.LogFile}").ConfigureAwait(false);
                    return ExitCodes.Success;
                }
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        await Console.Error.WriteLineAsync($"Error: not every runner was running after {timeout.TotalSeconds:0}s; the master (pid {child.Id}) keeps running, see {paths.LogFile}").ConfigureAwait(false);
        return ExitCodes.Failure;
    }
}
