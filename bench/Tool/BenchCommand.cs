using System.CommandLine;
using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Cli;
using RunnerHost.Hosting.Queues;

namespace RunnerHost.Bench;

/// <summary>
/// <c>runner-host-bench switchboard|latency|drain</c>: end-to-end queue benchmarks on a throw-away
/// var directory under the temp directory (no configuration file needed; <c>switchboard --backend
/// jetstream</c> also on throw-away nats-server processes unless given <c>--servers</c>);
/// <c>runner-host-bench cold-start|restart|rss</c>: a real master (<c>runner-host start</c>) on a
/// throw-away configuration (cold-start and rss: or a copy of <c>--config</c> with its ports and
/// var_dir rewritten). See docs/benchmarks.md.
/// </summary>
public static class BenchCommand
{
    /// <summary>The six scenarios, the subcommands of the tool's root.</summary>
    /// <param name="configOption">The root's <c>--config</c>: cold-start and rss run that configuration's runners when it is given.</param>
    public static IReadOnlyList<Command> Create(Option<string?> configOption) =>
    [
        Switchboard(),
        Latency(),
        Drain(),
        ColdStart(configOption),
        Restart(),
        Rss(configOption),
    ];

    private static Command Switchboard()
    {
        var messages = new Option<int>("--messages", "-n") { Description = "Messages in all.", DefaultValueFactory = _ => 2000 };
        var producers = new Option<int>("--producers", "-p") { Description = "Concurrent producer threads.", DefaultValueFactory = _ => 1 };
        var noFsync = NoFsyncOption();
        var backend = new Option<string>("--backend")
        {
            Description = "Queue back end: file, or jetstream (through [queues] as a runner uses it).",
            DefaultValueFactory = _ => "file",
        };
        backend.AcceptOnlyFromAmong("file", "jetstream");
        var servers = new Option<string?>("--servers")
        {
            Description = "JetStream: NATS URLs, comma-separated (default: a throw-away nats-server, or a three-node loopback cluster with --replicas 3, started for the run).",
        };
        var replicas = new Option<int>("--replicas") { Description = "JetStream: stream replicas (1 or 3 for a throw-away server; 1-5 with --servers).", DefaultValueFactory = _ => 1 };
        var commit = new Option<string>("--commit")
        {
            Description = "File back end: [queues] commit, journal (a journal record and one fdatasync) or fsync (file and directory fsync).",
            DefaultValueFactory = _ => "journal",
        };
        commit.AcceptOnlyFromAmong("journal", "fsync");
        var json = JsonOption();
        var command = new Command("switchboard", "Round trip: producers enqueue, one runner (no-op dispose) dequeues and finishes.")
        {
            messages, producers, noFsync, backend, servers, replicas, commit, json,
        };
        command.SetAction((result, cancellationToken) => RunAsync(result, json, async scenarios =>
        {
            int count = Positive(result.GetValue(messages), "--messages");
            int writers = Positive(result.GetValue(producers), "--producers");
            var chosen = ChooseBackend(result, backend, servers, replicas, noFsync);
            if (chosen.Kind == Hosting.Configuration.QueueBackendKind.File)
            {
                chosen = chosen with { Commit = result.GetValue(commit) == "fsync" ? QueueCommit.Fsync : QueueCommit.Journal };
            }

            return [await scenarios.SwitchboardAsync(count, writers, chosen, cancellationToken).ConfigureAwait(false)];
        }));
        return command;
    }

    private static BenchBackend ChooseBackend(ParseResult result, Option<string> backend, Option<string?> servers, Option<int> replicas, Option<bool> noFsync)
    {
        bool jetStream = string.Equals(result.GetValue(backend), "jetstream", StringComparison.OrdinalIgnoreCase);
        bool replicasGiven = result.GetResult(replicas) is { Implicit: false };
        string? serverList = result.GetValue(servers);
        if (!jetStream)
        {
            return serverList is not null || replicasGiven
                ? throw new UsageException("--servers and --replicas apply to --backend jetstream")
                : BenchBackend.Files(!result.GetValue(noFsync));
        }

        if (result.GetValue(noFsync))
        {
            throw new UsageException("--no-fsync applies to the file back end (the JetStream file store does not fsync each message; replicas make an entry durable)");
        }

        int count = result.GetValue(replicas);
        if (serverList is null)
        {
            return count is 1 or 3
                ? BenchBackend.JetStream(null, count)
                : throw new UsageException($"--replicas {count}: a throw-away server has 1 node or a cluster of 3; give --servers for other sizes");
        }

        if (count is < 1 or > 5)
        {
            throw new UsageException($"--replicas {count} is out of range: JetStream keeps 1 to 5 replicas of a stream");
        }

        var urls = serverList.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls") || uri.Host.Length == 0)
            {
                throw new UsageException($"--servers: '{url}' is not a NATS URL such as nats://127.0.0.1:4222");
            }
        }

        return urls.Length > 0
            ? BenchBackend.JetStream(urls, count)
            : throw new UsageException("--servers: no server URL given (for example nats://127.0.0.1:4222)");
    }

    private static Command Latency()
    {
        var messages = new Option<int>("--messages", "-n") { Description = "Messages, sent one at a time.", DefaultValueFactory = _ => 200 };
        var pause = new Option<int>("--pause-ms") { Description = "Idle time before each message (ms).", DefaultValueFactory = _ => 20 };
        var noFsync = NoFsyncOption();
        var json = JsonOption();
        var command = new Command("latency", "Enqueue-to-dispose latency (p50/p99) with an idle runner woken by the notifier.")
        {
            messages, pause, noFsync, json,
        };
        command.SetAction((result, cancellationToken) => RunAsync(result, json, async scenarios =>
        {
            int count = Positive(result.GetValue(messages), "--messages");
            var idle = TimeSpan.FromMilliseconds(Math.Max(0, result.GetValue(pause)));
            return [await scenarios.LatencyAsync(count, !result.GetValue(noFsync), idle, cancellationToken).ConfigureAwait(false)];
        }));
        return command;
    }

    private static Command Drain()
    {
        var backlog = new Option<int[]>("--backlog", "-b")
        {
            Description = "Backlog size (repeatable); one result line each.",
            DefaultValueFactory = _ => [1000],
            AllowMultipleArgumentsPerToken = true,
        };
        var parse = new Option<bool>("--parse")
        {
            Description = "The runner reads the parsed message (pays the MIME parse), as a runner that edits or inspects messages does; without it, it only moves bytes.",
        };
        var json = JsonOption();
        var command = new Command("drain", "Time for one runner to drain a pre-filled backlog, per message.") { backlog, parse, json };
        command.SetAction((result, cancellationToken) => RunAsync(result, json, async scenarios =>
        {
            var results = new List<BenchResult>();
            foreach (int size in result.GetValue(backlog) ?? [1000])
            {
                results.Add(await scenarios.DrainAsync(Positive(size, "--backlog"), result.GetValue(parse), cancellationToken).ConfigureAwait(false));
            }

            return results;
        }));
        return command;
    }

    private static Command ColdStart(Option<string?> configOption)
    {
        var runners = RunnersOption(5);
        var repeats = new Option<int>("--repeats") { Description = "Masters started one after the other.", DefaultValueFactory = _ => 3 };
        var json = JsonOption();
        var command = new Command("cold-start", "Time from starting a master until its status shows every runner slice running (min/median/max).")
        {
            runners, repeats, json,
        };
        command.SetAction((result, cancellationToken) => RunAsync(result, json, async _ =>
            [await MasterScenarios.ColdStartAsync(Positive(result.GetValue(runners), "--runners"), Positive(result.GetValue(repeats), "--repeats"), ConfigFile(result, configOption), cancellationToken).ConfigureAwait(false)]));
        return command;
    }

    private static Command Restart()
    {
        var kills = new Option<int>("--kills", "-k") { Description = "SIGKILLs of the runner child, one after the other.", DefaultValueFactory = _ => 5 };
        var json = JsonOption();
        var command = new Command("restart", "Time from SIGKILL of a runner child until the master shows it running again with a new pid (restart_backoff 0.1s).")
        {
            kills, json,
        };
        command.SetAction((result, cancellationToken) => RunAsync(result, json, async _ =>
            [await MasterScenarios.RestartAsync(Positive(result.GetValue(kills), "--kills"), cancellationToken).ConfigureAwait(false)]));
        return command;
    }

    private static Command Rss(Option<string?> configOption)
    {
        var runners = RunnersOption(6);
        var settle = new Option<int>("--settle-ms") { Description = "Wait after every slice is running before reading VmRSS (ms).", DefaultValueFactory = _ => 2000 };
        var json = JsonOption();
        var command = new Command("rss", "VmRSS of the master and of each runner process (MB), with N runner slices started.")
        {
            runners, settle, json,
        };
        command.SetAction((result, cancellationToken) => RunAsync(result, json, async _ =>
            [await MasterScenarios.RssAsync(Positive(result.GetValue(runners), "--runners"), TimeSpan.FromMilliseconds(Math.Max(0, result.GetValue(settle))), ConfigFile(result, configOption), cancellationToken).ConfigureAwait(false)]));
        return command;
    }

    private static Option<int> RunnersOption(int defaultValue) =>
        new("--runners", "-r") { Description = "Runner sections (MaildirArchiveRunner, isolation process), one slice each; ignored with --config, whose runners run instead.", DefaultValueFactory = _ => defaultValue };

    // Only the command line's --config (never RUNNER_HOST_CONFIG): a benchmark runs on throw-away archive runners unless told otherwise.
    private static string? ConfigFile(ParseResult result, Option<string?> configOption) =>
        result.GetValue(configOption) is { Length: > 0 } file
            ? File.Exists(file) ? Path.GetFullPath(file) : throw new UsageException($"--config: no such file: {file}")
            : null;

    private static Option<bool> NoFsyncOption() => new("--no-fsync") { Description = "Enqueue without fsync of file and directory." };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON line per result." };

    private static int Positive(int value, string option) =>
        value > 0 ? value : throw new UsageException($"{option} must be at least 1");

    private static Task<int> RunAsync(ParseResult result, Option<bool> json, Func<BenchScenarios, Task<IReadOnlyList<BenchResult>>> scenario) =>
        CommandEnvironment.RunAsync(async () =>
        {
            // Warnings and errors only, to stderr: stdout carries the results.
            using var loggerFactory = LoggerFactory.Create(b => b
                .SetMinimumLevel(LogLevel.Warning)
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            foreach (var line in await scenario(new BenchScenarios(loggerFactory)).ConfigureAwait(false))
            {
                await Console.Out.WriteLineAsync(result.GetValue(json) ? line.ToJson() : line.ToText()).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
}
