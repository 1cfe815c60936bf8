namespace RunnerHost.Operations;

/// <summary>The host's metrics, offered to plugins (e.g. to serve a <c>/metrics</c> endpoint).</summary>
public interface IMetricsExporter
{
    /// <summary>
    /// The Prometheus text of the whole host, exactly what <c>runner-host metrics</c> prints: the queue
    /// gauges measured now, merged with the last snapshot every runner process and the master wrote to
    /// <c>$var_dir/metrics/*.prom</c> (one HELP/TYPE per family).
    /// </summary>
    /// <param name="cancellationToken">Stops reading the files.</param>
    /// <returns>Prometheus text exposition format 0.0.4, lines ending in <c>\n</c>.</returns>
    Task<string> CollectAsync(CancellationToken cancellationToken = default);
}
