using System.CommandLine;
using Microsoft.Extensions.Logging;
using RunnerHost.Host.Benchmarks;

namespace RunnerHost.Host.Cli;

/// <summary>
/// <c>runner-host bench switchboard|latency|drain</c>: end-to-end queue benchmarks on a throw-away
/// var directory under the temp directory (no configuration file needed). See docs/benchmarks.md.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmark the file queues and the runner loop on a throw-away var directory.");
        command.Subcommands.Add(Switchboard());
        command.Subcommands.Add(Latency());
        command.Subcommands.Add(Drain());
        return command;
    }

    private static Command Switchboard()
    {
        var messages = new Option<int>("--messages", "-n") { Description = "Messages in all.", DefaultValueFactory = _ => 2000 };
        var producers = new Option<int>("--producers", "-p") { Description = "Concurrent producer threads.", DefaultValueFactory = _ => 1 };
        var noFsync = NoFsyncOption();
        var json = JsonOption();
        var command = new Command("switchboard", "Round trip: producers enqueue, one runner (no-op dispose) dequeues and finishes.")
        {
            messages, producers, noFsync, json,
        };
        command.SetAction((result, cancellationToken) => RunAsync(result, json, async scenarios =>
        {
            int count = Positive(result.GetValue(messages), "--messages");
            int writers = Positive(result.GetValue(producers), "--producers");
            return [await scenarios.SwitchboardAsync(count, writers, !result.GetValue(noFsync), cancellationToken).ConfigureAwait(false)];
        }));
        return command;
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
        var json = JsonOption();
        var command = new Command("drain", "Time for one runner to drain a pre-filled backlog, per message.") { backlog, json };
        command.SetAction((result, cancellationToken) => RunAsync(result, json, async scenarios =>
        {
            var results = new List<BenchResult>();
            foreach (int size in result.GetValue(backlog) ?? [1000])
            {
                results.Add(await scenarios.DrainAsync(Positive(size, "--backlog"), cancellationToken).ConfigureAwait(false));
            }

            return results;
        }));
        return command;
    }

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
