using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MimeKit;
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
        app.MapGet("/queues", (QueueFiles files, TimeProvider clock) =>
        {
            var now = clock.GetUtcNow();
            return TypedResults.Ok(files.Names.Select(name =>
            {
                var items = files.List(files.Find(name)!);
                var due = items.Where(i => i.Due <= now).ToList();
                return new
                {
                    name,
                    depth = items.Count,
                    oldestAgeSeconds = due.Count == 0 ? (double?)null : Math.Round((now - due.Min(i => i.Due)).TotalSeconds, 1),
                };
            }).ToList());
        }).Require(Exposure.Summary);

        app.MapGet("/queues/{name}", (string name, QueueFiles files) =>
            files.Find(name) is not { } queue
                ? NoSuchQueue(name)
                : Results.Ok(new
                {
                    name,
                    entries = files.List(queue).Select(i => new { filebase = i.Filebase, due = i.Due, state = i.State }).ToList(),
                })).Require(Exposure.Summary);

        app.MapGet("/queues/{name}/{filebase}", async (string name, string filebase, QueueFiles files, HttpContext http, CancellationToken cancellationToken) =>
        {
            if (Validate(name, filebase, files) is { } invalid)
            {
                return invalid;
            }

            // After the name checks (they echo only what the caller sent), before anything about the entry is told.
            if (BearerToken.Check(http, Exposure.Content) is { } denied)
            {
                return denied;
            }

            if (await files.ReadAsync(name, filebase, cancellationToken).ConfigureAwait(false) is not { } content)
            {
                return NoSuchEntry(name, filebase);
            }

            if (content.Problem is { } problem)
            {
                return Results.Problem(title: "Unreadable entry", detail: $"{name}/{filebase}: {problem}", statusCode: StatusCodes.Status422UnprocessableEntity);
            }

            return Results.Ok(new
            {
                queue = name,
                filebase,
                due = files.DueTime(filebase),
                state = content.State,
                metadata = content.Metadata,
                // Latin-1 keeps every byte of an 8-bit message as one character; UTF-8 text is shown as UTF-8.
                message = IsUtf8(content.Message!) ? Encoding.UTF8.GetString(content.Message!) : Encoding.Latin1.GetString(content.Message!),
            });
        });

        app.MapPost("/queues/{name}", InjectAsync).RequireToken();

        app.MapDelete("/queues/{name}/{filebase}", async (string name, string filebase, QueueFiles files, CancellationToken cancellationToken) =>
        {
            if (Validate(name, filebase, files) is { } invalid)
            {
                return invalid;
            }

            var queue = files.Find(name)!;
            if (!queue.GetFiles(QueueFiles.ReadyExtension(name)).Contains(filebase))
            {
                return queue.GetFiles(".bak").Contains(filebase)
                    ? Results.Problem(title: "Entry in progress", detail: $"{name}/{filebase} is being processed by a runner; it cannot be deleted now.", statusCode: StatusCodes.Status409Conflict)
                    : NoSuchEntry(name, filebase);
            }

            // Taking the entry first (an atomic rename) means a runner cannot pick it up while it is deleted;
            // finishing it then removes the taken file, so nothing (.pck or .bak) is left.
            try
            {
                await queue.DequeueAsync(filebase, cancellationToken).ConfigureAwait(false);
            }
            catch (QueueEntryNotFoundException)
            {
                return NoSuchEntry(name, filebase);
            }
            catch (QueueEntryCorruptException)
            {
                // Unreadable entries are deleted all the same.
            }

            await queue.FinishAsync(filebase, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            return Results.NoContent();
        }).RequireToken();
    }

    private static async Task<IResult> InjectAsync(string name, HttpRequest request, QueueFiles files, IListManager lists, TimeProvider clock, RestOptions options, CancellationToken cancellationToken)
    {
        if (files.Find(name) is not { } queue)
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
        string filebase = await queue.EnqueueRawAsync(raw, metadata, cancellationToken: cancellationToken).ConfigureAwait(false);
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

    internal static IResult? Validate(string name, string filebase, QueueFiles files)
    {
        if (!files.IsFilebase(filebase))
        {
            return Results.Problem(title: "Invalid filebase", detail: $"'{filebase}' is not a queue entry name (<time>+<40 hex digits>).", statusCode: StatusCodes.Status400BadRequest);
        }

        return files.Find(name) is null ? NoSuchQueue(name) : null;
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
