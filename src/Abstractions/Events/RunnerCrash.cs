using MimeKit;
using RunnerHost.Lists;
using RunnerHost.Messages;

namespace RunnerHost.Events;

/// <summary>Raised when a runner's dispose hook throws for a message (before the message is shunted).</summary>
/// <param name="Runner">The runner whose dispose hook failed.</param>
/// <param name="MailingList">The message's list.</param>
/// <param name="Message">The message.</param>
/// <param name="Metadata">The metadata as the dispose hook left it.</param>
/// <param name="Error">The exception.</param>
public sealed record RunnerCrash(Runner Runner, IMailingList MailingList, MimeMessage Message, MessageData Metadata, Exception Error);
