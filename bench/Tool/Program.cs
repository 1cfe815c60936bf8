using System.CommandLine;
using RunnerHost.Bench;
using RunnerHost.Hosting.Cli;
using RunnerHost.Hosting.Configuration;

// As runner-host does: the throw-away var directories are created under the same file creation mask.
HostDirectories.RestrictFileCreationMask();

var configOption = new Option<string?>("--config", "-C")
{
    Description = "cold-start and rss: run this configuration file's runners (a copy, its ports and var_dir rewritten) instead of archive runners.",
    Recursive = true,
};
var root = new RootCommand("RunnerHost benchmarks: the queues and the runner loop on a throw-away var directory (and, for JetStream, throw-away servers), and a real master (runner-host start).")
{
    configOption,
};
foreach (var command in BenchCommand.Create(configOption))
{
    root.Subcommands.Add(command);
}

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // Usage errors: one line each, a hint, and exit code 2, as runner-host gives them.
    foreach (var error in parsed.Errors)
    {
        await Console.Error.WriteLineAsync($"Error: {error.Message}");
    }

    await Console.Error.WriteLineAsync("Try 'runner-host-bench --help'.");
    return ExitCodes.Usage;
}

// No termination timeout: a scenario stops its master and servers itself on cancellation.
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
