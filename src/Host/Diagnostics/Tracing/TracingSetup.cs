using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace RunnerHost.Hosting.Diagnostics.Tracing;

/// <summary>
/// The tracer provider of a runner process: listens to <see cref="TraceSources.Listened"/> and the REST requests, and exports over OTLP as
/// <c>[tracing]</c> says. The keys the file sets win; the ones it leaves unset are the standard <c>OTEL_*</c>
/// variables' (the SDK reads them itself when nothing is set in code), then the built-in defaults.
/// </summary>
public static class TracingSetup
{
    /// <summary>What a runner process's tracer provider is made of: sources, sampler and exporter.</summary>
    internal static TracerProviderBuilder Configure(TracerProviderBuilder builder, TracingSettings settings)
    {
        builder.AddSource([.. TraceSources.Listened]);
        RestRequestTracing.Add(builder);
        if (settings.SampleRatio is { } ratio || !IsSet("OTEL_TRACES_SAMPLER"))
        {
            // Parent-based: a post sampled at LMTP is recorded at every hop, one that was not is recorded at none.
            builder.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(settings.SampleRatio ?? 1.0)));
        }

        return builder.AddOtlpExporter(options => ConfigureExporter(options, settings));
    }

    /// <summary>The resource every span of this process names: service, instance (machine, runner slice, pid) and the runner.</summary>
    internal static ResourceBuilder DescribeProcess(ResourceBuilder resource, TracingSettings settings, LogIdentity identity)
    {
        string instance = $"{Environment.MachineName}/{identity.Source}/{identity.ProcessId}";
        if (settings.ServiceName is not null || !IsSet("OTEL_SERVICE_NAME"))
        {
            resource.AddService(settings.ServiceName ?? "runner-host", serviceInstanceId: instance, autoGenerateServiceInstanceId: false);
        }

        var attributes = new Dictionary<string, object>
        {
            ["service.instance.id"] = instance,
            ["process.pid"] = (long)identity.ProcessId,
            ["host.name"] = Environment.MachineName,
        };
        if (identity.Runner is not null)
        {
            attributes["runnerhost.runner"] = identity.Runner;
            attributes["runnerhost.slice"] = identity.Slice ?? "0/1";
        }

        return resource.AddAttributes(attributes);
    }

    private static void ConfigureExporter(OtlpExporterOptions options, TracingSettings settings)
    {
        bool endpointFromEnvironment = settings.Endpoint is null && (IsSet("OTEL_EXPORTER_OTLP_ENDPOINT") || IsSet("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
        if (settings.Protocol is { } protocol)
        {
            options.Protocol = protocol == TracingProtocol.Grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        }
        else if (!IsSet("OTEL_EXPORTER_OTLP_PROTOCOL") && !IsSet("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
        {
            options.Protocol = OtlpExportProtocol.HttpProtobuf;
        }

        if (endpointFromEnvironment)
        {
            return;
        }

        bool grpc = options.Protocol == OtlpExportProtocol.Grpc;
        var endpoint = settings.Endpoint ?? new Uri(grpc ? "http://127.0.0.1:4317" : "http://127.0.0.1:4318");

        // A collector's base address in code is taken as is by the exporter; OTLP/HTTP wants the signal's path.
        options.Endpoint = !grpc && endpoint.AbsolutePath is "/" or ""
            ? new Uri(endpoint, "v1/traces")
            : endpoint;
    }

    private static bool IsSet(string variable) => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable));
}
