using System.CommandLine;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Operations;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Cli;

/// <summary>
/// <c>runner-host unshunt [--id FB]... [--queue Q] [--list LISTID] [--since TIME] [--error TYPE] [--discard] [--dry-run]</c>:
/// replays shunted entries into their <c>whichq</c>; exit 1 when any entry failed.
/// </summary>
public static class UnshuntCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var idOption = new Option<string[]>("--id") { Description = "Only this entry (a shunt filebase; repeatable).", AllowMultipleArgumentsPerToken = false };
        var queueOption = new Option<string?>("--queue", "-q") { Description = "Only entries going back to this queue (their whichq, default in)." };
        var listOption = new Option<string?>("--list", "-l") { Description = "Only entries of this list id." };
        var sinceOption = new Option<string?>("--since") { Description = "Only entries shunted at or after TIME (ISO 8601, or an age: 30m, 2h, 1d)." };
        var errorOption = new Option<string?>("--error", "-e") { Description = "Only entries whose error type is TYPE (full name or last segment)." };
        var discardOption = new Option<bool>("--discard", "-d") { Description = "Delete the selected entries instead of replaying them." };
        var dryRunOption = new Option<bool>("--dry-run", "-n") { Description = "List the selected entries (id, queue, list, error) and change nothing." };
        var command = new Command("unshunt", "Move shunted messages back to the queue they failed in (default in), or discard them.")
        {
            idOption, queueOption, listOption, sinceOption, errorOption, discardOption, dryRunOption,
        };
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(async () =>
        {
            bool discard = result.GetValue(discardOption), dryRun = result.GetValue(dryRunOption);
            using var environment = CommandEnvironment.Open(result.GetValue(configOption), VarAccess.ReadWrite);
            var services = environment.Services;
            var shunt = OperationArguments.Queue(services, QueueNames.Shunt);
            var ids = (result.GetValue(idOption) ?? []).Select(id => OperationArguments.EntryId(services.Inspector, QueueNames.Shunt, id)).ToHashSet(StringComparer.Ordinal);
            string? queue = result.GetValue(queueOption);
            if (queue is not null)
            {
                _ = OperationArguments.Queue(services, queue);
            }

            var selection = new ShuntSelection
            {
                Ids = ids,
                Queue = queue,
                ListId = result.GetValue(listOption),
                Since = result.GetValue(sinceOption) is { } since ? OperationArguments.Since(since, services.Clock.GetUtcNow()) : null,
                ErrorType = result.GetValue(errorOption),
            };
            var action = dryRun ? ShuntAction.DryRun : discard ? ShuntAction.Discard : ShuntAction.Replay;
            if (action != ShuntAction.DryRun)
            {
                // Entries a crashed unshunt left taken come back first, as in Mailman: opening the shunt
                // queue's only slice recovers them (nothing else runs shunt).
                services.Configuration.TryGetRunner(shunt.Name, out var shuntSettings);
                using var recovered = await services.Backend.OpenSliceAsync(shuntSettings!, 0, 1, null, cancellationToken).ConfigureAwait(false);
            }

            var replayer = new ShuntReplayer(
                services.Inspector,
                services.Queues,
                ReplayJournal.Open(services.Configuration.Paths.VarDir, earlierJournal: services.EarlierReplayJournal),
                services.Clock,
                Console.Out,
                Console.Error,
                terminal: !Console.IsErrorRedirected);
            int failures = await replayer.RunAsync(selection, action, cancellationToken).ConfigureAwait(false);
            return failures == 0 ? ExitCodes.Success : ExitCodes.Failure;
        }));
        return command;
    }
}
