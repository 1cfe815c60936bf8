using System.CommandLine;
using System.Globalization;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Operations;

namespace RunnerHost.Hosting.Cli;

/// <summary><c>runner-host bad list|show|requeue|purge</c>: the preserved (<c>.psv</c>) entries of the bad directory.</summary>
public static class BadCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var command = new Command("bad", "List, show, requeue and purge preserved entries (bad/*.psv).");
        command.Subcommands.Add(List(configOption));
        command.Subcommands.Add(Show(configOption));
        command.Subcommands.Add(Requeue(configOption));
        command.Subcommands.Add(Purge(configOption));
        return command;
    }

    /// <summary>Age as qshape-style text: <c>45s</c>, <c>12m</c>, <c>3h</c>, <c>2d</c>.</summary>
    public static string FormatAge(TimeSpan age) => age switch
    {
        { TotalSeconds: < 0 } => "0s",
        { TotalMinutes: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalSeconds}s"),
        { TotalHours: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalMinutes}m"),
        { TotalDays: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalHours}h"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalDays}d"),
    };

    private static Command List(Option<string?> configOption)
    {
        var command = new Command("list", "One line per preserved entry: name, size, age, reason.");
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(async () =>
        {
            using var environment = CommandEnvironment.Open(result.GetValue(configOption), VarAccess.ReadOnly);
            var now = environment.Services.Clock.GetUtcNow();
            var entries = Entries(environment);
            foreach (var entry in await entries.ListAsync(cancellationToken).ConfigureAwait(false))
            {
                await Console.Out.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{entry.Id}  {entry.Size}  {FormatAge(now - (entry.PreservedAt ?? now))}  {(entry.Reason ?? "(no reason recorded)").ReplaceLineEndings(" ")}")).ConfigureAwait(false);
            }

            foreach (var stray in await entries.ListStraysAsync(cancellationToken).ConfigureAwait(false))
            {
                await Console.Out.WriteLineAsync($"STRAY {stray.Name}: {stray.Problem}").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Show(Option<string?> configOption)
    {
        var nameArgument = new Argument<string>("NAME") { Description = "The entry (its file name, with or without .psv)." };
        var command = new Command("show", "Show one preserved entry as qfile does, with its reason.") { nameArgument };
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(async () =>
        {
            using var environment = CommandEnvironment.Open(result.GetValue(configOption), VarAccess.ReadOnly);
            var report = await Entries(environment).ReadAsync(result.GetRequiredValue(nameArgument), cancellationToken).ConfigureAwait(false);
            var now = environment.Services.Clock.GetUtcNow();
            await Console.Out.WriteAsync(EntryReportWriter.ToText(report, $"{RunnerHost.Queues.QueueNames.Bad}/{report.Id}", now)).ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Requeue(Option<string?> configOption)
    {
        var namesArgument = new Argument<string[]>("NAME") { Description = "Entries to requeue.", Arity = ArgumentArity.OneOrMore };
        var toOption = new Option<string>("--to", "-t") { Description = "The queue to enqueue them into.", Required = true };
        var command = new Command("requeue", "Decode preserved entries and enqueue them into a queue; undecodable ones are refused and kept.") { namesArgument, toOption };
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(async () =>
        {
            using var environment = CommandEnvironment.Open(result.GetValue(configOption), VarAccess.ReadWrite);
            var entries = Entries(environment);
            var target = OperationArguments.Queue(environment.Services, result.GetRequiredValue(toOption));
            if (target.Name == RunnerHost.Queues.QueueNames.Bad)
            {
                throw new UsageException("--to bad: the entries are already there; name the queue they should go to");
            }

            // Every name is checked before anything moves.
            var ids = new List<string>();
            foreach (string name in result.GetRequiredValue(namesArgument))
            {
                ids.Add(await entries.IdOfAsync(name, cancellationToken).ConfigureAwait(false));
            }

            int failures = 0;
            using var progress = ProgressReporter.ForStderr("requeue", ids.Count);
            foreach (string name in ids)
            {
                try
                {
                    string filebase = await entries.RequeueAsync(name, target.Name, cancellationToken).ConfigureAwait(false);
                    await Console.Out.WriteLineAsync($"{name} -> {target.Name} {filebase}").ConfigureAwait(false);
                }
                catch (PreservedEntryException ex)
                {
                    progress.WriteLine(ex.Message);
                    failures++;
                }

                progress.Advance();
            }

            return failures == 0 ? ExitCodes.Success : ExitCodes.Failure;
        }));
        return command;
    }

    private static Command Purge(Option<string?> configOption)
    {
        var namesArgument = new Argument<string[]>("NAME") { Description = "Entries to delete (with their .reason).", Arity = ArgumentArity.ZeroOrMore };
        var allOption = new Option<bool>("--all") { Description = "Delete every preserved entry (needs --yes)." };
        var yesOption = new Option<bool>("--yes", "-y") { Description = "Confirm --all." };
        var command = new Command("purge", "Delete the named preserved entries (or all with --all --yes).") { namesArgument, allOption, yesOption };
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(async () =>
        {
            string[] names = result.GetValue(namesArgument) ?? [];
            bool all = result.GetValue(allOption);
            if (all == (names.Length > 0))
            {
                throw new UsageException("name the entries to purge, or give --all (not both)");
            }

            using var environment = CommandEnvironment.Open(result.GetValue(configOption), VarAccess.ReadWrite);
            var entries = Entries(environment);
            if (all)
            {
                var every = await entries.ListAsync(cancellationToken).ConfigureAwait(false);
                if (!result.GetValue(yesOption))
                {
                    throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"purge --all would delete {every.Count} entries; add --yes to confirm"));
                }

                names = [.. every.Select(e => e.Id)];
            }

            // Every name is checked before anything is deleted.
            var canonical = new List<string>();
            foreach (string name in names)
            {
                canonical.Add(await entries.IdOfAsync(name, cancellationToken).ConfigureAwait(false));
            }

            foreach (var name in canonical)
            {
                await entries.PurgeAsync(name, cancellationToken).ConfigureAwait(false);
                await Console.Out.WriteLineAsync($"{name} purged").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static PreservedEntries Entries(CommandEnvironment environment) => new(environment.Services.Inspector);
}
