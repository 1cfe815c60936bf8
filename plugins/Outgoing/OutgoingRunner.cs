using Microsoft.Extensions.Logging;
using MimeKit;
using RunnerHost.Configuration;
using RunnerHost.Lists;
using RunnerHost.Messages;

namespace RunnerHost.Plugins.Outgoing;

/// <summary>
/// The <c>out</c> queue's runner: delivers each entry over SMTP to its <c>recipients</c> with the
/// list's <c>-bounces</c> address as envelope sender. Recipients refused with 5xx are recorded in
/// <c>failed_recipients</c> and logged; those refused with 4xx, or all of them when the server cannot
/// be reached, go to the <c>retry</c> queue with a not-before time that backs off exponentially.
/// Settings: docs/mail-flow.md.
/// </summary>
[RunnerSetting("smtp_host", "smtp_port", "smtp_timeout", "retry_backoff", "retry_backoff_max", "retry_queue")]
public sealed class OutgoingRunner(RunnerContext context) : Runner(context), IAsyncDisposable
{
    private OutgoingOptions? _options;
    private Delivery? _delivery;

    protected override async Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailingList);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(metadata);
        var options = _options ??= OutgoingOptions.Read(Settings);
        var delivery = _delivery ??= new Delivery(options, Logger);
        var recipients = DeliveryMetadata.Recipients(metadata);
        if (recipients.Count == 0)
        {
            Logger.LogWarning("{Runner} {MessageId} for {List} has no recipients; nothing to deliver", Identity, message.MessageId, mailingList.ListId);
            return false;
        }

        var now = Clock.GetUtcNow();
        if (!metadata.ContainsKey(DeliveryMetadata.FirstAttempt))
        {
            metadata[DeliveryMetadata.FirstAttempt] = now;
        }

        long attempts = (metadata.TryGetInt64(DeliveryMetadata.Attempts, out var previous) ? previous : 0) + 1;
        metadata[DeliveryMetadata.Attempts] = attempts;

        var result = await delivery.SendAsync(message, BounceAddress(mailingList), recipients, cancellationToken).ConfigureAwait(false);
        if (result.Delivered.Count > 0)
        {
            Logger.LogInformation("{Runner} delivered {MessageId} for {List} to {Count} recipient(s) via {Host}:{Port}", Identity, message.MessageId, mailingList.ListId, result.Delivered.Count, options.SmtpHost, options.SmtpPort);
        }

        foreach (var failure in result.Permanent)
        {
            Logger.LogWarning("{Runner} {MessageId} for {List}: {Recipient} refused permanently: {Code} {Reply}", Identity, message.MessageId, mailingList.ListId, failure.Address, failure.Code, failure.Reply);
            DeliveryMetadata.AddFailure(metadata, failure);
        }

        var owed = result.Temporary.ToList();
        if (owed.Count == 0)
        {
            return false;
        }

        var notBefore = now + options.Backoff(attempts);
        metadata[DeliveryMetadata.RecipientList] = owed.Select(f => f.Address).ToList();
        metadata[DeliveryMetadata.LastError] = $"{owed[0].Code} {owed[0].Reply}";
        if (options.RetryQueue.Length > 0 && Queues.TryGet(options.RetryQueue, out var retry))
        {
            string filebase = await retry.EnqueueAsync(message, metadata, notBefore: notBefore, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            Logger.LogWarning("{Runner} {MessageId} for {List}: {Count} recipient(s) temporarily failed ({Error}); retry {Filebase} due {Due:O}", Identity, message.MessageId, mailingList.ListId, owed.Count, metadata[DeliveryMetadata.LastError], filebase, notBefore);
            return false;
        }

        // No retry queue configured: keep the entry in this queue until the same due time.
        metadata.NotBefore = notBefore;
        return true;
    }

    protected override async Task CleanUpAsync(CancellationToken cancellationToken)
    {
        if (_delivery is { } delivery)
        {
            await delivery.DisconnectAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_delivery is { } delivery)
        {
            _delivery = null;
            await delivery.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The list's <c>-bounces</c> address, where delivery failures come back to.</summary>
    private static string BounceAddress(IMailingList list)
    {
        int at = list.PostingAddress.LastIndexOf('@');
        return at < 0 ? $"{list.PostingAddress}-bounces" : $"{list.PostingAddress[..at]}-bounces{list.PostingAddress[at..]}";
    }
}
