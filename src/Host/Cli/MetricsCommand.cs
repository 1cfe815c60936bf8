using System.CommandLine;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Diagnostics;

namespace RunnerHost.Hosting.Cli;

/// <summary>
/// <c>runner-host metrics</c>: Prometheus text on stdout. Queue gauges are measured now from the
/// queue directories; runner counters come from the files the runner processes write to
/// <c>$var_dir/metrics/</c> (their last snapshot, at most 5 s old while they run).
/// </summary>
public static class MetricsCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var command = new Command("metrics", "Print metrics in Prometheus text format: queue depth and age now, runner counters from $var_dir/metrics.");
        command.SetAction((result, cancellationToken) => CommandEnvironment.RunAsync(async () =>
        {
            using var environment = CommandEnvironment.Open(result.GetValue(configOption), VarAccess.ReadOnly);
            var exporter = environment.Services.Metrics;
            string text = await exporter.CollectAsync(cancellationToken).ConfigureAwait(false);
            await Console.Out.WriteAsync(text).ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }
}
