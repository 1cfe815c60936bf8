using System.CommandLine;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Operations;
using RunnerHost.Hosting.Queues.Files;
using RunnerHost.Inspection;

namespace RunnerHost.Hosting.Cli;

/// <summary>
/// <c>runner-host qfile [--json] FILE|QUEUE/ID...</c>: shows everything about queue entries, damaged ones
/// included. A file is read by path and needs no configuration; <c>QUEUE/ID</c> names an entry by its
/// id in a configured queue, on whichever back end holds the queues (JetStream entries have no file).
/// </summary>
public static class QfileCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var jsonOption = new Option<bool>("--json") { Description = "Print a JSON array, one object per entry." };
        var entriesArgument = new Argument<string[]>("ENTRY")
        {
            Description = "Queue files (.pck, .bak, .psv), or QUEUE/ID: an entry id in a configured queue (as `queues`, `bad list` and the REST API show it).",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("qfile", "Show a queue entry: format problems, metadata, error record, message, and the reason of a preserved entry.")
        {
            jsonOption, entriesArgument,
        };
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(async () =>
        {
            string[] entries = result.GetRequiredValue(entriesArgument);
            var now = DateTimeOffset.UtcNow;
            var reports = new List<(EntryInspection Report, string Where)>();
            CommandEnvironment? environment = null;
            try
            {
                foreach (var entry in entries)
                {
                    switch (EntryFileReader.KindOf(entry))
                    {
                        case EntryFileKind.Directory:
                            throw new UsageException($"{entry} is a directory, not a queue file");
                        case EntryFileKind.Missing when !LooksLikeEntryId(entry):
                            throw new UsageException($"no such file: {entry}");
                        case EntryFileKind.Missing:
                            // Not a file: an entry id in a configured queue (the configuration is read only now).
                            environment ??= CommandEnvironment.Open(result.GetValue(configOption), VarAccess.ReadOnly);
                            reports.Add(await ReadByIdAsync(environment, entry, cancellationToken).ConfigureAwait(false));
                            break;
                        default:
                            // The file back end's own reader of one file.
                            reports.Add((FileQueueInspector.Inspect(entry, queue: null, now), Path.GetFullPath(entry)));
                            break;
                    }
                }
            }
            finally
            {
                environment?.Dispose();
            }

            cancellationToken.ThrowIfCancellationRequested();
            await Console.Out.WriteAsync(result.GetValue(jsonOption)
                ? EntryReportWriter.ToJson(reports, now)
                : string.Join("\n", reports.Select(r => EntryReportWriter.ToText(r.Report, r.Where, now)))).ConfigureAwait(false);

            // Damaged entries are shown, but a script must be able to tell.
            return reports.Any(r => r.Report.Damaged) ? ExitCodes.Failure : ExitCodes.Success;
        }));
        return command;
    }

    // QUEUE/ID: one slash, not a path (rooted, relative with dots, or a queue file name).
    private static bool LooksLikeEntryId(string entry) =>
        entry.IndexOf('/', StringComparison.Ordinal) is > 0 and var slash && entry.IndexOf('/', slash + 1) < 0
        && !entry.StartsWith('.') && Path.GetExtension(entry) is not (".pck" or ".bak" or ".psv" or ".tmp");

    private static async Task<(EntryInspection Report, string Where)> ReadByIdAsync(CommandEnvironment environment, string entry, CancellationToken cancellationToken)
    {
        int slash = entry.IndexOf('/', StringComparison.Ordinal);
        var inspector = environment.Services.Inspector;
        if (slash <= 0 || !inspector.QueueNames.Contains(entry[..slash], StringComparer.Ordinal))
        {
            throw new UsageException($"no such file, and not QUEUE/ID with a configured queue: {entry} (queues: {string.Join(", ", inspector.QueueNames)})");
        }

        string queue = entry[..slash], id = entry[(slash + 1)..];
        if (!inspector.IsEntryId(queue, id, out string? problem))
        {
            throw new UsageException($"{entry}: '{id}' is not an entry id: {problem}");
        }

        var report = await inspector.ReadAsync(queue, id, cancellationToken).ConfigureAwait(false)
            ?? throw new UsageException($"no entry {id} in queue {queue}");
        return (report, entry);
    }
}
