using System.CommandLine;
using RunnerHost.Host.Operations;
using RunnerHost.Host.Queues.Files;

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
                switch (EntryFileReader.KindOf(file))
                {
                    case EntryFileKind.Missing:
                        throw new UsageException($"no such file: {file}");
                    case EntryFileKind.Directory:
                        throw new UsageException($"{file} is a directory, not a queue file");
                }
            }

            // qfile reads files by path, needing no configuration: the file back end's own reader of one file.
            var now = DateTimeOffset.UtcNow;
            var reports = files.Select(file => (Report: FileQueueInspector.Inspect(file, queue: null, now), Where: Path.GetFullPath(file))).ToList();
            cancellationToken.ThrowIfCancellationRequested();
            await Console.Out.WriteAsync(result.GetValue(jsonOption)
                ? EntryReportWriter.ToJson(reports, now)
                : string.Join("\n", reports.Select(r => EntryReportWriter.ToText(r.Report, r.Where, now)))).ConfigureAwait(false);

            // Damaged files are shown, but a script must be able to tell.
            return reports.Any(r => r.Report.Damaged) ? ExitCodes.Failure : ExitCodes.Success;
        }));
        return command;
    }
}
