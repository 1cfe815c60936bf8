using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace RunnerHost.Plugins.Rest.Health;

/// <summary>
/// <c>/health/live</c> runs no check (the process answers); <c>/health/ready</c> runs the checks tagged
/// <c>ready</c>: var_dir, the queue back end and the master's slices (docs/rest-api.md).
/// </summary>
internal static class HealthChecks
{
    private const string Ready = "ready";

    public static void Add(IServiceCollection services) =>
        services.AddHealthChecks()
            .AddCheck<VarDirHealthCheck>("var_dir", tags: [Ready])
            .AddCheck<QueuesHealthCheck>("queues", tags: [Ready])
            .AddCheck<SlicesHealthCheck>("slices", tags: [Ready]);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = new HealthResponseWriter("live").WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(Ready), ResponseWriter = new HealthResponseWriter("ready").WriteAsync });
    }
}
