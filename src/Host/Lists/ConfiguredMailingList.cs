using RunnerHost.Lists;

namespace RunnerHost.Hosting.Lists;

/// <summary>A mailing list defined by a <c>[list.NAME]</c> configuration section.</summary>
public sealed class ConfiguredMailingList : IMailingList
{
    public ConfiguredMailingList(
        string listId,
        string postingAddress,
        string displayName,
        string preferredLanguage,
        IReadOnlyList<ListMember> members,
        IReadOnlyList<ListMember> owners)
    {
        ArgumentException.ThrowIfNullOrEmpty(listId);
        ArgumentException.ThrowIfNullOrEmpty(postingAddress);
        ArgumentNullException.ThrowIfNull(displayName);
        ArgumentException.ThrowIfNullOrEmpty(preferredLanguage);
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(owners);
        ListId = listId;
        PostingAddress = postingAddress;
        DisplayName = displayName;
        PreferredLanguage = preferredLanguage;
        Members = [.. members];
        HasMemberLanguages = Members.Any(m => m.PreferredLanguage is not null);
        Owners = [.. owners];
    }

    public string ListId { get; }

    public string PostingAddress { get; }

    public string DisplayName { get; }

    public string PreferredLanguage { get; }

    public IReadOnlyList<ListMember> Members { get; }

    /// <summary>Whether any member has a preferred language of their own (else every message gets the list's).</summary>
    public bool HasMemberLanguages { get; }

    public IReadOnlyList<ListMember> Owners { get; }

    public override string ToString() => $"{ListId} <{PostingAddress}>";
}
