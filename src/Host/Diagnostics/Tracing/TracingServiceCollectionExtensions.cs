using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace RunnerHost.Host.Diagnostics.Tracing;

/// <summary>The same tracer provider as <see cref="TracingSetup.Start"/>, for a runner process built on the .NET Generic Host.</summary>
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
