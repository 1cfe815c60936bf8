using System.Text;
using MimeKit;
using RunnerHost.Inspection;
using RunnerHost.Messages;

namespace RunnerHost.Plugins.Rest.Dashboard;

/// <summary>
/// One entry as its page shows it: headers, metadata (the error record included) and the body as
/// text. Nothing of the message is ever rendered as HTML: an HTML part is shown as its source text.
/// </summary>
public sealed record EntryView(EntryInspection Entry, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body, bool BodyTruncated, string? ParseProblem)
{
    /// <summary>The most of a body a page shows.</summary>
    public const int MaxBodyChars = 64 * 1024;

    public static EntryView Of(EntryInspection entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Message is not { Length: > 0 } bytes)
        {
            return new EntryView(entry, [], string.Empty, false, entry.Damaged ? "the message could not be read" : null);
        }

        try
        {
            using var stream = new MemoryStream(bytes.ToArray(), writable: false);
            var message = MimeMessage.Load(stream);
            var headers = message.Headers.Select(h => new KeyValuePair<string, string>(h.Field, h.Value)).ToList();
            string body = message.TextBody ?? message.HtmlBody ?? RawBody(bytes);
            return Limit(entry, headers, body, null);
        }
        catch (FormatException ex)
        {
            return Limit(entry, [], Encoding.UTF8.GetString(bytes.Span), $"not a parseable message ({ex.Message}); shown as raw text");
        }
    }

    private static string RawBody(ReadOnlyMemory<byte> bytes)
    {
        string text = Encoding.UTF8.GetString(bytes.Span);
        int split = text.IndexOf("\n\n", StringComparison.Ordinal) is var lf and >= 0 ? lf + 2 : text.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var crlf and >= 0 ? crlf + 4 : 0;
        return text[split..];
    }

    private static EntryView Limit(EntryInspection entry, IReadOnlyList<KeyValuePair<string, string>> headers, string body, string? problem) =>
        body.Length > MaxBodyChars
            ? new EntryView(entry, headers, body[..MaxBodyChars], true, problem)
            : new EntryView(entry, headers, body, false, problem);

    /// <summary>The metadata as indented JSON (as stored when it did not parse).</summary>
    public string MetadataJson => Entry.Metadata is { } metadata
        ? System.Text.Json.JsonSerializer.Serialize(Endpoints.QueueEndpoints.AsJson(metadata), IndentedForPage)
        : Entry.MetadataText ?? string.Empty;

    // Razor escapes the page's text, so the JSON need not escape HTML characters as well (it would show "\u003C" for "<").
    private static readonly System.Text.Json.JsonSerializerOptions IndentedForPage = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The error record of a shunted entry, one line per field (the stack shown on its own).</summary>
    public IEnumerable<KeyValuePair<string, string>> ErrorLines =>
        Entry.Error is { } error
            ? error.Keys.Where(k => k != ErrorRecordKeys.Stack).Order(StringComparer.Ordinal).Select(k => new KeyValuePair<string, string>(k, error.GetString(k) ?? "null"))
            : [];
}
