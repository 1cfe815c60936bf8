using RunnerHost.Lists;
using RunnerHost.Plugins.Lmtp.Protocol;
using RunnerHost.Queues;

namespace RunnerHost.Plugins.Lmtp;

/// <summary>Where an accepted recipient's copy goes: the queue and the metadata flag Mailman sets.</summary>
internal sealed record Route(string Address, string Queue, string ListId, string? Flag);

/// <summary>The outcome of routing one RCPT: a route, or the reply that refuses it.</summary>
internal sealed record RouteResult(Route? Route, string? Refusal);

/// <summary>
/// Maps a recipient to a list and queue the way Mailman's LMTP runner does: the posting address →
/// <c>in</c> (<c>to_list</c>); <c>-owner</c> → <c>in</c> (<c>to_owner</c>); <c>-bounces</c> → <c>bounces</c>;
/// <c>-request</c>, <c>-join</c>/<c>-subscribe</c>, <c>-leave</c>/<c>-unsubscribe</c>, <c>-confirm</c> → <c>command</c>.
/// A <c>+tag</c> sub-address (VERP, confirm cookies) is ignored for the lookup.
/// </summary>
internal sealed class RecipientRouter(IListManager lists, IQueueRegistry queues, IReadOnlySet<string> servedQueues)
{
    private static readonly Dictionary<string, (string Queue, string? Flag)> Suffixes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["owner"] = ("in", "to_owner"),
        ["bounces"] = ("bounces", null),
        ["request"] = ("command", "to_request"),
        ["join"] = ("command", "to_join"),
        ["subscribe"] = ("command", "to_join"),
        ["leave"] = ("command", "to_leave"),
        ["unsubscribe"] = ("command", "to_leave"),
        ["confirm"] = ("command", "to_confirm"),
    };

    public RouteResult Resolve(string address)
    {
        int at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
        {
            return new RouteResult(null, Reply.UnknownRecipient(address));
        }

        string local = address[..at];
        string domain = address[(at + 1)..];
        if (lists.GetByPostingAddress(address) is { } posted)
        {
            return Served(new Route(address, "in", posted.ListId, "to_list"));
        }

        // The sub-address delimiter is '+', as in Mailman's LMTP runner: LIST+anything@DOMAIN is LIST@DOMAIN.
        int plus = local.IndexOf('+', StringComparison.Ordinal);
        string bare = plus < 0 ? local : local[..plus];
        if (plus > 0 && lists.GetByPostingAddress($"{bare}@{domain}") is { } tagged)
        {
            return Served(new Route(address, "in", tagged.ListId, "to_list"));
        }

        int dash = bare.LastIndexOf('-');
        if (dash > 0
            && Suffixes.TryGetValue(bare[(dash + 1)..], out var target)
            && lists.GetByPostingAddress($"{bare[..dash]}@{domain}") is { } list)
        {
            return Served(new Route(address, target.Queue, list.ListId, target.Flag));
        }

        return new RouteResult(null, Reply.UnknownRecipient(address));
    }

    // A queue nobody reads would swallow the mail; a 4xx keeps it at the sending MTA until one does.
    private RouteResult Served(Route route) =>
        servedQueues.Contains(route.Queue) && queues.TryGet(route.Queue, out _)
            ? new RouteResult(route, null)
            : new RouteResult(null, Reply.NoRunner(route.Address, route.Queue));
}
