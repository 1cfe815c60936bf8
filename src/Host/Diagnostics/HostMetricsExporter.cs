using RunnerHost.Hosting.Configuration;
using RunnerHost.Inspection;
using RunnerHost.Operations;

namespace RunnerHost.Hosting.Diagnostics;

/// <summary>
/// The Prometheus text of the whole host: queue gauges measured now (meter <c>RunnerHost.Queues</c>)
/// merged with every <c>$var_dir/metrics/*.prom</c> the runner processes and the master wrote. The
/// <c>metrics</c> command prints it; plugins get it as <see cref="IMetricsExporter"/>.
/// </summary>
public sealed class HostMetricsExporter(HostConfiguration configuration, IQueueInspector inspector) : IMetricsExporter
{
    // The export listens to the queue meter by name, so two collections at once in one process would
    // see each other's gauges: they take turns.
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);

    public async Task<string> CollectAsync(CancellationToken cancellationToken = default)
    {
        var texts = new List<string> { await QueueGaugesAsync(cancellationToken).ConfigureAwait(false) };
        string directory = MetricsFileWriter.DirectoryOf(configuration.Paths.VarDir);
        if (Directory.Exists(directory))
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*.prom").Order(StringComparer.Ordinal))
            {
                try
                {
                    texts.Add(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false));
                }
                catch (FileNotFoundException)
                {
                    // A runner process removed its file meanwhile.
                }
            }
        }

        return PrometheusText.Merge(texts);
    }

    private async Task<string> QueueGaugesAsync(CancellationToken cancellationToken)
    {
        await OneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var queues = new QueueMetrics(inspector);
            using var export = new PrometheusExport(QueueMetrics.MeterName);
            return await export.CollectAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            OneAtATime.Release();
        }
    }
}
