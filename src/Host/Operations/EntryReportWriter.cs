using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using RunnerHost.Hosting.Messages;
using RunnerHost.Hosting.Queues;
using RunnerHost.Inspection;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Operations;

/// <summary>Renders <see cref="EntryInspection"/>s for people (sections) and machines (a JSON array), as <c>qfile</c> and <c>bad show</c> print them.</summary>
public static class EntryReportWriter
{
    private static readonly JsonWriterOptions JsonOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The human form: file facts, problems, metadata (Mailman's dump format), the error record, the message, the reason.</summary>
    /// <param name="report">The entry.</param>
    /// <param name="where">Where it is: the file for <c>qfile</c>, <c>QUEUE/ID</c> otherwise.</param>
    /// <param name="now">For the due time's distance.</param>
    public static string ToText(EntryInspection report, string where, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(report);
        var content = report;
        var text = new StringBuilder();
        text.Append("File: ").Append(where).Append('\n');
        text.Append("Kind: ").Append(report.Kind).Append('\n');
        if (report.Due is { } due)
        {
            // A kept-queued entry waits until the time in its name; say when, and how long that is from now.
            string when = due > now ? $"in {Cli.StatusCommand.Duration(due - now)}" : "due now";
            text.Append(CultureInfo.InvariantCulture, $"Due: {due:yyyy-MM-dd'T'HH:mm:ss.fff'Z'} ({when})\n");
        }
        else if (report.NameProblem is { } nameProblem)
        {
            text.Append("Name: ").Append(nameProblem).Append('\n');
        }

        text.Append(CultureInfo.InvariantCulture, $"Size: {report.Size} bytes\n");
        text.Append("Format: ").Append(DescribeFormat(content)).Append('\n');
        if (report.Damaged)
        {
            text.Append("DAMAGED:\n");
            foreach (var problem in content.Problems)
            {
                text.Append("  - ").Append(problem).Append('\n');
            }

            text.Append("Readable: ").Append(DescribeReadable(content)).Append('\n');
        }

        text.Append("[----- metadata -----]\n");
        if (content.Metadata is { } metadata)
        {
            text.Append(MetadataDump.Format(metadata, MessageDataKeys.Error));
        }
        else
        {
            text.Append(content.MetadataText is { Length: > 0 } raw ? $"(unparsed) {raw}\n" : "(none)\n");
        }

        if (report.Error is { } error)
        {
            text.Append("[----- error -----]\n");
            AppendError(text, error);
        }

        text.Append("[----- message -----]\n");
        if (content.Message is { } message)
        {
            string body = Encoding.UTF8.GetString(message.Span);
            text.Append(body);
            if (body.Length > 0 && body[^1] != '\n')
            {
                text.Append('\n');
            }
        }
        else
        {
            text.Append("(none)\n");
        }

        if (report.Reason is not null || report.ReasonProblem is not null)
        {
            text.Append("[----- reason -----]\n");
            text.Append(report.Reason is { } reason ? MetadataDump.Format(reason) : report.ReasonProblem + "\n");
        }

        text.Append("[----- end -----]\n");
        return text.ToString();
    }

    /// <summary>A JSON array with one object per report.</summary>
    public static string ToJson(IEnumerable<(EntryInspection Report, string Where)> reports, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(reports);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartArray();
            foreach (var (report, where) in reports)
            {
                WriteReport(json, report, where, now);
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteReport(Utf8JsonWriter json, EntryInspection report, string where, DateTimeOffset now)
    {
        var content = report;
        json.WriteStartObject();
        json.WriteString("file", where);
        json.WriteString("kind", report.Kind);
        if (report.Due is { } due)
        {
            json.WriteString("due", due.ToString("O", CultureInfo.InvariantCulture));
            json.WriteBoolean("due_now", due <= now);
        }
        else
        {
            json.WriteNull("due");
            json.WriteString("name_problem", report.NameProblem);
        }

        json.WriteNumber("size", report.Size);
        json.WriteBoolean("damaged", report.Damaged);
        json.WriteStartArray("problems");
        foreach (var problem in content.Problems)
        {
            json.WriteStringValue(problem);
        }

        json.WriteEndArray();
        WriteNullableNumber(json, "version", content.FormatVersion);
        WriteNullableNumber(json, "metadata_length", content.MetadataLength);
        WriteNullableNumber(json, "message_length", content.MessageLength);
        json.WriteBoolean("checksum_valid", content.ChecksumValid);
        json.WritePropertyName("metadata");
        if (content.Metadata is { } metadata)
        {
            json.WriteRawValue(MetadataJson.Serialize(metadata), skipInputValidation: true);
        }
        else
        {
            json.WriteNullValue();
            json.WriteString("metadata_text", content.MetadataText);
        }

        if (content.Message is { } message)
        {
            string raw = Encoding.UTF8.GetString(message.Span);
            var (headers, body) = MessageText.Split(raw);
            json.WriteStartObject("message");
            json.WriteNumber("bytes", message.Length);
            json.WriteStartArray("headers");
            foreach (var (name, value) in headers)
            {
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteString("value", value);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("body", body);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("message");
        }

        json.WritePropertyName("reason");
        if (report.Reason is { } reason)
        {
            json.WriteRawValue(MetadataJson.Serialize(reason), skipInputValidation: true);
        }
        else
        {
            json.WriteNullValue();
        }

        if (report.ReasonProblem is { } reasonProblem)
        {
            json.WriteString("reason_problem", reasonProblem);
        }

        json.WriteEndObject();
    }

    private static void WriteNullableNumber(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void AppendError(StringBuilder text, MessageData error)
    {
        // The stack is multi-line: shown last, indented, so the one-line fields stay aligned above it.
        var keys = error.Keys.Where(k => k != ErrorRecordKeys.Stack).ToList();
        int width = keys.Count == 0 ? 0 : keys.Max(k => k.Length);
        foreach (var key in keys)
        {
            text.Append(key.PadRight(width)).Append(": ").Append(MetadataDump.Render(error[key])).Append('\n');
        }

        if (error.GetString(ErrorRecordKeys.Stack) is { } stack)
        {
            text.Append("stack:\n");
            foreach (var line in stack.Split('\n'))
            {
                text.Append("    ").Append(line.TrimEnd('\r')).Append('\n');
            }
        }
    }

    private static string DescribeFormat(EntryInspection content) => content.FormatVersion switch
    {
        null => "unknown (no readable header)",
        { } version when content.MetadataLength is null => string.Create(CultureInfo.InvariantCulture, $"{QueueFileFormat.Magic} version {version}"),
        { } version => string.Create(
            CultureInfo.InvariantCulture,
            $"{QueueFileFormat.Magic} version {version}, metadata {content.MetadataLength} bytes, message {content.MessageLength} bytes, checksum {(content.ChecksumValid ? "ok" : "NOT verified")}"),
    };

    private static string DescribeReadable(EntryInspection content)
    {
        var parts = new List<string> { content.FormatVersion is null ? "no header" : "header" };
        if (content.Metadata is not null)
        {
            parts.Add("metadata");
        }
        else if (content.MetadataText is { Length: > 0 } raw)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{Encoding.UTF8.GetByteCount(raw)} of {content.MetadataLength} metadata bytes (unparsed)"));
        }

        if (content.Message is { } message)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{message.Length} of {content.MessageLength} message bytes"));
        }

        return string.Join(", ", parts);
    }
}
