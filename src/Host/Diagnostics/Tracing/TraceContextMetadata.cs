using System.Diagnostics;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Diagnostics.Tracing;

/// <summary>
/// The W3C trace context an entry carries in its metadata (<c>traceparent</c>, <c>tracestate</c>), from the hop
/// that enqueued it to the one that processes it, on every queue back end (docs/tracing.md).
/// </summary>
public static class TraceContextMetadata
{
    /// <summary>The W3C <c>traceparent</c> of the span that enqueued the entry.</summary>
    public const string TraceParent = "traceparent";

    /// <summary>Its W3C <c>tracestate</c>, when it had one.</summary>
    public const string TraceState = "tracestate";

    // W3C caps tracestate at 32 members of at most 256 characters; anything longer is not a trace state.
    private const int MaxTraceStateLength = 8192;

    // A traceparent is 55 characters in version 00; later versions may append fields, but not kilobytes.
    private const int MaxTraceParentLength = 512;

    private static readonly DistributedContextPropagator Propagator = DistributedContextPropagator.CreateW3CPropagator();

    /// <summary>Writes the context of <paramref name="activity"/> into <paramref name="metadata"/>, replacing the one of an earlier hop.</summary>
    public static void Inject(Activity activity, MessageData metadata)
    {
        ArgumentNullException.ThrowIfNull(activity);
        ArgumentNullException.ThrowIfNull(metadata);
        metadata.Remove(TraceState);
        Propagator.Inject(activity, metadata, static (carrier, key, value) =>
        {
            // Only the context itself: baggage stays out of the queue files.
            if (carrier is MessageData data && key is TraceParent or TraceState && value is not null)
            {
                data[key] = value;
            }
        });
    }

    /// <summary>
    /// Reads the context an entry carries. False when there is none, or when what is there is not a valid
    /// W3C context (<paramref name="malformed"/> then says so): the entry then starts a new trace.
    /// </summary>
    public static bool TryExtract(MessageData metadata, out ActivityContext context, out bool malformed)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        context = default;
        malformed = false;
        if (!metadata.TryGetValue(TraceParent, out var value) || value is null)
        {
            return false;
        }

        if (value is not string { Length: > 0 and <= MaxTraceParentLength })
        {
            malformed = true;
            return false;
        }

        Propagator.ExtractTraceIdAndState(
            metadata,
            static (carrier, name, out fieldValue, out fieldValues) =>
            {
                fieldValues = null;
                fieldValue = null;
                if (carrier is MessageData data && name is TraceParent or TraceState && data.TryGetValue(name, out var field)
                    && field is string { Length: > 0 } text && text.Length <= (name == TraceParent ? MaxTraceParentLength : MaxTraceStateLength))
                {
                    fieldValue = text;
                }
            },
            out var traceParent,
            out var traceState);
        if (traceParent is null || !ActivityContext.TryParse(traceParent, traceState, isRemote: true, out context))
        {
            malformed = true;
            context = default;
            return false;
        }

        return true;
    }
}
