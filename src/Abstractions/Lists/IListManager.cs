namespace RunnerHost.Lists;

/// <summary>Finds mailing lists. The host's default reads <c>[list.NAME]</c> configuration sections; a plugin may replace it.</summary>
public interface IListManager
{
    /// <summary>All known lists.</summary>
    IReadOnlyCollection<IMailingList> Lists { get; }

    /// <summary>Finds a list by list id (case-insensitive); null when unknown.</summary>
    IMailingList? GetByListId(string listId);

    /// <summary>Finds a list by posting address (case-insensitive); null when unknown.</summary>
    IMailingList? GetByPostingAddress(string postingAddress);

    /// <summary>Finds a list by list id or posting address, whichever the text is.</summary>
    IMailingList? Find(string listSpec) =>
        listSpec.Contains('@', StringComparison.Ordinal) ? GetByPostingAddress(listSpec) : GetByListId(listSpec);
}
