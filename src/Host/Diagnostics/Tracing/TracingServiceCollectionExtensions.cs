using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace RunnerHost.Hosting.Diagnostics.Tracing;

/// <summary>The tracer provider of a runner process (a .NET Generic Host, <see cref="Processes.RunnerProcessHost"/>).</summary>
public static class TracingServiceCollectionExtensions
{
    /// <summary>Adds OpenTelemetry tracing as <c>[tracing]</c> says; nothing with tracing off. The host's shutdown flushes the spans.</summary>
    public static IServiceCollection AddRunnerHostTracing(this IServiceCollection services, TracingSettings settings, LogIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(identity);
        if (!settings.Enabled)
        {
            return services;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource => TracingSetup.DescribeProcess(resource, settings, identity))
            .WithTracing(builder => TracingSetup.Configure(builder, settings));
        return services;
    }
}
