namespace RunnerHost.Hosting.Tests.Tracing;

/// <summary>A minimal protobuf wire reader: enough to walk OTLP's ExportTraceServiceRequest.</summary>
internal static class ProtoWire
{
    /// <summary>The fields of one message, in order: field number, wire type, the varint or fixed value, the bytes of a length-delimited one.</summary>
    public static IEnumerable<(int Field, int Type, ulong Number, ReadOnlyMemory<byte> Bytes)> Fields(ReadOnlyMemory<byte> message)
    {
        int position = 0;
        while (position < message.Length)
        {
            ulong key = Varint(message.Span, ref position);
            int field = (int)(key >> 3);
            int type = (int)(key & 7);
            switch (type)
            {
                case 0:
                    yield return (field, type, Varint(message.Span, ref position), default);
                    break;
                case 1:
                    yield return (field, type, BitConverter.ToUInt64(message.Span.Slice(position, 8)), default);
                    position += 8;
                    break;
                case 2:
                    int length = checked((int)Varint(message.Span, ref position));
                    yield return (field, type, 0, message.Slice(position, length));
                    position += length;
                    break;
                case 5:
                    yield return (field, type, BitConverter.ToUInt32(message.Span.Slice(position, 4)), default);
                    position += 4;
                    break;
                default:
                    throw new FormatException($"wire type {type} at {position}");
            }
        }
    }

    private static ulong Varint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new FormatException("varint too long");
    }
}
