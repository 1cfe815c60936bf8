#if (queue)
using MimeKit;
using RunnerHost.Lists;
#endif

namespace MyRunner;

/// <summary>A service of the plugin's own, registered by <see cref="MyRunnerModule"/> and taken by the runner's constructor.</summary>
public sealed class LineFormatter
{
#if (queue)
    /// <summary>The line written for one message.</summary>
    public string Format(IMailingList mailingList, MimeMessage message) => $"{mailingList.ListId}: {message.Subject}";
#else
    /// <summary>The line logged for one queue.</summary>
    public string Format(string queue, int entries) => $"queue {queue} holds {entries} entries.";
#endif
}
