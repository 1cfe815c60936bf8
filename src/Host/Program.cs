using System.CommandLine;
using RunnerHost.Hosting.Cli;
using RunnerHost.Hosting.Configuration;

// Before anything is created: var/ and everything in it is 0750/0640 whatever the caller's umask (docs/cli.md).
HostDirectories.RestrictFileCreationMask();

var configOption = new Option<string?>("--config", "-C")
{
    Description = "The configuration file (default: $RUNNER_HOST_CONFIG, else config/runner-host.cfg).",
    Recursive = true,
};
var root = new RootCommand("RunnerHost: runs plugin runners that move mail through durable file queues.")
{
    configOption,
    RunnerCommand.Create(configOption),
    InjectCommand.Create(configOption),
    PluginsCommand.Create(configOption),
    QfileCommand.Create(configOption),
    UnshuntCommand.Create(configOption),
    BadCommand.Create(configOption),
    QueuesCommand.Create(configOption),
    MetricsCommand.Create(configOption),
    StartCommand.Create(configOption),
    StopCommand.Create(configOption),
    RestartCommand.Create(configOption),
    ReopenCommand.Create(configOption),
    StatusCommand.Create(configOption),
};

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // Usage errors: one line each, a hint, and exit code 2 (System.CommandLine would return 1).
    foreach (var error in parsed.Errors)
    {
        await Console.Error.WriteLineAsync($"Error: {error.Message}");
    }

    await Console.Error.WriteLineAsync("Try 'runner-host --help'.");
    return ExitCodes.Usage;
}

// No termination timeout: the runner and the master handle SIGTERM/SIGINT themselves (a graceful stop may
// take stop_timeout); System.CommandLine would otherwise cancel at once and end the process after 2 s.
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
