using NATS.Client.Core;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>One message as the stream holds it: where, its sequence, its bytes and headers.</summary>
public sealed record StoredMessage(string Subject, ulong Sequence, byte[] Data, NatsHeaders? Headers)
{
    /// <summary>A header's first value, or null.</summary>
    public string? Header(string name) =>
        Headers is { } headers && headers.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;
}
