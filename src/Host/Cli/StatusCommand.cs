using System.CommandLine;
using System.Globalization;
using System.Text;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Inspection;

namespace RunnerHost.Hosting.Cli;

/// <summary>
/// <c>runner-host status [--json]</c>: the master and every runner slice, from the status file the
/// master rewrites every second, plus each slice's queue depth and oldest entry read from its directory
/// and the shunt queue's depth (in the header line and as <c>shuntDepth</c> in JSON).
/// Exit codes (docs/cli.md): 0 not running, 1 running with every slice running, 2 running with some
/// slice not running (failed, in backoff, waiting, starting, stopping, or the status unknown or stale).
/// </summary>
public static class StatusCommand
{
    public const int NotRunning = 0;
    public const int Running = 1;
    public const int SomeSliceNotRunning = 2;

    /// <summary>A status file older than this means the master may be hung.</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(10);

    public static Command Create(Option<string?> configOption)
    {
        var jsonOption = new Option<bool>("--json") { Description = "Print the status as one JSON object (the same keys whether the master runs or not)." };
        var command = new Command("status", "Show whether the master runs and the state of every runner slice (exit 0 not running, 1 every slice running, 2 some slice not running).") { jsonOption };
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(() => RunAsync(result.GetValue(configOption), result.GetValue(jsonOption), cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(string? configFile, bool json, CancellationToken cancellationToken)
    {
        using var environment = CommandEnvironment.Open(configFile, VarAccess.ReadOnly);
        var paths = MasterPaths.From(environment.Configuration.Paths);
        var client = new MasterClient(paths);
        int? pid = await client.FindAsync(cancellationToken).ConfigureAwait(false);
        var snapshot = pid is null ? null : StatusSnapshot.TryRead(paths.StatusFile);
        if (snapshot is not null && snapshot.MasterPid != pid)
        {
            snapshot = null; // left by an earlier master
        }

        // Summaries only (no entry is opened), so status stays fast with a large shunt queue.
        var summaries = new Dictionary<string, QueueSummary>(StringComparer.Ordinal);
        foreach (string name in environment.Services.Inspector.QueueNames)
        {
            summaries[name] = await environment.Services.Inspector.SummarizeAsync(name, cancellationToken).ConfigureAwait(false);
        }

        int shuntDepth = summaries.TryGetValue(RunnerHost.Queues.QueueNames.Shunt, out var shunt) ? shunt.Slices.Sum(s => s.Waiting) : 0;
        if (snapshot is not null)
        {
            snapshot = WithQueues(snapshot, summaries) with { ShuntDepth = shuntDepth };
        }

        var settings = environment.Configuration.QueueBackend;
        var backend = new QueueBackendState(
            settings.Backend == QueueBackendKind.JetStream ? "jetstream" : "file",
            settings.Backend == QueueBackendKind.JetStream ? settings.Servers : [],
            settings.Backend == QueueBackendKind.JetStream ? summaries.Values.Select(s => s.Problem).FirstOrDefault(p => p is not null) : null);
        var now = DateTimeOffset.UtcNow;
        var strays = new SortedDictionary<string, int>(summaries.Where(s => s.Value.StrayCount > 0).ToDictionary(s => s.Key, s => s.Value.StrayCount), StringComparer.Ordinal);
        if (json)
        {
            await Console.Out.WriteLineAsync((StatusReport.Of(pid, snapshot, shuntDepth, strays) with { QueueBackend = backend }).ToJson()).ConfigureAwait(false);
        }
        else
        {
            await Console.Out.WriteAsync((pid is null ? "RunnerHost is not running\n" : Format(pid.Value, snapshot, now)) + BackendLine(backend, settings.HostName) + StrayLine(strays)).ConfigureAwait(false);
        }

        return ExitCode(pid, snapshot, now);
    }

    /// <summary>1 only when a fresh status shows every slice running and the master not stopping.</summary>
    internal static int ExitCode(int? pid, StatusSnapshot? snapshot, DateTimeOffset now) =>
        pid is null ? NotRunning
        : snapshot is { Stopping: false } && now - snapshot.UpdatedAt <= StaleAfter && snapshot.Slices.All(s => s.State == SliceState.Running) ? Running
        : SomeSliceNotRunning;

    // Files need no line; a distributed back end says where it is, which host this is, and whether it answers.
    private static string BackendLine(QueueBackendState backend, string hostName) => backend.Backend == "file"
        ? string.Empty
        : $"Queue back end: JetStream at {string.Join(", ", backend.Servers)} (this host: {hostName}){(backend.Problem is { } problem ? $"; UNAVAILABLE: {problem}" : string.Empty)}\n";

    private static string StrayLine(SortedDictionary<string, int> strays) => strays.Count == 0
        ? string.Empty
        : "STRAY: files no runner processes: " + string.Join(", ", strays.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {s.Value}"))) + " ('runner-host queues' names them)\n";

    private static StatusSnapshot WithQueues(StatusSnapshot snapshot, Dictionary<string, QueueSummary> summaries)
    {
        var now = DateTimeOffset.UtcNow;
        var slices = snapshot.Slices.Select(s =>
        {
            // The slice's own share of its queue, when the summary has that many slices (the master's instances).
            if (!summaries.TryGetValue(s.Runner, out var summary) || summary.Slices.Count != s.Count || s.QueueDirectory is null || summary.Problem is not null)
            {
                return s;
            }

            var slice = summary.Slices[s.Slice];
            return s with { QueueDepth = slice.Waiting, OldestEntryAgeSeconds = slice.OldestWaiting is { } o ? Math.Max(0, (now - o).TotalSeconds) : null };
        });
        return snapshot with { Slices = [.. slices] };
    }

    private static string Format(int pid, StatusSnapshot? snapshot, DateTimeOffset now)
    {
        var text = new StringBuilder();
        if (snapshot is null)
        {
            text.Append(CultureInfo.InvariantCulture, $"RunnerHost is running (master pid {pid}); no runner status yet\n");
            return text.ToString();
        }

        var age = now - snapshot.UpdatedAt;
        text.Append(CultureInfo.InvariantCulture, $"RunnerHost is running (master pid {pid}, up {Duration(now - snapshot.MasterStartedAt)}){(snapshot.Stopping ? ", stopping" : string.Empty)}; shunt queue: {Entries(snapshot.ShuntDepth ?? 0)}\n");
        if (age > StaleAfter)
        {
            text.Append(CultureInfo.InvariantCulture, $"Warning: the status is {Duration(age)} old; the master may be hung\n");
        }

        string[] header = ["RUNNER", "SLICE", "ISOLATION", "STATE", "PID", "UPTIME", "RESTARTS", "QUEUE", "OLDEST", "LAST EXIT"];
        var rows = new List<string[]> { header };
        rows.AddRange(snapshot.Slices.Select(s => new[]
        {
            s.Runner,
            $"{s.Slice}/{s.Count}",
            s.Isolation,
            State(s, now),
            s.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-",
            s.StartedAt is { } started ? Duration(now - started) : "-",
            $"{s.RestartsInWindow}/{s.MaxRestarts}",
            s.QueueDepth?.ToString(CultureInfo.InvariantCulture) ?? "-",
            s.OldestEntryAgeSeconds is { } oldest ? Duration(TimeSpan.FromSeconds(oldest)) : "-",
            s.State == SliceState.Waiting ? Waiting(s, snapshot.MasterPid) : s.FailureReason ?? s.LastExit ?? "-",
        }));
        int[] widths = [.. Enumerable.Range(0, header.Length).Select(i => rows.Max(r => r[i].Length))];
        foreach (var row in rows)
        {
            text.Append(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd()).Append('\n');
        }

        // A deployment that did not load leaves the slice running its previous version: say so below the table.
        foreach (var s in snapshot.Slices.Where(s => s.PluginError is not null))
        {
            text.Append(CultureInfo.InvariantCulture, $"{s.Runner} {s.Slice}/{s.Count}: plugin reload failed, still running {s.Plugin} {s.PluginVersion}: {s.PluginError}\n");
        }

        return text.ToString();
    }

    private static string State(SliceStatus slice, DateTimeOffset now) => (slice.State, slice.NextStartAt) switch
    {
        (SliceState.Backoff, { } next) => $"backoff ({Duration(next - now)})",
        (SliceState.Failed, { } retry) => $"failed (retry in {Duration(retry - now)})",
        var (state, _) => state.ToString().ToLowerInvariant(),
    };

    private static string Waiting(SliceStatus slice, int masterPid) => slice.WaitingFor ?? slice.WaitingForPid switch
    {
        { } holder when holder == masterPid => string.Create(CultureInfo.InvariantCulture, $"waiting for its previous instance (pid {holder}: an abandoned thread of this master) to exit"),
        { } holder => string.Create(CultureInfo.InvariantCulture, $"waiting for its previous instance (pid {holder}) to exit"),
        null => "waiting for its previous instance (or an overlapping slice) to exit",
    };

    private static string Entries(int count) => count == 1 ? "1 entry" : string.Create(CultureInfo.InvariantCulture, $"{count} entries");

    /// <summary>A short age: <c>45s</c>, <c>3m05s</c>, <c>2h07m</c>, <c>3d04h</c>.</summary>
    internal static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        return span.TotalSeconds < 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalSeconds}s")
            : span.TotalMinutes < 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m{span.Seconds:00}s")
            : span.TotalHours < 24 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h{span.Minutes:00}m")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays}d{span.Hours:00}h");
    }
}
