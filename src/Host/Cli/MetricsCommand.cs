using System.CommandLine;
using RunnerHost.Host.Diagnostics;

namespace RunnerHost.Host.Cli;

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
            using var environment = CommandEnvironment.Open(result.GetValue(configOption));
            using var queues = new QueueMetrics(environment.Configuration, environment.Services.Clock);
            string own;
            using (var export = new PrometheusExport(QueueMetrics.MeterName))
            {
                own = await export.CollectAsync(cancellationToken).ConfigureAwait(false);
            }

            var texts = new List<string> { own };
            string directory = MetricsFileWriter.DirectoryOf(environment.Configuration.Paths.VarDir);
            if (Directory.Exists(directory))
            {
                foreach (var file in Directory.EnumerateFiles(directory, "*.prom").Order(StringComparer.Ordinal))
                {
                    texts.Add(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false));
                }
            }

            await Console.Out.WriteAsync(PrometheusText.Merge(texts)).ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }
}
