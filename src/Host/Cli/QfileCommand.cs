using System.CommandLine;
using RunnerHost.Host.Operations;

namespace RunnerHost.Host.Cli;

/// <summary><c>runner-host qfile [--json] FILE...</c>: shows everything about queue entries, damaged ones included. Needs no configuration.</summary>
public static class QfileCommand
{
    public static Command Create()
    {
        var jsonOption = new Option<bool>("--json") { Description = "Print a JSON array, one object per file." };
        var filesArgument = new Argument<string[]>("FILE") { Description = "Queue files (.pck, .bak, .psv).", Arity = ArgumentArity.OneOrMore };
        var command = new Command("qfile", "Show a queue entry: format problems, metadata, error record, message, and the reason of a preserved entry.")
        {
            jsonOption, filesArgument,
        };
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(async () =>
        {
            string[] files = result.GetRequiredValue(filesArgument);
            foreach (var file in files)
            {
                if (!File.Exists(file))
                {
                    throw new UsageException($"no such file: {file}");
                }
            }

            var reports = new List<EntryReport>();
            foreach (var file in files)
            {
                reports.Add(await EntryInspector.InspectAsync(file, cancellationToken).ConfigureAwait(false));
            }

            await Console.Out.WriteAsync(result.GetValue(jsonOption)
                ? EntryReportWriter.ToJson(reports)
                : string.Join("\n", reports.Select(EntryReportWriter.ToText))).ConfigureAwait(false);

            // Damaged files are shown, but a script must be able to tell.
            return reports.Any(r => r.Damaged) ? ExitCodes.Failure : ExitCodes.Success;
        }));
        return command;
    }
}
