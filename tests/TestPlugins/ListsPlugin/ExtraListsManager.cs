using Autofac.Features.AttributeFilters;
using Microsoft.Extensions.Logging;
using RunnerHost.Lists;

namespace ListsPlugin;

/// <summary>
/// Adds the lists named in <c>[lists] extra</c> (posting addresses) to the configured ones, whose
/// manager it receives to extend: a plugin replacing the host's list manager.
/// </summary>
public sealed class ExtraListsManager : IListManager
{
    private readonly IListManager _configured;
    private readonly List<IMailingList> _extra;

    public ExtraListsManager(IReadOnlyDictionary<string, string> settings, [KeyFilter("configured")] IListManager configured, ILogger<ExtraListsManager> logger)
    {
        _configured = configured;
        var members = (settings.TryGetValue("members", out var m) ? m : string.Empty)
            .Split([' ', ',', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .Select(a => new ListMember(a))
            .ToList();
        _extra = (settings.TryGetValue("extra", out var extra) ? extra : string.Empty)
            .Split([' ', ',', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .Select(address => (IMailingList)new ExtraList(address, members))
            .ToList();
        logger.LogInformation("extra lists: {Lists}", string.Join(", ", _extra.Select(l => l.ListId)));
    }

    public IReadOnlyCollection<IMailingList> Lists => [.. _extra, .. _configured.Lists];

    public IMailingList? GetByListId(string listId) =>
        _extra.FirstOrDefault(l => string.Equals(l.ListId, listId, StringComparison.OrdinalIgnoreCase)) ?? _configured.GetByListId(listId);

    public IMailingList? GetByPostingAddress(string postingAddress) =>
        _extra.FirstOrDefault(l => string.Equals(l.PostingAddress, postingAddress, StringComparison.OrdinalIgnoreCase)) ?? _configured.GetByPostingAddress(postingAddress);

    private sealed class ExtraList(string postingAddress, IReadOnlyList<ListMember> members) : IMailingList
    {
        public string ListId { get; } = postingAddress.Replace('@', '.');

        public string PostingAddress { get; } = postingAddress;

        public string DisplayName { get; } = postingAddress.Split('@')[0];

        public string PreferredLanguage => "en";

        public IReadOnlyList<ListMember> Members { get; } = members;

        public IReadOnlyList<ListMember> Owners { get; } = [];
    }
}
