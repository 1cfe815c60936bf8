using System.Text;

namespace RunnerHost.Hosting.Tests.Tracing;

/// <summary>One span as an OTLP receiver got it, with the resource (process) that sent it.</summary>
internal sealed record ReceivedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, IReadOnlyDictionary<string, string> Tags, IReadOnlyDictionary<string, string> Resource)
{
    /// <summary>OTLP span kinds.</summary>
    public const int Server = 2, Client = 3, Consumer = 5;

    public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? value : null;

    public override string ToString() => $"{Name} trace={TraceId} span={SpanId} parent={ParentSpanId} instance={Resource.GetValueOrDefault("service.instance.id")}";

    /// <summary>Decodes an ExportTraceServiceRequest: ResourceSpans=1 → (Resource=1, ScopeSpans=2 → Span=2).</summary>
    public static IEnumerable<ReceivedSpan> Decode(ReadOnlyMemory<byte> request)
    {
        foreach (var resourceSpans in ProtoWire.Fields(request).Where(f => f is { Field: 1, Type: 2 }))
        {
            var fields = ProtoWire.Fields(resourceSpans.Bytes).ToList();
            var resource = fields.Where(f => f is { Field: 1, Type: 2 })
                .SelectMany(r => ProtoWire.Fields(r.Bytes).Where(a => a is { Field: 1, Type: 2 }).Select(a => Attribute(a.Bytes)))
                .ToDictionary(a => a.Key, a => a.Value);
            foreach (var scopeSpans in fields.Where(f => f is { Field: 2, Type: 2 }))
            {
                foreach (var span in ProtoWire.Fields(scopeSpans.Bytes).Where(f => f is { Field: 2, Type: 2 }))
                {
                    yield return Span(span.Bytes, resource);
                }
            }
        }
    }

    // Span: trace_id=1, span_id=2, parent_span_id=4, name=5, kind=6, attributes=9.
    private static ReceivedSpan Span(ReadOnlyMemory<byte> bytes, IReadOnlyDictionary<string, string> resource)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        int kind = 0;
        var tags = new Dictionary<string, string>();
        foreach (var field in ProtoWire.Fields(bytes))
        {
            switch (field.Field)
            {
                case 1: traceId = Convert.ToHexStringLower(field.Bytes.Span); break;
                case 2: spanId = Convert.ToHexStringLower(field.Bytes.Span); break;
                case 4: parent = Convert.ToHexStringLower(field.Bytes.Span); break;
                case 5: name = Encoding.UTF8.GetString(field.Bytes.Span); break;
                case 6: kind = (int)field.Number; break;
                case 9:
                    var (key, value) = Attribute(field.Bytes);
                    tags[key] = value;
                    break;
            }
        }

        return new ReceivedSpan(traceId, spanId, parent, name, kind, tags, resource);
    }

    // KeyValue: key=1, value=2 (AnyValue: string_value=1, bool_value=2, int_value=3, double_value=4).
    private static (string Key, string Value) Attribute(ReadOnlyMemory<byte> bytes)
    {
        string key = "", value = "";
        foreach (var field in ProtoWire.Fields(bytes))
        {
            if (field.Field == 1)
            {
                key = Encoding.UTF8.GetString(field.Bytes.Span);
            }
            else if (field.Field == 2)
            {
                foreach (var any in ProtoWire.Fields(field.Bytes))
                {
                    value = any.Type == 2 ? Encoding.UTF8.GetString(any.Bytes.Span) : any.Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        return (key, value);
    }
}
