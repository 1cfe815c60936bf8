using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using MimeKit;
using MimeKit.Utils;
using RunnerHost.Messages;
using RunnerHost.Plugins.Lmtp.Protocol;
using RunnerHost.Queues;

namespace RunnerHost.Plugins.Lmtp;

/// <summary>
/// One LMTP conversation (RFC 2033). Commands are handled strictly in order; replies are buffered and
/// flushed when no pipelined input is waiting. After DATA there is one reply per accepted recipient,
/// each sent only once that recipient's entry is durably enqueued.
/// </summary>
internal sealed class Session
{
    private readonly Stream _stream;
    private readonly LineReader _reader;
    private readonly LmtpOptions _options;
    private readonly RecipientRouter _router;
    private readonly IQueueRegistry _queues;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly string _peer;
    private readonly ArrayBufferWriter<byte> _output = new();
    private readonly List<Route> _recipients = [];
    private bool _greeted;
    private string? _sender;
    private int _errors;

    public Session(Stream stream, LmtpOptions options, RecipientRouter router, IQueueRegistry queues, TimeProvider clock, ILogger logger, string peer)
    {
        _stream = stream;
        _reader = new LineReader(stream);
        _options = options;
        _router = router;
        _queues = queues;
        _clock = clock;
        _logger = logger;
        _peer = peer;
    }

    /// <summary>
    /// Runs the conversation. <paramref name="shutdown"/> ends it between commands (421);
    /// <paramref name="abort"/> ends it anywhere.
    /// </summary>
    public async Task RunAsync(CancellationToken shutdown, CancellationToken abort)
    {
        await SendNowAsync($"220 {Environment.MachineName} RunnerHost LMTP server ready", abort).ConfigureAwait(false);
        while (true)
        {
            if (!_reader.HasBufferedData)
            {
                await FlushAsync(abort).ConfigureAwait(false);
            }

            var (status, line, ending) = await ReadAsync(shutdown, abort).ConfigureAwait(false);
            if (ending is not null)
            {
                await SendNowAsync(ending, abort).ConfigureAwait(false);
                return;
            }

            if (status == LineStatus.End)
            {
                return;
            }

            if (status == LineStatus.TooLong)
            {
                Send(Reply.LineTooLong);
            }
            else if (!await HandleAsync(CommandLine.Parse(line), shutdown, abort).ConfigureAwait(false))
            {
                await FlushAsync(abort).ConfigureAwait(false);
                return;
            }

            if (_errors >= _options.MaxErrors)
            {
                await SendNowAsync(Reply.TooManyErrors, abort).ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>
    /// Reads a line; returns a closing reply instead when idle too long, shutting down, or past
    /// <paramref name="deadline"/> (the DATA phase's whole-message limit).
    /// </summary>
    private async Task<(LineStatus Status, byte[] Line, string? Ending)> ReadAsync(CancellationToken shutdown, CancellationToken abort, CancellationToken deadline = default)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(shutdown, abort, deadline);
        wait.CancelAfter(_options.IdleTimeout);
        try
        {
            var (status, line) = await _reader.ReadLineAsync(_options.MaxLineLength, wait.Token).ConfigureAwait(false);
            return (status, line, null);
        }
        catch (OperationCanceledException) when (!abort.IsCancellationRequested)
        {
            string ending = shutdown.IsCancellationRequested ? Reply.ShuttingDown
                : deadline.IsCancellationRequested ? Reply.DataTimeout(_options.DataTimeout)
                : Reply.IdleTimeout;
            return (LineStatus.End, [], ending);
        }
    }

    /// <summary>Handles one command; false ends the session.</summary>
    private async Task<bool> HandleAsync(CommandLine command, CancellationToken shutdown, CancellationToken abort)
    {
        switch (command.Verb)
        {
            case "LHLO":
                Lhlo(command.Argument);
                return true;
            case "HELO" or "EHLO":
                Send(Reply.UseLhlo);
                return true;
            case "MAIL":
                Mail(command.Argument);
                return true;
            case "RCPT":
                Rcpt(command.Argument);
                return true;
            case "DATA":
                return await DataAsync(command.Argument, shutdown, abort).ConfigureAwait(false);
            case "RSET":
                ResetTransaction();
                Send(Reply.Ok);
                return true;
            case "NOOP":
                Send(Reply.Ok);
                return true;
            case "VRFY":
                Send(Reply.CannotVerify);
                return true;
            case "QUIT":
                Send(Reply.Bye);
                return false;
            default:
                Send(Reply.Unrecognized);
                return true;
        }
    }

    private void Lhlo(string argument)
    {
        if (argument.Length == 0)
        {
            Send(Reply.SyntaxError);
            return;
        }

        _greeted = true;
        ResetTransaction();
        Send($"250-{Environment.MachineName}");
        Send("250-PIPELINING");
        Send("250-ENHANCEDSTATUSCODES");
        Send("250-8BITMIME");
        Send(string.Create(CultureInfo.InvariantCulture, $"250 SIZE {_options.MaxMessageSize}"));
    }

    private void Mail(string argument)
    {
        if (!_greeted)
        {
            Send(Reply.NeedLhlo);
            return;
        }

        if (_sender is not null)
        {
            Send(Reply.NestedMail);
            return;
        }

        if (!PathArgument.TryParse(argument, "FROM:", out var sender, out var parameters))
        {
            Send(Reply.SyntaxError);
            return;
        }

        foreach (var parameter in parameters)
        {
            var (key, value) = parameter.IndexOf('=', StringComparison.Ordinal) is var eq and > 0
                ? (parameter[..eq].ToUpperInvariant(), parameter[(eq + 1)..])
                : (parameter.ToUpperInvariant(), string.Empty);
            switch (key)
            {
                case "SIZE" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long size):
                    if (size > _options.MaxMessageSize)
                    {
                        Send(Reply.TooBig);
                        return;
                    }

                    break;
                case "BODY" when value.Equals("7BIT", StringComparison.OrdinalIgnoreCase) || value.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase):
                    break;
                default:
                    Send(Reply.UnknownParameter);
                    return;
            }
        }

        _sender = sender;
        Send(Reply.SenderOk);
    }

    private void Rcpt(string argument)
    {
        if (_sender is null)
        {
            Send(Reply.NeedMail);
            return;
        }

        if (!PathArgument.TryParse(argument, "TO:", out var address, out var parameters) || address.Length == 0 || parameters.Count > 0)
        {
            Send(Reply.SyntaxError);
            return;
        }

        if (_recipients.Count >= _options.MaxRecipients)
        {
            Send(Reply.TooManyRecipients);
            return;
        }

        var result = _router.Resolve(address);
        if (result.Route is { } unavailable && !_queues[unavailable.Queue].IsAvailable)
        {
            // Never 250 for a recipient whose message could not be stored durably now.
            _logger.LogWarning("LMTP {Peer} deferred recipient {Address}: queue {Queue} cannot store entries now (its back end does not answer)", _peer, address, unavailable.Queue);
            Send(Reply.EnqueueFailed);
        }
        else if (result.Route is { } route)
        {
            _recipients.Add(route);
            Send(Reply.RecipientOk);
        }
        else
        {
            _logger.LogInformation("LMTP {Peer} refused recipient {Address}: {Reply}", _peer, address, result.Refusal);
            Send(result.Refusal!);
        }
    }

    private async Task<bool> DataAsync(string argument, CancellationToken shutdown, CancellationToken abort)
    {
        if (argument.Length > 0)
        {
            Send(Reply.SyntaxError);
            return true;
        }

        if (_sender is null || _recipients.Count == 0)
        {
            Send(_sender is null ? Reply.BadSequence : Reply.NeedRecipients);
            return true;
        }

        await SendNowAsync(Reply.StartData, abort).ConfigureAwait(false);
        using var body = new MemoryStream();
        string? failure = null;
        // However steadily lines arrive, one message may not hold a connection slot longer than data_timeout.
        using var deadline = new CancellationTokenSource(_options.DataTimeout, _clock);
        while (true)
        {
            // Reading the message is one unit of work: a shutdown waits for its end, the idle and data timeouts do not.
            var (status, line, ending) = await ReadAsync(CancellationToken.None, abort, deadline.Token).ConfigureAwait(false);
            if (ending is not null)
            {
                if (deadline.IsCancellationRequested)
                {
                    _logger.LogWarning("LMTP {Peer} DATA took longer than data_timeout ({Timeout}); closing the connection, nothing queued", _peer, _options.DataTimeout);
                }

                await SendNowAsync(ending, abort).ConfigureAwait(false);
                return false;
            }

            if (status == LineStatus.End)
            {
                return false;
            }

            if (status == LineStatus.TooLong)
            {
                failure ??= Reply.DataLineTooLong;
                continue;
            }

            if (line is [(byte)'.'])
            {
                break;
            }

            // Dot-unstuffing (RFC 5321 4.5.2).
            int skip = line is [(byte)'.', ..] ? 1 : 0;
            if (failure is null && body.Length + line.Length - skip + 2 > _options.MaxMessageSize)
            {
                failure = Reply.TooBig;
            }

            if (failure is null)
            {
                body.Write(line, skip, line.Length - skip);
                body.Write("\r\n"u8);
            }
        }

        await DeliverAsync(body, failure, abort).ConfigureAwait(false);
        ResetTransaction();
        return !shutdown.IsCancellationRequested || _reader.HasBufferedData;
    }

    private async Task DeliverAsync(MemoryStream body, string? failure, CancellationToken abort)
    {
        byte[]? prepared = null;
        string? messageId = null;
        if (failure is null)
        {
            try
            {
                (prepared, messageId) = Prepare(body, _sender!);
            }
            catch (FormatException ex)
            {
                _logger.LogWarning("LMTP {Peer} message could not be parsed: {Error}", _peer, ex.Message);
                failure = Reply.Unparseable;
            }
        }

        // One entry per distinct recipient address; one reply per accepted RCPT, in RCPT order.
        var outcomes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        bool refused = false;
        foreach (var route in _recipients)
        {
            if (!outcomes.TryGetValue(route.Address, out var reply))
            {
                reply = failure ?? await EnqueueAsync(route, prepared!, body.Length, messageId!, abort).ConfigureAwait(false);
                outcomes[route.Address] = reply;
            }

            refused |= Reply.IsError(reply);
            Write(reply);
            await FlushAsync(abort).ConfigureAwait(false);
        }

        // The replies to one DATA are one answer to one command: they count as one error, not one per recipient.
        if (refused)
        {
            _errors++;
        }
    }

    private async Task<string> EnqueueAsync(Route route, byte[] message, long originalSize, string messageId, CancellationToken abort)
    {
        var metadata = new MessageData
        {
            [MessageDataKeys.ListId] = route.ListId,
            [MessageDataKeys.OriginalSize] = originalSize,
            [MessageDataKeys.ReceivedTime] = _clock.GetUtcNow(),
            ["original_sender"] = _sender,
            ["original_recipient"] = route.Address,
        };
        if (route.Flag is { } flag)
        {
            metadata[flag] = true;
        }

        using var span = LmtpTracing.Start(messageId, route.ListId, route.Queue, _peer);
        try
        {
            string filebase = await _queues[route.Queue].EnqueueRawAsync(message, metadata, cancellationToken: abort).ConfigureAwait(false);
            _logger.LogInformation("LMTP {Peer} queued {MessageId} for {Recipient} in {Queue} as {Filebase}", _peer, messageId, route.Address, route.Queue, filebase);
            if (span is not null)
            {
                LmtpTracing.Queued(span, filebase);
            }

            return Reply.Delivered;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (span is not null)
            {
                LmtpTracing.Failed(span, ex);
            }

            // A storage failure is described by its message; a stack is only worth logging for a surprise.
            _logger.LogError(ex is IOException ? null : ex, "LMTP {Peer} could not queue {MessageId} for {Recipient} in {Queue}: {Error}", _peer, messageId, route.Address, route.Queue, ex.Message);
            return Reply.EnqueueFailed;
        }
    }

    /// <summary>Adds a Message-ID when missing and (re)sets Message-ID-Hash, X-Message-ID-Hash and X-MailFrom.</summary>
    private static (byte[] Message, string MessageId) Prepare(MemoryStream body, string sender)
    {
        body.Position = 0;
        var message = MimeMessage.Load(body);
        if (string.IsNullOrWhiteSpace(message.MessageId))
        {
            message.MessageId = MimeUtils.GenerateMessageId();
        }

        string hash = MessageIdHash.Compute(message.MessageId);
        foreach (var name in new[] { "Message-ID-Hash", "X-Message-ID-Hash", "X-MailFrom" })
        {
            message.Headers.RemoveAll(name);
        }

        message.Headers.Add("Message-ID-Hash", hash);
        message.Headers.Add("X-Message-ID-Hash", hash);
        message.Headers.Add("X-MailFrom", sender);

        // Unchanged headers and the body are written back as they arrived; lines end in CRLF as on the wire.
        using var output = new MemoryStream();
        message.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, output);
        return (output.ToArray(), message.MessageId);
    }

    private void ResetTransaction()
    {
        _sender = null;
        _recipients.Clear();
    }

    /// <summary>Buffers a reply; every 4xx/5xx reply counts towards <c>max_errors</c>, whatever produced it.</summary>
    private void Send(string reply)
    {
        if (Reply.IsError(reply))
        {
            _errors++;
        }

        Write(reply);
    }

    private void Write(string reply) => _output.Write(Encoding.ASCII.GetBytes(reply + "\r\n"));

    private async Task SendNowAsync(string reply, CancellationToken abort)
    {
        Send(reply);
        await FlushAsync(abort).ConfigureAwait(false);
    }

    private async Task FlushAsync(CancellationToken abort)
    {
        if (_output.WrittenCount == 0)
        {
            return;
        }

        await _stream.WriteAsync(_output.WrittenMemory, abort).ConfigureAwait(false);
        await _stream.FlushAsync(abort).ConfigureAwait(false);
        _output.ResetWrittenCount();
    }
}
