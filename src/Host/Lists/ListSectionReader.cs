using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using MimeKit;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Lists;

namespace RunnerHost.Hosting.Lists;

/// <summary>
/// Builds mailing lists from <c>[list.NAME]</c> sections. <c>members</c> and <c>owners</c> hold one
/// address per line or comma-separated, each <c>addr@x</c> or <c>Name &lt;addr@x&gt;</c>, optionally followed by <c>lang=xx</c>.
/// </summary>
internal static partial class ListSectionReader
{
    public const string Prefix = "list.";

    private static readonly string[] _keys = ["posting_address", "list_id", "display_name", "preferred_language", "members", "owners"];

    public static ConfiguredListManager Read(IConfigurationRoot root, ConfigurationIndex index)
    {
        var lists = new List<IMailingList>();
        var sectionsById = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var sectionsByAddress = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in index.Sections.Where(s => s.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)))
        {
            var list = ReadList(section, HostConfigurationFactory.ReadSection(root, section), index);
            if (!sectionsById.TryAdd(list.ListId, section))
            {
                throw ConfigurationException.ForValue(index.Describe(section, "list_id"), section, "list_id", $"'{list.ListId}' is already used by [{sectionsById[list.ListId]}]");
            }

            if (!sectionsByAddress.TryAdd(list.PostingAddress, section))
            {
                throw ConfigurationException.ForValue(index.Describe(section, "posting_address"), section, "posting_address", $"'{list.PostingAddress}' is already used by [{sectionsByAddress[list.PostingAddress]}]");
            }

            lists.Add(list);
        }

        return new ConfiguredListManager(lists);
    }

    private static ConfiguredMailingList ReadList(string section, Dictionary<string, string> values, ConfigurationIndex index)
    {
        var name = section[Prefix.Length..];
        ConfigurationException Fail(string key, string problem) => ConfigurationException.ForValue(index.Describe(section, key), section, key, problem);

        if (name.Length == 0)
        {
            throw new ConfigurationException($"{index.GetSectionOrigin(section)}: [{section}]: list section without a name");
        }

        foreach (var key in values.Keys)
        {
            if (!_keys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw Fail(key, $"unknown key (known: {string.Join(", ", _keys)}){KeySuggestion.Hint(key, _keys)}");
            }
        }

        if (!values.TryGetValue("posting_address", out var posting) || posting.Length == 0)
        {
            throw Fail("posting_address", "no posting address given");
        }

        if (!TryParseAddress(posting, out var postingMailbox) || postingMailbox.Name is { Length: > 0 })
        {
            throw Fail("posting_address", $"'{posting}' is not a bare e-mail address such as test@example.com");
        }

        var address = postingMailbox.Address;
        var listId = NonEmpty(values, "list_id") ?? address.Replace('@', '.');
        if (listId.Any(char.IsWhiteSpace) || listId.Contains('@', StringComparison.Ordinal))
        {
            throw Fail("list_id", $"'{listId}' is not a list id such as test.example.com");
        }

        return new ConfiguredMailingList(
            listId,
            address,
            NonEmpty(values, "display_name") ?? name,
            NonEmpty(values, "preferred_language") ?? "en",
            ReadMembers(section, "members", values, index),
            ReadMembers(section, "owners", values, index));
    }

    private static string? NonEmpty(Dictionary<string, string> values, string key) =>
        values.TryGetValue(key, out var value) && value.Length > 0 ? value : null;

    private static List<ListMember> ReadMembers(string section, string key, Dictionary<string, string> values, ConfigurationIndex index)
    {
        var members = new List<ListMember>();
        if (!values.TryGetValue(key, out var text))
        {
            return members;
        }

        var origin = index.GetOrigin(section, key);
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            foreach (var entry in SplitEntries(lines[i]))
            {
                var match = LanguageSuffix().Match(entry);
                var addressText = match.Success ? match.Groups["address"].Value : entry;
                if (!TryParseAddress(addressText, out var mailbox))
                {
                    var where = origin?.DescribePart(i) ?? index.Describe(section, key);
                    throw ConfigurationException.ForValue(where, section, key, $"'{entry}' is not an e-mail address (addr@example.com or Name <addr@example.com>, optionally followed by lang=xx)");
                }

                members.Add(new ListMember(
                    mailbox.Address,
                    string.IsNullOrEmpty(mailbox.Name) ? null : mailbox.Name,
                    match.Success ? match.Groups["lang"].Value : null));
            }
        }

        return members;
    }

    private static bool TryParseAddress(string text, out MailboxAddress mailbox)
    {
        // MimeKit accepts local-only addresses; list addresses need a domain.
        return MailboxAddress.TryParse(text, out mailbox!)
            && mailbox.Address.IndexOf('@', StringComparison.Ordinal) is > 0 and var at
            && at < mailbox.Address.Length - 1;
    }

    /// <summary>Splits on commas outside quotes and angle brackets, so <c>"Doe, Jo" &lt;jo@x&gt;</c> stays whole.</summary>
    private static IEnumerable<string> SplitEntries(string line)
    {
        var current = new StringBuilder();
        bool quoted = false;
        int angle = 0;
        foreach (var c in line)
        {
            switch (c)
            {
                case '"':
                    quoted = !quoted;
                    break;
                case '<' when !quoted:
                    angle++;
                    break;
                case '>' when !quoted && angle > 0:
                    angle--;
                    break;
                case ',' when !quoted && angle == 0:
                    if (current.ToString().Trim() is { Length: > 0 } entry)
                    {
                        yield return entry;
                    }

                    current.Clear();
                    continue;
            }

            current.Append(c);
        }

        if (current.ToString().Trim() is { Length: > 0 } last)
        {
            yield return last;
        }
    }

    [GeneratedRegex(@"^(?<address>.+?)\s+lang=(?<lang>[A-Za-z][A-Za-z0-9_-]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex LanguageSuffix();
}
