using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RunnerHost.Operations;

namespace RunnerHost.Plugins.Rest.Endpoints;

/// <summary>
/// <c>/metrics</c>: Prometheus text, the host's own (<see cref="IMetricsExporter"/>, what
/// <c>runner-host metrics</c> prints): queue gauges measured now, merged with the last snapshot each
/// runner process and the master wrote to <c>$var_dir/metrics/*.prom</c>.
/// </summary>
internal static class MetricsEndpoints
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/metrics", async (IMetricsExporter metrics, CancellationToken cancellationToken) =>
            Results.Text(await metrics.CollectAsync(cancellationToken).ConfigureAwait(false), ContentType)).Require(Exposure.Summary);
}
