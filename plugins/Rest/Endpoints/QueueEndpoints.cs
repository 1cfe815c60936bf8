using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MimeKit;
using RunnerHost.Inspection;
using RunnerHost.Lists;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Plugins.Rest.Endpoints;

/// <summary><c>/queues</c>: depth and age, entries, one entry, inject, delete.</summary>
internal static class QueueEndpoints
{
    public const string MessageMediaType = "message/rfc822";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/queues", async (IQueueInspector inspector, CancellationToken cancellationToken) =>
        {
            var queues = new List<object>();
            foreach (string name in inspector.QueueNames)
            {
                var summary = await inspector.SummarizeAsync(name, cancellationToken).ConfigureAwait(false);
                queues.Add(new
                {
                    name,
                    depth = summary.Depth,
                    oldestAgeSeconds = summary.OldestAge is { } age ? Math.Round(age.TotalSeconds, 1) : (double?)null,
                    notYetDue = summary.NotYetDue,
                    inProgress = summary.InProgress,
                    nextDue = summary.NextDue,
                    strays = summary.StrayCount,
                    problem = summary.Problem,
                });
            }

            return TypedResults.Ok(queues);
        }).Require(Exposure.Summary);

        app.MapGet("/queues/{name}", async (string name, HttpRequest request, HttpContext http, IQueueInspector inspector, CancellationToken cancellationToken) =>
        {
            if (!inspector.QueueNames.Contains(name, StringComparer.Ordinal))
            {
                return NoSuchQueue(name);
            }

            if (ParseQuery(request) is not { } query)
            {
                return Results.Problem(title: "Bad query", detail: $"offset is 0 or more, limit 1 to {EntryQuery.MaxLimit}, order oldest or newest, state one of {string.Join(", ", Enum.GetValues<EntryState>().Select(StateName))}.", statusCode: StatusCodes.Status400BadRequest);
            }

            var page = await inspector.ListAsync(name, query, cancellationToken).ConfigureAwait(false);
            // A preserved entry's reason can quote an exception message: content, shown with the token only.
            bool withReasons = BearerToken.Check(http, Exposure.Content) is null;
            return Results.Ok(new
            {
                name,
                total = page.Total,
                offset = query.Offset,
                entries = page.Entries.Select(e => new { filebase = e.Id, due = e.Due, state = StateName(e.State), size = e.Size, preservedAt = e.PreservedAt, reason = withReasons ? e.Reason : null }).ToList(),
            });
        }).Require(Exposure.Summary);

        app.MapGet("/queues/{name}/{filebase}", async (string name, string filebase, IQueueInspector inspector, HttpContext http, CancellationToken cancellationToken) =>
        {
            if (Validate(name, filebase, inspector) is { } invalid)
            {
                return invalid;
            }

            // After the name checks (they echo only what the caller sent), before anything about the entry is told.
            if (BearerToken.Check(http, Exposure.Content) is { } denied)
            {
                return denied;
            }

            if (await inspector.ReadAsync(name, filebase, cancellationToken).ConfigureAwait(false) is not { } entry)
            {
                return NoSuchEntry(name, filebase);
            }

            if (entry.Damaged)
            {
                // The same words as qfile: what is damaged, and what could still be read.
                return Results.Problem(
                    title: "Unreadable entry",
                    detail: $"{name}/{filebase}: {string.Join("; ", entry.Problems)}",
                    statusCode: StatusCodes.Status422UnprocessableEntity,
                    extensions: new Dictionary<string, object?>
                    {
                        ["problems"] = entry.Problems,
                        ["kind"] = entry.Kind,
                        ["metadataText"] = entry.MetadataText,
                        ["readableMessageBytes"] = entry.Message?.Length,
                    });
            }

            byte[] message = entry.Message!.Value.ToArray();
            return Results.Ok(new
            {
                queue = name,
                filebase,
                due = entry.Due,
                state = StateName(entry.State),
                metadata = AsJson(entry.Metadata!),
                reason = entry.Reason is { } reason ? AsJson(reason) : (JsonElement?)null,
                // Latin-1 keeps every byte of an 8-bit message as one character; UTF-8 text is shown as UTF-8.
                message = IsUtf8(message) ? Encoding.UTF8.GetString(message) : Encoding.Latin1.GetString(message),
            });
        });

        app.MapPost("/queues/{name}", InjectAsync).RequireToken();

        app.MapDelete("/queues/{name}/{filebase}", async (string name, string filebase, IQueueInspector inspector, CancellationToken cancellationToken) =>
        {
            if (Validate(name, filebase, inspector) is { } invalid)
            {
                return invalid;
            }

            return await inspector.DiscardAsync(name, filebase, cancellationToken).ConfigureAwait(false) switch
            {
                DiscardOutcome.Discarded => Results.NoContent(),
                DiscardOutcome.InProgress => Results.Problem(title: "Entry in progress", detail: $"{name}/{filebase} is being processed by a runner; it cannot be deleted now.", statusCode: StatusCodes.Status409Conflict),
                _ => NoSuchEntry(name, filebase),
            };
        }).RequireToken();
    }

    // Metadata holds JSON values only (strings, numbers, booleans, lists, nested metadata): written by their runtime types.
    internal static JsonElement AsJson(MessageData data) => JsonSerializer.SerializeToElement<IDictionary<string, object?>>(data);

    /// <summary>The state as the API writes it.</summary>
    internal static string StateName(EntryState state) => state switch
    {
        EntryState.Ready => "ready",
        EntryState.DueLater => "later",
        EntryState.InProgress => "taken",
        EntryState.Preserved => "preserved",
        _ => "shunted",
    };

    private static EntryQuery? ParseQuery(HttpRequest request)
    {
        int offset = 0, limit = 100;
        if ((request.Query["offset"].FirstOrDefault() is { } o && (!int.TryParse(o, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out offset)))
            || (request.Query["limit"].FirstOrDefault() is { } l && (!int.TryParse(l, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > EntryQuery.MaxLimit)))
        {
            return null;
        }

        var order = request.Query["order"].FirstOrDefault() switch
        {
            null or "" or "oldest" => EntryOrder.OldestFirst,
            "newest" => EntryOrder.NewestFirst,
            _ => (EntryOrder?)null,
        };
        EntryState? state = null;
        if (request.Query["state"].FirstOrDefault() is { Length: > 0 } wanted)
        {
            state = Enum.GetValues<EntryState>().Where(s => StateName(s) == wanted).Select(s => (EntryState?)s).FirstOrDefault();
            if (state is null)
            {
                return null;
            }
        }

        return order is { } known ? new EntryQuery(offset, limit, known, state) : null;
    }

    private static async Task<IResult> InjectAsync(string name, HttpRequest request, IQueueRegistry queues, IListManager lists, TimeProvider clock, RestOptions options, CancellationToken cancellationToken)
    {
        if (!queues.TryGet(name, out var queue))
        {
            return NoSuchQueue(name);
        }

        if (name == QueueNames.Bad)
        {
            return Results.Problem(title: "Not an injection target", detail: $"Queue '{QueueNames.Bad}' holds preserved entries and takes no new ones; inject into another queue.", statusCode: StatusCodes.Status409Conflict);
        }

        // Refused before the body is read: with 'Expect: 100-continue' (curl's default for large bodies) it is never sent.
        if (request.ContentLength is long declared && declared > options.MaxMessageSize)
        {
            return MessageTooLarge(request, declared, options.MaxMessageSize);
        }

        if (!string.Equals(request.ContentType?.Split(';')[0].Trim(), MessageMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return Results.Problem(title: "Unsupported media type", detail: $"Send the raw RFC 822 message with 'Content-Type: {MessageMediaType}'.", statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        string? listSpec = request.Query["listid"].FirstOrDefault() ?? request.Headers["X-RunnerHost-ListId"].FirstOrDefault();
        if (string.IsNullOrWhiteSpace(listSpec))
        {
            return Results.Problem(title: "Missing list", detail: "Name the list with ?listid=LIST-ID (or a posting address) or the X-RunnerHost-ListId header.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (lists.Find(listSpec.Trim()) is not { } list)
        {
            return Results.Problem(title: "No such list", detail: $"No list '{listSpec}' is configured.", statusCode: StatusCodes.Status404NotFound);
        }

        var metadata = new MessageData { [MessageDataKeys.ListId] = list.ListId };
        foreach (var pair in request.Query["metadata"].Concat(request.Headers["X-RunnerHost-Metadata"]).OfType<string>())
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                return Results.Problem(title: "Bad metadata", detail: $"'{pair}': expected KEY=VALUE.", statusCode: StatusCodes.Status400BadRequest);
            }

            metadata[pair[..equals]] = pair[(equals + 1)..];
        }

        if (await RequestBody.ReadAsync(request, options.MaxMessageSize, cancellationToken).ConfigureAwait(false) is not { } raw)
        {
            return MessageTooLarge(request, null, options.MaxMessageSize);
        }
        if (!LooksLikeMessage(raw))
        {
            return Results.Problem(title: "Not a message", detail: "The body must be an RFC 822 message with at least one header.", statusCode: StatusCodes.Status400BadRequest);
        }

        metadata[MessageDataKeys.OriginalSize] = (long)raw.Length;
        metadata[MessageDataKeys.ReceivedTime] = clock.GetUtcNow();
        string filebase;
        try
        {
            filebase = await queue.EnqueueRawAsync(raw, metadata, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            // The queue cannot store now (a full disk, a queue back end that does not answer): nothing was
            // stored, and the client may try again; the reason is the detail, not an unhandled-error stack.
            return Results.Problem(title: "Cannot store now", detail: ex.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return Results.Created($"/queues/{name}/{filebase}", new { queue = name, filebase });
    }

    /// <summary>Parses the headers: a message MimeKit cannot read, or one without any header, is refused.</summary>
    private static bool LooksLikeMessage(byte[] raw)
    {
        if (raw.Length == 0)
        {
            return false;
        }

        try
        {
            using var stream = new MemoryStream(raw);
            return MimeMessage.Load(stream).Headers.Count > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    internal static IResult? Validate(string name, string filebase, IQueueInspector inspector)
    {
        if (!inspector.QueueNames.Contains(name, StringComparer.Ordinal))
        {
            return NoSuchQueue(name);
        }

        return inspector.IsEntryId(name, filebase, out _)
            ? null
            : Results.Problem(title: "Invalid filebase", detail: $"'{filebase}' is not a queue entry name (<time>+<40 hex digits>).", statusCode: StatusCodes.Status400BadRequest);
    }

    internal static IResult NoSuchQueue(string name) =>
        Results.Problem(title: "No such queue", detail: $"No queue '{name}' is configured.", statusCode: StatusCodes.Status404NotFound);

    private static IResult MessageTooLarge(HttpRequest request, long? size, int limit)
    {
        // The rest of the body is never read, so the connection cannot carry another request: say so, and the client opens a new one.
        request.HttpContext.Response.Headers.Connection = "close";
        return Results.Problem(
            title: "Message too large",
            detail: size is { } known
                ? $"The message is {known} octets and max_message_size is {limit} octets."
                : $"The message is larger than the limit: max_message_size is {limit} octets.",
            statusCode: StatusCodes.Status413PayloadTooLarge);
    }

    private static IResult NoSuchEntry(string name, string filebase) =>
        Results.Problem(title: "No such entry", detail: $"Queue '{name}' has no entry {filebase}.", statusCode: StatusCodes.Status404NotFound);

    private static bool IsUtf8(byte[] bytes)
    {
        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetCharCount(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
