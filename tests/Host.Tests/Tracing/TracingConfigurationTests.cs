using RunnerHost.Configuration;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Diagnostics.Tracing;
using RunnerHost.Hosting.Tests.Configuration;

namespace RunnerHost.Hosting.Tests.Tracing;

/// <summary>The <c>[tracing]</c> section: off by default, every value range-checked with its file and line.</summary>
public sealed class TracingConfigurationTests
{
    private TempConfigDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempConfigDirectory();

    [TearDown]
    public void TearDown() => _dir.Delete();

    [Test]
    public void Tracing_is_off_by_default()
    {
        var file = _dir.Write("[runner.in]\nclass: A\n");

        var tracing = ConfigurationStack.Load(file).Build().Tracing;

        Assert.That(tracing.Enabled, Is.False);
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection()
            .AddRunnerHostTracing(tracing, new RunnerHost.Hosting.Diagnostics.LogIdentity("in:0/1", "in", "0/1", Environment.ProcessId));
        Assert.That(services, Is.Empty, "no tracer provider, so no listener");
    }

    [Test]
    public void The_keys_are_read_in_mailman_syntax()
    {
        var file = _dir.Write("[tracing]\nexporter: OTLP\nendpoint: https://collector.example.com:4318\nprotocol: grpc\nsample_ratio: 0.25\nservice_name: lists\n");

        var tracing = ConfigurationStack.Load(file).Build().Tracing;

        Assert.That(tracing, Is.EqualTo(new TracingSettings
        {
            Exporter = TracingExporter.Otlp,
            Endpoint = new Uri("https://collector.example.com:4318"),
            Protocol = TracingProtocol.Grpc,
            SampleRatio = 0.25,
            ServiceName = "lists",
        }));
    }

    [TestCase("exporter: jaeger", 2, "exporter: 'jaeger' is not an exporter (none or otlp)")]
    [TestCase("sample_ratio: 1.5", 3, "sample_ratio: '1.5' is out of range: a share from 0 to 1, such as 0.25")]
    [TestCase("sample_ratio: NaN", 3, "sample_ratio: 'NaN' is out of range: a share from 0 to 1, such as 0.25")]
    [TestCase("endpoint: ftp://x", 3, "endpoint: 'ftp://x' is not an http(s) URL such as http://127.0.0.1:4318")]
    [TestCase("protocol: http/json", 3, "protocol: 'http/json' is not an OTLP protocol (http/protobuf or grpc)")]
    [TestCase("sample_rate: 0.5", 3, "sample_rate: unknown key (known: exporter, endpoint, protocol, sample_ratio, service_name); did you mean `sample_ratio`?")]
    public void A_bad_value_is_one_error_naming_file_and_line(string line, int lineNumber, string problem)
    {
        string text = line.StartsWith("exporter", StringComparison.Ordinal) ? $"[tracing]\n{line}\n" : $"[tracing]\nexporter: otlp\n{line}\n";
        var file = _dir.Write(text);

        var error = Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(file).Build())!;

        Assert.That(error.Message, Is.EqualTo($"{file}:{lineNumber}: [tracing] {problem}"));
    }
}
