using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace RunnerHost.Plugins.Outgoing;

/// <summary>
/// Sends messages to the smarthost over one SMTP connection kept open across messages, reconnecting
/// when it was dropped. Classifies every recipient as delivered, temporarily failed (4xx, connection
/// trouble) or permanently failed (5xx).
/// </summary>
internal sealed class Delivery(OutgoingOptions options, ILogger logger) : IAsyncDisposable
{
    private readonly RecordingSmtpClient _client = new() { Timeout = (int)options.SmtpTimeout.TotalMilliseconds };

    public async Task<DeliveryResult> SendAsync(MimeMessage message, string sender, IReadOnlyList<string> recipients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        string messageId = message.MessageId ?? "(no Message-ID)";
        using var span = DeliveryTracing.Start(options, messageId, recipients.Count);
        var result = await DeliverAsync(message, messageId, sender, recipients, cancellationToken).ConfigureAwait(false);
        if (span is not null)
        {
            DeliveryTracing.End(span, result);
        }

        return result;
    }

    private async Task<DeliveryResult> DeliverAsync(MimeMessage message, string messageId, string sender, IReadOnlyList<string> recipients, CancellationToken cancellationToken)
    {
        bool reused = _client.IsConnected;
        var attempt = await TrySendAsync(message, sender, recipients, reused, cancellationToken).ConfigureAwait(false);
        if (reused && attempt.Result is null)
        {
            // A kept connection the server closed while it was idle (Postfix closes after smtpd_timeout) is
            // routine: say what happened, then make one fresh attempt. Only that attempt's failure is a failure.
            logger.LogInformation("SMTP connection to {Host}:{Port} {What}; reconnecting to deliver {MessageId}", options.SmtpHost, options.SmtpPort, attempt.Lost, messageId);
            logger.LogDebug("SMTP connection to {Host}:{Port} before the reconnect: {Error}", options.SmtpHost, options.SmtpPort, attempt.Error);
            attempt = await TrySendAsync(message, sender, recipients, reused: false, cancellationToken).ConfigureAwait(false);
        }

        if (attempt.Result is { } result)
        {
            return result;
        }

        logger.LogWarning("SMTP delivery of {MessageId} to {Host}:{Port} failed: {Error}", messageId, options.SmtpHost, options.SmtpPort, attempt.Error);
        return DeliveryResult.AllFailed(recipients, 421, $"{options.SmtpHost}:{options.SmtpPort}: {attempt.Error}");
    }

    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync().ConfigureAwait(false);
        _client.Dispose();
    }

    public async Task DisconnectAsync()
    {
        if (_client.IsConnected)
        {
            try
            {
                await _client.DisconnectAsync(quit: true).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or OperationCanceledException)
            {
                logger.LogDebug("SMTP QUIT failed: {Error}", ex.Message);
            }
        }
    }

    /// <summary>One attempt: a result, or (when the connection failed, so nothing was decided about the recipients) why.</summary>
    private async Task<Attempt> TrySendAsync(MimeMessage message, string sender, IReadOnlyList<string> recipients, bool reused, CancellationToken cancellationToken)
    {
        _client.BeginMessage();
        try
        {
            if (!_client.IsConnected)
            {
                await _client.ConnectAsync(options.SmtpHost, options.SmtpPort, SecureSocketOptions.None, cancellationToken).ConfigureAwait(false);
            }

            await _client.SendAsync(
                message,
                MailboxAddress.Parse(sender),
                recipients.Select(MailboxAddress.Parse),
                cancellationToken).ConfigureAwait(false);
            return new Attempt(new DeliveryResult(_client.Accepted, _client.Refused));
        }
        catch (NoRecipientsAcceptedException)
        {
            await ResetAsync(cancellationToken).ConfigureAwait(false);
            return new Attempt(new DeliveryResult([], _client.Refused));
        }
        catch (SmtpCommandException ex) when (reused && ex.StatusCode is SmtpStatusCode.ServiceNotAvailable or SmtpStatusCode.ServiceClosingTransmissionChannel)
        {
            // 421 (or 221, as some servers say it) on a kept connection: the server closed it after an idle
            // timeout it announced while we waited, and that reply was read as the answer to our command.
            // Nothing was accepted, so a fresh connection may try the whole message again.
            await DisconnectQuietlyAsync().ConfigureAwait(false);
            return new Attempt(null, ex.Message, "closed by the server");
        }
        catch (SmtpCommandException ex)
        {
            // The sender or the message was refused: it applies to every recipient still owed.
            await ResetAsync(cancellationToken).ConfigureAwait(false);
            var owed = recipients.Where(r => !_client.Refused.Any(f => string.Equals(f.Address, r, StringComparison.OrdinalIgnoreCase)));
            return new Attempt(new DeliveryResult([], [.. _client.Refused, .. DeliveryResult.AllFailed(owed, (int)ex.StatusCode, ex.Message).Failures]));
        }
        catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or ServiceNotConnectedException
                                       || (ex is TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await DisconnectQuietlyAsync().ConfigureAwait(false);
            string lost = ex is TimeoutException or OperationCanceledException ? $"did not answer within smtp_timeout ({options.SmtpTimeout})" : "closed by the server";
            return new Attempt(null, ex.Message, lost);
        }
    }

    private async Task ResetAsync(CancellationToken cancellationToken)
    {
        if (!_client.IsConnected)
        {
            // MailKit disconnects by itself after a 421; there is no transaction left to reset.
            return;
        }

        try
        {
            // RSET ends whatever transaction the refusal left open, so the connection can be reused.
            await _client.ResetTransactionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or SmtpCommandException or ServiceNotConnectedException)
        {
            await DisconnectQuietlyAsync().ConfigureAwait(false);
        }
    }

    private async Task DisconnectQuietlyAsync()
    {
        try
        {
            await _client.DisconnectAsync(quit: false).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or OperationCanceledException)
        {
            logger.LogDebug("SMTP disconnect failed: {Error}", ex.Message);
        }
    }

    /// <summary>What one attempt achieved: a result, or the connection error and what became of the connection.</summary>
    private readonly record struct Attempt(DeliveryResult? Result, string? Error = null, string? Lost = null);

    /// <summary>Thrown when the server refused every recipient; the refusals are in <see cref="RecordingSmtpClient.Refused"/>.</summary>
    private sealed class NoRecipientsAcceptedException() : Exception("no recipients accepted");

    /// <summary>Records each recipient's RCPT reply instead of aborting the message at the first refusal.</summary>
    private sealed class RecordingSmtpClient : SmtpClient
    {
        private readonly List<string> _accepted = [];
        private readonly List<RecipientFailure> _refused = [];

        public IReadOnlyList<string> Accepted => [.. _accepted];

        public IReadOnlyList<RecipientFailure> Refused => [.. _refused];

        public void BeginMessage()
        {
            _accepted.Clear();
            _refused.Clear();
        }

        public Task<SmtpResponse> ResetTransactionAsync(CancellationToken cancellationToken) => SendCommandAsync("RSET", cancellationToken);

        protected override void OnRecipientAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
            _accepted.Add(mailbox.Address);

        protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
            _refused.Add(new RecipientFailure(mailbox.Address, (int)response.StatusCode, response.Response));

        protected override void OnNoRecipientsAccepted(MimeMessage message) => throw new NoRecipientsAcceptedException();
    }
}
