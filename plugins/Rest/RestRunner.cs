using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Operations;

namespace RunnerHost.Plugins.Rest;

/// <summary>
/// The HTTP API (ASP.NET Core minimal APIs on Kestrel): a runner without a queue. It serves once
/// started; the stop lets requests in progress finish. Queues are read through the host's inspection
/// surface; shunt replay and metrics are the host's own, taken as services (docs/plugins.md).
/// Endpoints and settings: docs/rest-api.md.
/// </summary>
[RunnerSetting("rest_host", "rest_port", "api_token", "allow_unauthenticated_remote", "var_dir", "queue_dir")]
public sealed class RestRunner(RunnerContext context, IShuntReplay shuntReplay, IMetricsExporter metrics, IPluginDirectory plugins) : ServiceRunner(context)
{
    private RestServer? _server;

    protected override async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = RestOptions.Read(Settings);
        if (options.AllowUnauthenticatedRemote && options.ListensBeyondLoopback)
        {
            Logger.LogWarning(
                "{Runner} REST API on {Host} serves queue summaries, runners and metrics to any peer without api_token (allow_unauthenticated_remote: yes); entry content and changes still need the token",
                Identity,
                options.Host);
        }

        var server = new RestServer(options, Queues, Inspector, Lists, Clock, shuntReplay, metrics, plugins, Logger);
        await server.StartAsync(cancellationToken).ConfigureAwait(false);
        _server = server;
        Logger.LogInformation("{Runner} REST API listening on {Address}", Identity, server.Address);
    }

    protected override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { } server)
        {
            _server = null;
            await server.DisposeAsync().ConfigureAwait(false);
            Logger.LogInformation("{Runner} REST API stopped", Identity);
        }
    }
}
