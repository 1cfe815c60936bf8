namespace RunnerHost.Plugins.Lmtp.Protocol;

/// <summary>The replies the server sends, with RFC 3463 enhanced status codes.</summary>
internal static class Reply
{
    public const string Ok = "250 2.0.0 Ok";
    public const string SenderOk = "250 2.1.0 Sender ok";
    public const string RecipientOk = "250 2.1.5 Recipient ok";
    public const string Delivered = "250 2.0.0 Ok: queued";
    public const string StartData = "354 Start mail input; end with <CRLF>.<CRLF>";
    public const string Bye = "221 2.0.0 Bye";
    public const string CannotVerify = "252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery";
    public const string UseLhlo = "500 5.5.1 This is LMTP: say LHLO, not HELO or EHLO";
    public const string Unrecognized = "500 5.5.2 Command unrecognized";
    public const string LineTooLong = "500 5.5.2 Line too long";
    public const string DataLineTooLong = "500 5.6.0 Message has a line that is too long";
    public const string SyntaxError = "501 5.5.4 Syntax error in parameters or arguments";
    public const string BadSequence = "503 5.5.1 Bad sequence of commands";
    public const string NeedLhlo = "503 5.5.1 Say LHLO first";
    public const string NestedMail = "503 5.5.1 Sender already given";
    public const string NeedMail = "503 5.5.1 Need MAIL before RCPT";
    public const string NeedRecipients = "503 5.5.1 No valid recipients";
    public const string UnknownParameter = "555 5.5.4 Unsupported MAIL parameter";
    public const string TooBig = "552 5.3.4 Message too big";
    public const string TooManyRecipients = "452 4.5.3 Too many recipients";
    public const string EnqueueFailed = "451 4.3.0 Temporary failure storing the message; try again later";
    public const string Unparseable = "554 5.6.0 Message could not be parsed";
    public const string Busy = "421 4.3.2 Too many connections; try again later";
    public const string IdleTimeout = "421 4.4.2 Idle timeout; closing connection";
    public const string ShuttingDown = "421 4.3.2 Service shutting down";
    public const string TooManyErrors = "421 4.7.0 Too many errors; closing connection";

    public static string DataTimeout(TimeSpan limit) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"421 4.4.2 DATA took longer than data_timeout ({limit.TotalSeconds:0.###}s); closing connection");

    /// <summary>True for a 4xx or 5xx reply: what <c>max_errors</c> counts.</summary>
    public static bool IsError(string reply) => reply.Length > 0 && reply[0] is '4' or '5';

    public static string UnknownRecipient(string address) => $"550 5.1.1 <{address}>: Recipient address rejected: no such list";

    public static string NoRunner(string address, string queue) =>
        $"450 4.3.0 <{address}>: no runner serves the '{queue}' queue; try again later";
}
