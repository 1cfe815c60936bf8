using System.CommandLine;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Operations;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Queues.Files;
using RunnerHost.Hosting.Queues.JetStream;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Hosting.Cli;

/// <summary>
/// <c>runner-host queues migrate --to jetstream|file [--dry-run]</c>: moves every queued entry (shunt and
/// bad included) from the other queue back end to the named one, both built from the same configuration.
/// </summary>
public static class QueuesMigrateCommand
{
    private const string JetStreamName = "jetstream";
    private const string FileName = "file";

    public static Command Create(Option<string?> configOption)
    {
        var toOption = new Option<string>("--to")
        {
            Description = "Where the entries go: 'jetstream' (from the queue directories to the servers of [queues]) or 'file' (from those servers back to the queue directories).",
            Required = true,
        };
        toOption.AcceptOnlyFromAmong(JetStreamName, FileName);
        var dryRunOption = new Option<bool>("--dry-run") { Description = "Only count what would be moved; nothing is stored or removed." };
        var command = new Command(
            "migrate",
            "Move every queued entry (shunt and bad included) to the other queue back end: stored on the target, then removed from the source. "
            + "Refuses while a master or a runner runs here. Entries in progress and damaged entries are left and reported (exit 1).")
        {
            toOption,
            dryRunOption,
        };
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(() => RunAsync(
            result.GetValue(configOption),
            result.GetRequiredValue(toOption) == JetStreamName ? QueueBackendKind.JetStream : QueueBackendKind.File,
            result.GetValue(dryRunOption),
            cancellationToken)));
        return command;
    }

    /// <summary>One line per queue and a total; a dry run says what would be moved.</summary>
    public static string ToText(QueueMigrationReport report, bool dryRun)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        foreach (var queue in report.Queues)
        {
            text.Append(queue.Queue).Append(": ").Append(Counts(queue.Moved, queue.InProgress, queue.Damaged, queue.NotRemoved, queue.Strays, dryRun)).Append('\n');
        }

        var all = report.Queues;
        text.Append("total: ")
            .Append(Counts(all.Sum(q => q.Moved), all.Sum(q => q.InProgress), all.Sum(q => q.Damaged), all.Sum(q => q.NotRemoved), all.Sum(q => q.Strays), dryRun))
            .Append('\n');
        foreach (string detail in all.SelectMany(q => q.Details))
        {
            text.Append(detail).Append('\n');
        }

        return text.ToString();
    }

    private static async Task<int> RunAsync(string? configFile, QueueBackendKind to, bool dryRun, CancellationToken cancellationToken)
    {
        using var environment = CommandEnvironment.Open(configFile, VarAccess.ReadWrite);
        var configuration = environment.Configuration;

        // Held for the whole move: no master starts meanwhile, and no slice of any queue runs by hand.
        var paths = MasterPaths.From(configuration.Paths);
        using var masterLock = MasterLock.TryAcquire(paths.LockFile);
        if (masterLock is null)
        {
            int? pid = await new MasterClient(paths).FindAsync(cancellationToken).ConfigureAwait(false);
            string who = pid is { } p ? string.Create(CultureInfo.InvariantCulture, $" (pid {p})") : string.Empty;
            await Console.Error.WriteLineAsync($"Error: the master is running{who}, lock {paths.LockFile}: stop it first ('runner-host stop'); runners must not take entries while they move").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        var sliceLocks = new List<SliceLock>();
        try
        {
            foreach (var runner in configuration.Runners.Where(r => r.QueuePath is not null))
            {
                // The root of the queue's slice tree, exclusively: it conflicts with every slice of every count.
                if (SliceLock.TryAcquire(configuration.Paths.LockDir, new SliceId(runner.Name, 0, 1), out var conflict) is not { } taken)
                {
                    string who = conflict!.HolderPid is { } pid ? string.Create(CultureInfo.InvariantCulture, $" (pid {pid})") : string.Empty;
                    await Console.Error.WriteLineAsync($"Error: a runner of queue '{runner.Name}' is running{who}, lock {conflict.File}: stop it first; runners must not take entries while they move").ConfigureAwait(false);
                    return ExitCodes.Failure;
                }

                sliceLocks.Add(taken);
            }

            return await MigrateAsync(environment, to, dryRun, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var held in sliceLocks)
            {
                held.Dispose();
            }
        }
    }

    private static async Task<int> MigrateAsync(CommandEnvironment environment, QueueBackendKind to, bool dryRun, CancellationToken cancellationToken)
    {
        var configuration = environment.Configuration;
        var clock = environment.Services.Clock;
        var configured = configuration.QueueBackend.Backend;

        // Neither back end reads [queues] backend: the other one is built from the same configuration as it stands.
        var from = to == QueueBackendKind.JetStream ? QueueBackendKind.File : QueueBackendKind.JetStream;
        using IQueueBackend other = configured == to
            ? Build(from, configuration, environment.LoggerFactory, clock)
            : Build(to, configuration, environment.LoggerFactory, clock);
        var source = configured == to ? other : environment.Services.Backend;
        var target = configured == to ? environment.Services.Backend : other;

        var jetStream = (JetStreamQueueBackend)(source is JetStreamQueueBackend ? source : target);
        try
        {
            await jetStream.Connection.EnsureOpenAsync(cancellationToken).ConfigureAwait(false);
            if (source == jetStream && await FindRemoteHolderAsync(jetStream, configuration, cancellationToken).ConfigureAwait(false) is { } holder)
            {
                await Console.Error.WriteLineAsync($"Error: {holder}: stop every master that uses these queues (servers {jetStream.Connection.Servers}, prefix {jetStream.Settings.Prefix}) first; runners must not take entries while they move").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        }
        catch (Exception ex) when (ex is QueueBackendUnavailableException or NatsException or TimeoutException)
        {
            await Console.Error.WriteLineAsync($"Error: the JetStream servers cannot be used: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        var logger = environment.LoggerFactory.CreateLogger("RunnerHost.Operations.QueueMigration");
        var report = await new QueueMigration(source, target, clock, logger).RunAsync(dryRun, cancellationToken).ConfigureAwait(false);
        await Console.Out.WriteAsync(ToText(report, dryRun)).ConfigureAwait(false);
        if (configured != to)
        {
            await Console.Out.WriteLineAsync($"note: [queues] backend is {Name(configured)}; set 'backend: {Name(to)}' before starting the master, so that it serves the moved entries").ConfigureAwait(false);
        }

        if (report.StoppedBy is { } stopped)
        {
            await Console.Error.WriteLineAsync($"Error: the move stopped: {stopped}; what was moved stays moved: run the command again to move the rest").ConfigureAwait(false);
        }

        if (!dryRun)
        {
            logger.LogInformation("Moved {Moved} queued entries from the {From} back end to the {To} back end", report.Queues.Sum(q => q.Moved), Name(from), Name(to));
        }

        return report.Complete ? ExitCodes.Success : ExitCodes.Failure;
    }

    // Another host running slices of these streams would take entries mid-move (the locks here are this machine's).
    private static async Task<string?> FindRemoteHolderAsync(JetStreamQueueBackend jetStream, HostConfiguration configuration, CancellationToken cancellationToken)
    {
        foreach (var runner in configuration.Runners.Where(r => r.QueuePath is not null))
        {
            var holders = await jetStream.SliceHoldersAsync(runner.Name, runner.Instances, cancellationToken).ConfigureAwait(false);
            for (int slice = 0; slice < holders.Count; slice++)
            {
                if (holders[slice] is { } holder)
                {
                    return string.Create(CultureInfo.InvariantCulture, $"{holder} holds slice {slice}/{holders.Count} of queue '{runner.Name}'");
                }
            }
        }

        return null;
    }

    private static IQueueBackend Build(QueueBackendKind kind, HostConfiguration configuration, ILoggerFactory loggerFactory, TimeProvider clock) =>
        kind == QueueBackendKind.JetStream
            ? new JetStreamQueueBackend(configuration, loggerFactory, clock)
            : new FileQueueBackend(configuration, loggerFactory, clock);

    private static string Name(QueueBackendKind kind) => kind == QueueBackendKind.JetStream ? JetStreamName : FileName;

    private static string Counts(int moved, int inProgress, int damaged, int notRemoved, int strays, bool dryRun)
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"{(dryRun ? "would move" : "moved")} {moved}, skipped {inProgress} in progress, damaged {damaged}"));
        if (notRemoved > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $", stored but not removed {notRemoved}");
        }

        if (strays > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $", strays left {strays}");
        }

        return text.ToString();
    }
}
