using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Queues;

/// <summary>
/// <see cref="MessageData"/> ⇄ JSON without the reflection serialiser. Integers are written without a
/// fraction and read back as <see cref="long"/>; doubles always carry a fraction or exponent
/// (<c>2.0</c>) so their type survives the round trip. Key order is preserved.
/// </summary>
public static class MetadataJson
{
    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = 64 };

    // The files are read by people and tools, never embedded in HTML: keep '+', '<', quotes readable.
    private static readonly JsonWriterOptions WriteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Serialises metadata as a UTF-8 JSON object.</summary>
    public static byte[] Serialize(MessageData metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriteOptions))
        {
            WriteObject(writer, metadata);
        }

        return buffer.ToArray();
    }

    /// <summary>Parses a UTF-8 JSON object; throws <see cref="JsonException"/> when it is not valid JSON, not an object, or holds text that is not UTF-8.</summary>
    public static MessageData Deserialize(ReadOnlyMemory<byte> json)
    {
        using var document = JsonDocument.Parse(json, ReadOptions);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"expected a JSON object, found {document.RootElement.ValueKind}");
        }

        return ReadObject(document.RootElement);
    }

    private static void WriteObject(Utf8JsonWriter writer, MessageData data)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in data)
        {
            writer.WritePropertyName(key);
            WriteValue(writer, value);
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d when double.IsFinite(d):
                writer.WriteRawValue(QueueFileName.FormatTime(d), skipInputValidation: true);
                break;
            case double d:
                // JSON has no NaN or infinity; keep the information as text rather than failing the enqueue.
                writer.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                break;
            case MessageData nested:
                WriteObject(writer, nested);
                break;
            case IEnumerable<object?> list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"Metadata cannot hold a value of type {value.GetType().FullName}.", nameof(value));
        }
    }

    private static MessageData ReadObject(JsonElement element)
    {
        var data = new MessageData(element.GetPropertyCount() + 2);
        foreach (var property in element.EnumerateObject())
        {
            string name;
            try
            {
                name = property.Name;
            }
            catch (InvalidOperationException ex)
            {
                throw NotUtf8("a key", ex);
            }

            data[name] = ReadValue(property.Value, name);
        }

        return data;
    }

    private static object? ReadValue(JsonElement element, string key) => element.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => ReadString(element, key),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => ReadNumber(element, key),
        JsonValueKind.Object => ReadObject(element),
        JsonValueKind.Array => ReadArray(element, key),
        _ => throw new JsonException($"unexpected JSON value kind {element.ValueKind}"),
    };

    // Apart from ReadValue: a lambda there made every value allocate its closure, array or not.
    private static List<object?> ReadArray(JsonElement element, string key)
    {
        var items = new List<object?>(element.GetArrayLength());
        foreach (var item in element.EnumerateArray())
        {
            items.Add(ReadValue(item, key));
        }

        return items;
    }

    // JsonDocument checks structure, not the UTF-8 inside strings; decoding one that is invalid throws
    // InvalidOperationException. Every reader must see that as damage, with what is damaged named.
    private static string? ReadString(JsonElement element, string key)
    {
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException ex)
        {
            throw NotUtf8($"the value of '{key}'", ex);
        }
    }

    private static JsonException NotUtf8(string what, Exception inner) => new($"{what} is not valid UTF-8", inner);

    private static object ReadNumber(JsonElement element, string key)
    {
        // The raw bytes, not GetRawText: a string per number only to look for a point.
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element);
        bool integral = raw.IndexOfAny(".eE"u8) < 0;
        if (integral && element.TryGetInt64(out long l))
        {
            return l; // Boxed apart from the double: a conditional of long and double would widen the long.
        }

        return element.TryGetDouble(out double d) && double.IsFinite(d)
            ? d
            : throw new JsonException($"the value of '{key}' is a number out of range ({raw.Length} characters)");
    }
}
