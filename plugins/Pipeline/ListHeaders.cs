using MimeKit;
using RunnerHost.Lists;

namespace RunnerHost.Plugins.Pipeline;

/// <summary>The RFC 2369/2919 list headers and the subject prefix, applied the way Mailman does.</summary>
internal static class ListHeaders
{
    public static void Apply(MimeMessage message, IMailingList list, string? subjectPrefix)
    {
        var (local, domain) = Split(list.PostingAddress);

        // Replace, never duplicate: a message may come back through the pipeline (unshunt) or carry another list's headers.
        Set(message, "List-Id", $"{list.DisplayName} <{list.ListId}>");
        Set(message, "List-Post", $"<mailto:{list.PostingAddress}>");
        Set(message, "List-Unsubscribe", $"<mailto:{local}-leave@{domain}>");
        Set(message, "List-Subscribe", $"<mailto:{local}-join@{domain}>");
        Set(message, "List-Help", $"<mailto:{local}-request@{domain}?subject=help>");

        if (subjectPrefix is not null)
        {
            string subject = message.Subject ?? string.Empty;
            // A reply already carries the prefix ("Re: [Test] ..."); adding it again would stack prefixes.
            if (!subject.Contains(subjectPrefix, StringComparison.OrdinalIgnoreCase))
            {
                message.Subject = subject.Length == 0 ? subjectPrefix : $"{subjectPrefix} {subject}";
            }
        }
    }

    private static void Set(MimeMessage message, string name, string value)
    {
        message.Headers.RemoveAll(name);
        message.Headers.Add(name, value);
    }

    private static (string Local, string Domain) Split(string address)
    {
        int at = address.LastIndexOf('@');
        return at < 0 ? (address, string.Empty) : (address[..at], address[(at + 1)..]);
    }
}
