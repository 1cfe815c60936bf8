using System.Globalization;
using RunnerHost.Configuration;
using RunnerHost.Hosting.Configuration;

namespace RunnerHost.Hosting.Diagnostics.Tracing;

/// <summary>Where a runner process sends its spans.</summary>
public enum TracingExporter
{
    /// <summary>No tracer provider: no listener, so no span is ever created (the default).</summary>
    None,

    /// <summary>OpenTelemetry's OTLP exporter.</summary>
    Otlp,
}

/// <summary>The OTLP transport.</summary>
public enum TracingProtocol
{
    /// <summary>OTLP/HTTP with protobuf bodies (POST …/v1/traces).</summary>
    HttpProtobuf,

    /// <summary>OTLP/gRPC.</summary>
    Grpc,
}

/// <summary>
/// The <c>[tracing]</c> section (docs/tracing.md). Read and range-checked at startup, with file and line;
/// which values the standard <c>OTEL_*</c> variables override is <see cref="TracingSetup"/>'s business.
/// </summary>
public sealed record TracingSettings
{
    public const string Section = "tracing";

    /// <summary>The keys allowed in <c>[tracing]</c>.</summary>
    public static IReadOnlyList<string> Keys { get; } = ["exporter", "endpoint", "protocol", "sample_ratio", "service_name"];

    public static TracingSettings Off { get; } = new();

    public TracingExporter Exporter { get; init; } = TracingExporter.None;

    /// <summary>The collector's address; null when the file names none (then the protocol's default, or OTEL_EXPORTER_OTLP_ENDPOINT).</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>Whether <c>protocol</c> was set in the file (an unset one leaves OTEL_EXPORTER_OTLP_PROTOCOL its say).</summary>
    public TracingProtocol? Protocol { get; init; }

    /// <summary>The share of new traces recorded (0 to 1; null when unset: OTEL_TRACES_SAMPLER, else 1); a trace begun elsewhere follows its parent's decision.</summary>
    public double? SampleRatio { get; init; }

    /// <summary>The <c>service.name</c> of the spans; null when unset (OTEL_SERVICE_NAME, else <c>runner-host</c>).</summary>
    public string? ServiceName { get; init; }

    public bool Enabled => Exporter != TracingExporter.None;

    /// <summary>Reads and checks <c>[tracing]</c>; <paramref name="describe"/> names where a key was set.</summary>
    /// <exception cref="ConfigurationException">A value is invalid or a key unknown.</exception>
    public static TracingSettings Read(IReadOnlyDictionary<string, string> values, Func<string, string> describe)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(describe);
        ConfigurationException Invalid(string key, string problem) => ConfigurationException.ForValue(describe(key), Section, key, problem);
        foreach (var key in values.Keys)
        {
            if (!Keys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw Invalid(key, $"unknown key (known: {string.Join(", ", Keys)}){KeySuggestion.Hint(key, Keys)}");
            }
        }

        string? Value(string key) => values.TryGetValue(key, out var value) && value.Trim().Length > 0 ? value.Trim() : null;

        var exporter = Value("exporter")?.ToLowerInvariant() switch
        {
            null or "none" => TracingExporter.None,
            "otlp" => TracingExporter.Otlp,
            var other => throw Invalid("exporter", $"'{other}' is not an exporter (none or otlp)"),
        };
        TracingProtocol? protocol = Value("protocol")?.ToLowerInvariant() switch
        {
            null => null,
            "http/protobuf" or "http" => TracingProtocol.HttpProtobuf,
            "grpc" => TracingProtocol.Grpc,
            var other => throw Invalid("protocol", $"'{other}' is not an OTLP protocol (http/protobuf or grpc)"),
        };
        Uri? endpoint = null;
        if (Value("endpoint") is { } text)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https") || endpoint.Host.Length == 0)
            {
                throw Invalid("endpoint", $"'{text}' is not an http(s) URL such as http://127.0.0.1:4318");
            }
        }

        double? ratio = null;
        if (Value("sample_ratio") is { } ratioText)
        {
            ratio = double.TryParse(ratioText, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) && parsed >= 0 && parsed <= 1
                ? parsed
                : throw Invalid("sample_ratio", $"'{ratioText}' is out of range: a share from 0 to 1, such as 0.25");
        }

        string? service = Value("service_name");
        if (service is not null && (service.Length > 128 || service.Any(char.IsControl)))
        {
            throw Invalid("service_name", "a service name is 1 to 128 characters without control characters");
        }

        return new TracingSettings { Exporter = exporter, Protocol = protocol, Endpoint = endpoint, SampleRatio = ratio, ServiceName = service };
    }
}
