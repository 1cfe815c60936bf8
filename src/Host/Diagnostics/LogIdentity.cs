using RunnerHost.Hosting.Cli;

namespace RunnerHost.Hosting.Diagnostics;

/// <summary>What every log line names: the runner and slice (<c>archive:0/1</c>) or the command (<c>unshunt</c>), and the pid.</summary>
/// <param name="Source">The runner slice or command name.</param>
/// <param name="Runner">The runner name, for runner processes.</param>
/// <param name="Slice">The slice as <c>slice/count</c>, for runner processes.</param>
/// <param name="ProcessId">The process id.</param>
public sealed record LogIdentity(string Source, string? Runner, string? Slice, int ProcessId)
{
    /// <summary>
    /// Derived from the command line, so that commands need not pass it: <c>runner -r NAME[:S:C]</c>
    /// gives the runner and slice, any other command its name.
    /// </summary>
    public static LogIdentity FromCommandLine(IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        string? command = null;
        string? runner = null;
        for (int i = 0; i < arguments.Count; i++)
        {
            string argument = arguments[i];
            if (argument is "-C" or "--config")
            {
                i++;
            }
            else if (argument is "-r" or "--runner" && i + 1 < arguments.Count)
            {
                runner = arguments[++i];
            }
            else if (argument.StartsWith("--runner=", StringComparison.Ordinal))
            {
                runner = argument["--runner=".Length..];
            }
            else if (command is null && !argument.StartsWith('-'))
            {
                command = argument;
            }
        }

        int pid = Environment.ProcessId;
        if (command == "runner" && runner is not null)
        {
            try
            {
                var spec = RunnerSpec.Parse(runner);
                string slice = $"{spec.Slice}/{spec.Count}";
                return new LogIdentity($"{spec.Name}:{slice}", spec.Name, slice, pid);
            }
            catch (UsageException)
            {
                return new LogIdentity(runner, runner, null, pid);
            }
        }

        return new LogIdentity(command ?? "runner-host", null, null, pid);
    }

    /// <summary>The identity of this process, from its own command line.</summary>
    public static LogIdentity Current() => FromCommandLine(Environment.GetCommandLineArgs().Skip(1).ToList());
}
