using System.Globalization;
using Microsoft.Extensions.Logging;
using MimeKit;
using RunnerHost.Configuration;
using RunnerHost.Lists;
using RunnerHost.Messages;

namespace RunnerHost.Plugins.Retry;

/// <summary>
/// The <c>retry</c> queue's runner. Entries arrive with a not-before time (the switchboard keeps them
/// out of every pass until due, and the runner sleeps until the earliest one), so a due entry simply
/// goes back to <c>out</c>. An entry whose first delivery attempt is older than
/// <c>delivery_retry_period</c> (default 5d) is shunted with the reason recorded.
/// Settings: <c>delivery_retry_period</c>, <c>out_queue</c> (<c>out</c>).
/// </summary>
[RunnerSetting("delivery_retry_period", "out_queue")]
public sealed class RetryRunner(RunnerContext context) : Runner(context)
{
    protected override async Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(metadata);
        var period = Settings.GetDuration("delivery_retry_period", TimeSpan.FromDays(5));
        string outQueue = Settings.GetString("out_queue") is { Length: > 0 } configured ? configured : "out";
        var now = Clock.GetUtcNow();
        if (FirstAttempt(metadata) is { } first && now - first > period)
        {
            // Thrown from dispose: the base runner shunts the entry with this message in its error record.
            throw new DeliveryExpiredException(
                $"Delivery of {message.MessageId} to {string.Join(", ", Recipients(metadata))} gave up: first attempt {first:O}, " +
                $"delivery_retry_period {period} passed after {metadata.GetString("deliver_attempts") ?? "?"} attempt(s); last error: {metadata.GetString("last_error") ?? "(none)"}");
        }

        metadata.Remove(MessageDataKeys.NotBefore);
        string filebase = await Queues[outQueue].EnqueueAsync(message, metadata, cancellationToken: cancellationToken).ConfigureAwait(false);
        Logger.LogInformation("{Runner} {MessageId} due again: back to {Queue} as {Filebase}", Identity, message.MessageId, outQueue, filebase);
        return false;
    }

    private static DateTimeOffset? FirstAttempt(MessageData metadata) =>
        DateTimeOffset.TryParse(metadata.GetString("first_attempt"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var first) ? first : null;

    private static IEnumerable<string> Recipients(MessageData metadata) =>
        metadata.TryGetValue("recipients", out var value) && value is IEnumerable<object?> list ? list.OfType<string>() : [];
}

/// <summary>The retry period ran out before the message could be delivered.</summary>
public sealed class DeliveryExpiredException(string message) : Exception(message);
