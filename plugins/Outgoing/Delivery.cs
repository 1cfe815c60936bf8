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
        bool reused = _client.IsConnected;
        var result = await TrySendAsync(message, sender, recipients, cancellationToken).ConfigureAwait(false);
        if (reused && result is null)
        {
            // A kept connection may have been closed by the server while idle: one fresh attempt.
            logger.LogDebug("SMTP connection to {Host}:{Port} was dropped; reconnecting", options.SmtpHost, options.SmtpPort);
            result = await TrySendAsync(message, sender, recipients, cancellationToken).ConfigureAwait(false);
        }

        return result ?? DeliveryResult.AllFailed(recipients, 421, _client.LastConnectionError ?? "connection failed");
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

    /// <summary>One attempt; null when the connection failed (so nothing was decided about the recipients).</summary>
    private async Task<DeliveryResult?> TrySendAsync(MimeMessage message, string sender, IReadOnlyList<string> recipients, CancellationToken cancellationToken)
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
            return new DeliveryResult(_client.Accepted, _client.Refused);
        }
        catch (NoRecipientsAcceptedException)
        {
            await ResetAsync(cancellationToken).ConfigureAwait(false);
            return new DeliveryResult([], _client.Refused);
        }
        catch (SmtpCommandException ex)
        {
            // The sender or the message was refused: it applies to every recipient still owed.
            await ResetAsync(cancellationToken).ConfigureAwait(false);
            var owed = recipients.Where(r => !_client.Refused.Any(f => string.Equals(f.Address, r, StringComparison.OrdinalIgnoreCase)));
            return new DeliveryResult([], [.. _client.Refused, .. DeliveryResult.AllFailed(owed, (int)ex.StatusCode, ex.Message).Failures]);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or TimeoutException
                                       || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            _client.LastConnectionError = $"{options.SmtpHost}:{options.SmtpPort}: {ex.Message}";
            logger.LogWarning("SMTP {Host}:{Port} failed: {Error}", options.SmtpHost, options.SmtpPort, ex.Message);
            await DisconnectQuietlyAsync().ConfigureAwait(false);
            return null;
        }
    }

    private async Task ResetAsync(CancellationToken cancellationToken)
    {
        try
        {
            // RSET ends whatever transaction the refusal left open, so the connection can be reused.
            await _client.ResetTransactionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or SmtpCommandException)
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

    /// <summary>Thrown when the server refused every recipient; the refusals are in <see cref="RecordingSmtpClient.Refused"/>.</summary>
    private sealed class NoRecipientsAcceptedException() : Exception("no recipients accepted");

    /// <summary>Records each recipient's RCPT reply instead of aborting the message at the first refusal.</summary>
    private sealed class RecordingSmtpClient : SmtpClient
    {
        private readonly List<string> _accepted = [];
        private readonly List<RecipientFailure> _refused = [];

        public IReadOnlyList<string> Accepted => [.. _accepted];

        public IReadOnlyList<RecipientFailure> Refused => [.. _refused];

        public string? LastConnectionError { get; set; }

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
