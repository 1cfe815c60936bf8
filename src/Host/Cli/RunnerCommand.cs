using System.CommandLine;
using RunnerHost.Hosting.Processes;

namespace RunnerHost.Hosting.Cli;

/// <summary><c>runner-host runner --runner NAME[:SLICE:COUNT] [--once]</c>: runs one runner slice in the foreground (a runner process, <see cref="RunnerProcessHost"/>).</summary>
public static class RunnerCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var runnerOption = new Option<string>("--runner", "-r")
        {
            Description = "The runner to run: NAME (its whole queue) or NAME:SLICE:COUNT (one slice; COUNT must equal the section's instances).",
            Required = true,
        };
        var onceOption = new Option<bool>("--once", "-o")
        {
            Description = "Make one full pass over the queue, run the periodic hook, and exit.",
        };
        // Set by the master on its children: heartbeats on stdout, and EOF on stdin (the master died) stops the runner.
        var supervisedOption = new Option<bool>("--supervised") { Hidden = true };
        var command = new Command("runner", "Run one runner slice in the foreground until stopped (SIGTERM/SIGINT stop it gracefully).")
        {
            runnerOption,
            onceOption,
            supervisedOption,
        };
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(() => RunnerProcessHost.RunAsync(
            result.GetValue(configOption),
            RunnerSpec.Parse(result.GetRequiredValue(runnerOption)),
            result.GetValue(onceOption),
            result.GetValue(supervisedOption),
            cancellationToken)));
        return command;
    }
}
