using System.Diagnostics;

namespace RunnerHost.Plugins.Lmtp;

/// <summary>
/// The server span of one accepted message per queued entry (docs/tracing.md): the first hop of a post's trace.
/// The host's queues carry the span's context into the entry, so the runner that takes it continues the trace.
/// Nothing is made unless a tracer provider listens.
/// </summary>
internal static class LmtpTracing
{
    public const string SourceName = "RunnerHost.Lmtp";

    private static readonly ActivitySource Source = new(SourceName);

    public static Activity? Start(string messageId, string listId, string queue, string peer)
    {
        var span = Source.StartActivity("lmtp accept", ActivityKind.Server);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("network.protocol.name", "lmtp");
            span.SetTag("client.address", peer);
            span.SetTag("runnerhost.message_id", messageId);
            span.SetTag("runnerhost.list", listId);
            span.SetTag("messaging.destination.name", queue);
        }

        return span;
    }

    public static void Queued(Activity span, string filebase) => span.SetTag("messaging.message.id", filebase);

    public static void Failed(Activity span, Exception error) => span.SetStatus(ActivityStatusCode.Error, error.Message);
}
