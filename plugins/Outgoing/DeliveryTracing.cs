using System.Diagnostics;

namespace RunnerHost.Plugins.Outgoing;

/// <summary>The client span of one SMTP delivery (docs/tracing.md); nothing is made unless a tracer provider listens.</summary>
internal static class DeliveryTracing
{
    public const string SourceName = "RunnerHost.Outgoing";

    private static readonly ActivitySource Source = new(SourceName);

    public static Activity? Start(OutgoingOptions options, string messageId, int recipients)
    {
        var span = Source.StartActivity("smtp send", ActivityKind.Client);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("server.address", options.SmtpHost);
            span.SetTag("server.port", options.SmtpPort);
            span.SetTag("runnerhost.message_id", messageId);
            span.SetTag("runnerhost.recipients", recipients);
        }

        return span;
    }

    public static void End(Activity span, DeliveryResult result)
    {
        span.SetTag("runnerhost.delivered", result.Delivered.Count);
        span.SetTag("runnerhost.failed", result.Failures.Count);
        string outcome = result.Failures.Count == 0 ? "delivered" : result.Delivered.Count == 0 ? "failed" : "partial";
        span.SetTag("runnerhost.result", outcome);
        if (result.Delivered.Count == 0)
        {
            span.SetStatus(ActivityStatusCode.Error, result.Failures.Count > 0 ? $"{result.Failures[0].Code} {result.Failures[0].Reply}" : outcome);
        }
    }
}
