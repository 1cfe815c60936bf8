using RunnerHost.Lists;

namespace RunnerHost.Hosting.Lists;

/// <summary>A fixed set of mailing lists, looked up case-insensitively by list id or posting address.</summary>
public sealed class ConfiguredListManager : IListManager
{
    private readonly Dictionary<string, IMailingList> _byListId = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, IMailingList> _byPostingAddress = new(StringComparer.OrdinalIgnoreCase);

    /// <exception cref="ArgumentException">Two lists share a list id or posting address.</exception>
    public ConfiguredListManager(IEnumerable<IMailingList> lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        var all = new List<IMailingList>();
        foreach (var list in lists)
        {
            if (!_byListId.TryAdd(list.ListId, list))
            {
                throw new ArgumentException($"Duplicate list id '{list.ListId}'", nameof(lists));
            }

            if (!_byPostingAddress.TryAdd(list.PostingAddress, list))
            {
                throw new ArgumentException($"Duplicate posting address '{list.PostingAddress}'", nameof(lists));
            }

            all.Add(list);
        }

        Lists = all;
    }

    public IReadOnlyCollection<IMailingList> Lists { get; }

    public IMailingList? GetByListId(string listId) => _byListId.GetValueOrDefault(listId);

    public IMailingList? GetByPostingAddress(string postingAddress) => _byPostingAddress.GetValueOrDefault(postingAddress);
}
