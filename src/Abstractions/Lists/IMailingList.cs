namespace RunnerHost.Lists;

/// <summary>A mailing list as runners see it.</summary>
public interface IMailingList
{
    /// <summary>The list id, e.g. <c>test.example.com</c>.</summary>
    string ListId { get; }

    /// <summary>The posting address, e.g. <c>test@example.com</c>.</summary>
    string PostingAddress { get; }

    /// <summary>The display name.</summary>
    string DisplayName { get; }

    /// <summary>The list's preferred language code, e.g. <c>en</c>.</summary>
    string PreferredLanguage { get; }

    /// <summary>The members who receive posts.</summary>
    IReadOnlyList<ListMember> Members { get; }

    /// <summary>The owners, who receive mail to the <c>-owner</c> address.</summary>
    IReadOnlyList<ListMember> Owners { get; }

    /// <summary>Finds a member by address (case-insensitive).</summary>
    ListMember? FindMember(string address) =>
        Members.FirstOrDefault(m => string.Equals(m.Address, address, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A subscriber or owner of a list.</summary>
/// <param name="Address">The e-mail address.</param>
/// <param name="DisplayName">The display name, if known.</param>
/// <param name="PreferredLanguage">The member's language code, or null to use the list's.</param>
public sealed record ListMember(string Address, string? DisplayName = null, string? PreferredLanguage = null);
