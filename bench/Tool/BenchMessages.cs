using System.Globalization;
using MimeKit;
using RunnerHost.Messages;

namespace RunnerHost.Bench;

/// <summary>The message every scenario enqueues: about 1 KB, like the one bench/mailman_bench.py builds.</summary>
public static class BenchMessages
{
    /// <summary>The body: 16 lines of 64 characters.</summary>
    public static readonly string Body = string.Concat(Enumerable.Repeat(new string('x', 63) + "\n", 16));

    public static MimeMessage Create(int producer)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("aperson@example.com"));
        message.To.Add(MailboxAddress.Parse("bench@example.com"));
        message.Subject = string.Create(CultureInfo.InvariantCulture, $"benchmark message from producer {producer}");
        message.MessageId = string.Create(CultureInfo.InvariantCulture, $"bench-{producer}-{Guid.NewGuid():N}@example.com");
        message.Body = new TextPart("plain") { Text = Body };
        return message;
    }

    public static MessageData Metadata() => new() { [MessageDataKeys.ListId] = BenchHost.ListId };
}
