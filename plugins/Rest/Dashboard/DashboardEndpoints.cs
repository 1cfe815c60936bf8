using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using RunnerHost.Inspection;
using RunnerHost.Operations;
using RunnerHost.Plugins.Rest.Dashboard.Pages;
using RunnerHost.Plugins.Rest.Endpoints;
using RunnerHost.Queues;

namespace RunnerHost.Plugins.Rest.Dashboard;

/// <summary>
/// The operators' dashboard, server-rendered HTML at <c>/</c> and under <c>/dashboard/</c>: the overview,
/// queue and entry pages, shunt (grouped, unshunt, discard), bad (requeue, purge), plugins, login.
/// It reads queues only through the inspection surface, so it works on every queue back end.
/// </summary>
internal static class DashboardEndpoints
{
    private const int MaxBadListed = 500;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", async (HttpContext http, RestOptions options, IQueueInspector inspector, ThroughputHistory throughput, TimeProvider clock, CancellationToken cancellationToken) =>
            !DashboardAccess.May(http, Exposure.Summary)
                ? ToLogin(http)
                : Page<OverviewPage>(new { Model = await Overview.MeasureAsync(options, inspector, throughput, clock, cancellationToken).ConfigureAwait(false), Session = DashboardAccess.Session(http) }));

        app.MapGet("/dashboard/live/overview", async (HttpContext http, RestOptions options, IQueueInspector inspector, ThroughputHistory throughput, TimeProvider clock, CancellationToken cancellationToken) =>
            !DashboardAccess.May(http, Exposure.Summary)
                ? Results.Unauthorized()
                : Page<OverviewBody>(new { Model = await Overview.MeasureAsync(options, inspector, throughput, clock, cancellationToken).ConfigureAwait(false) }));

        app.MapGet("/dashboard/queues/{queue}", async (string queue, HttpContext http, IQueueInspector inspector, string? order, int? offset, CancellationToken cancellationToken) =>
        {
            if (!DashboardAccess.May(http, Exposure.Summary))
            {
                return ToLogin(http);
            }

            if (!inspector.QueueNames.Contains(queue, StringComparer.Ordinal))
            {
                return QueueEndpoints.NoSuchQueue(queue);
            }

            var entryOrder = order == "newest" ? EntryOrder.NewestFirst : EntryOrder.OldestFirst;
            int start = Math.Clamp(offset ?? 0, 0, int.MaxValue - QueuePage.PageSize);
            var page = await inspector.ListAsync(queue, new EntryQuery(start, QueuePage.PageSize, entryOrder), cancellationToken).ConfigureAwait(false);
            return Page<QueuePage>(new { Queue = queue, Listing = page, Order = entryOrder, Offset = start, Session = DashboardAccess.Session(http) });
        });

        app.MapGet("/dashboard/queues/{queue}/{id}", async (string queue, string id, HttpContext http, IQueueInspector inspector, CancellationToken cancellationToken) =>
        {
            if (!DashboardAccess.May(http, Exposure.Content))
            {
                return ToLogin(http);
            }

            if (QueueEndpoints.Validate(queue, id, inspector) is { } invalid)
            {
                return invalid;
            }

            return await inspector.ReadAsync(queue, id, cancellationToken).ConfigureAwait(false) is { } entry
                ? Page<EntryDetailPage>(new { Model = EntryView.Of(entry), Session = DashboardAccess.Session(http) })
                : Results.Problem(title: "No such entry", detail: $"{queue}/{id} is not there (processed, replayed or discarded since).", statusCode: StatusCodes.Status404NotFound);
        });

        app.MapGet("/dashboard/shunt", async (HttpContext http, IQueueInspector inspector, CancellationToken cancellationToken) =>
            !DashboardAccess.May(http, Exposure.Content)
                ? ToLogin(http)
                : Page<ShuntPage>(new { Model = await ShuntGroups.ReadAsync(inspector, cancellationToken).ConfigureAwait(false), Session = DashboardAccess.Session(http) }));

        app.MapGet("/dashboard/live/shunt", async (HttpContext http, IQueueInspector inspector, CancellationToken cancellationToken) =>
            !DashboardAccess.May(http, Exposure.Content)
                ? Results.Unauthorized()
                : Page<ShuntBody>(new { Model = await ShuntGroups.ReadAsync(inspector, cancellationToken).ConfigureAwait(false), Session = DashboardAccess.Session(http) }));

        app.MapPost("/dashboard/shunt", ShuntActionAsync);

        app.MapGet("/dashboard/bad", async (HttpContext http, IQueueInspector inspector, CancellationToken cancellationToken) =>
            !DashboardAccess.May(http, Exposure.Content) ? ToLogin(http) : await BadAsync<BadPage>(http, inspector, cancellationToken).ConfigureAwait(false));

        app.MapGet("/dashboard/live/bad", async (HttpContext http, IQueueInspector inspector, CancellationToken cancellationToken) =>
            !DashboardAccess.May(http, Exposure.Content) ? Results.Unauthorized() : await BadAsync<BadBody>(http, inspector, cancellationToken).ConfigureAwait(false));

        app.MapPost("/dashboard/bad", BadActionAsync);

        app.MapGet("/dashboard/plugins", async (HttpContext http, RestOptions options, IPluginDirectory plugins, CancellationToken cancellationToken) =>
            !DashboardAccess.May(http, Exposure.Summary)
                ? ToLogin(http)
                : Page<PluginsPage>(new
                {
                    Plugins = plugins.Plugins,
                    Slices = (await Status.MasterStatusFile.ReadAsync(options.VarDir, cancellationToken).ConfigureAwait(false)).Slices,
                    Session = DashboardAccess.Session(http),
                }));

        app.MapGet("/dashboard/login", (HttpContext http, RestOptions options, string? returnUrl, bool? failed) =>
            Page<LoginPage>(new { Session = DashboardAccess.Session(http), TokenConfigured = options.ApiToken is not null, ReturnUrl = DashboardAccess.LocalPath(returnUrl), Failed = failed == true }));

        app.MapPost("/dashboard/login", async (HttpContext http, RestOptions options) =>
        {
            if (await DashboardAccess.CheckFormAsync(http).ConfigureAwait(false) is { } refused)
            {
                return refused;
            }

            var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
            string returnUrl = DashboardAccess.LocalPath(form["returnUrl"]);
            if (!DashboardAccess.IsToken(options, form["token"]))
            {
                return Results.Redirect($"/dashboard/login?failed=true&returnUrl={Uri.EscapeDataString(returnUrl)}");
            }

            await DashboardAccess.SignInAsync(http).ConfigureAwait(false);
            return Results.Redirect(returnUrl);
        });

        app.MapPost("/dashboard/logout", async (HttpContext http) =>
        {
            if (await DashboardAccess.CheckActionAsync(http).ConfigureAwait(false) is { } refused)
            {
                return refused;
            }

            await DashboardAccess.SignOutAsync(http).ConfigureAwait(false);
            return Results.Redirect("/?notice=" + Uri.EscapeDataString("Logged out."));
        });

        app.MapGet("/dashboard/assets/{name}", (string name) => Asset(name));
    }

    private static RazorComponentResult<TComponent> Page<TComponent>(object parameters)
        where TComponent : IComponent =>
        new RazorComponentResult<TComponent>(parameters);

    private static IResult ToLogin(HttpContext http) =>
        Results.Redirect("/dashboard/login?returnUrl=" + Uri.EscapeDataString(http.Request.Path + http.Request.QueryString));

    private static async Task<IResult> BadAsync<TComponent>(HttpContext http, IQueueInspector inspector, CancellationToken cancellationToken)
        where TComponent : IComponent
    {
        var page = inspector.QueueNames.Contains(QueueNames.Bad, StringComparer.Ordinal)
            ? await inspector.ListAsync(QueueNames.Bad, new EntryQuery(0, MaxBadListed), cancellationToken).ConfigureAwait(false)
            : new RunnerHost.Inspection.EntryPage(0, []);
        var targets = inspector.QueueNames.Where(q => q is not QueueNames.Bad and not QueueNames.Shunt).ToList();
        return Page<TComponent>(new { Entries = page.Entries, Total = page.Total, Queues = targets, Session = DashboardAccess.Session(http) });
    }

    private static async Task<IResult> ShuntActionAsync(HttpContext http, IQueueInspector inspector, IShuntReplay replay, CancellationToken cancellationToken)
    {
        if (await DashboardAccess.CheckActionAsync(http).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        var form = await http.Request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        string act = form["act"].ToString();
        string[] selected = [.. form["id"].Where(id => id is not null).Select(id => id!)];
        (string verb, string target) = act.IndexOf(':', StringComparison.Ordinal) is int colon and > 0 ? (act[..colon], act[(colon + 1)..]) : (act, string.Empty);
        IReadOnlyList<string> ids = verb switch
        {
            "unshunt" or "discard" => [target],
            "unshunt-selected" or "discard-selected" => selected,
            "unshunt-group" or "discard-group" => (await ShuntGroups.ReadAsync(inspector, cancellationToken).ConfigureAwait(false)).Groups
                .FirstOrDefault(g => g.Key == target)?.Entries.Select(e => e.Id).ToList() ?? [],
            _ => [],
        };
        string notice;
        if (verb == "unshunt-all")
        {
            notice = Describe(await replay.ReplayAllAsync(cancellationToken).ConfigureAwait(false));
        }
        else if (verb.StartsWith("unshunt", StringComparison.Ordinal))
        {
            var outcomes = new List<ShuntReplayOutcome>();
            foreach (string id in ids.Where(id => inspector.IsEntryId(QueueNames.Shunt, id, out _)))
            {
                outcomes.Add(await replay.ReplayAsync(id, cancellationToken).ConfigureAwait(false));
            }

            notice = Describe(outcomes);
        }
        else if (verb.StartsWith("discard", StringComparison.Ordinal))
        {
            int discarded = 0, failed = 0;
            foreach (string id in ids.Where(id => inspector.IsEntryId(QueueNames.Shunt, id, out _)))
            {
                _ = await inspector.DiscardAsync(QueueNames.Shunt, id, cancellationToken).ConfigureAwait(false) == DiscardOutcome.Discarded ? discarded++ : failed++;
            }

            notice = $"Discarded {discarded}" + (failed > 0 ? $"; {failed} not discarded (gone or held by a runner)." : ".");
        }
        else
        {
            return Results.Problem(title: "Unknown action", detail: $"'{act}' is not an action of the shunt page.", statusCode: StatusCodes.Status400BadRequest);
        }

        return Results.Redirect("/dashboard/shunt?notice=" + Uri.EscapeDataString(ids.Count == 0 && verb != "unshunt-all" ? "Nothing was selected." : notice), permanent: false, preserveMethod: false);
    }

    private static async Task<IResult> BadActionAsync(HttpContext http, IQueueInspector inspector, CancellationToken cancellationToken)
    {
        if (await DashboardAccess.CheckActionAsync(http).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        var form = await http.Request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        string id = form["id"].ToString();
        if (QueueEndpoints.Validate(QueueNames.Bad, id, inspector) is { } invalid)
        {
            return invalid;
        }

        string notice;
        switch (form["act"].ToString())
        {
            case "requeue":
                string to = form["to"].ToString();
                if (!inspector.QueueNames.Contains(to, StringComparer.Ordinal) || to is QueueNames.Bad or QueueNames.Shunt)
                {
                    return QueueEndpoints.NoSuchQueue(to);
                }

                string newId = await inspector.RequeueAsync(QueueNames.Bad, id, to, cancellationToken).ConfigureAwait(false);
                notice = $"Requeued {id} to {to} as {newId}.";
                break;
            case "purge":
                notice = await inspector.DiscardAsync(QueueNames.Bad, id, cancellationToken).ConfigureAwait(false) == DiscardOutcome.Discarded
                    ? $"Purged {id}."
                    : $"{id} was not purged (gone or held).";
                break;
            default:
                return Results.Problem(title: "Unknown action", detail: "The bad page acts with requeue or purge.", statusCode: StatusCodes.Status400BadRequest);
        }

        return Results.Redirect("/dashboard/bad?notice=" + Uri.EscapeDataString(notice));
    }

    private static string Describe(IReadOnlyList<ShuntReplayOutcome> outcomes)
    {
        var replayed = outcomes.Where(o => o.Status == ShuntReplayStatus.Replayed).ToList();
        var failed = outcomes.Where(o => o.Status != ShuntReplayStatus.Replayed).ToList();
        string text = $"Unshunted {replayed.Count}" + (replayed.Count > 0 ? $" (to {string.Join(", ", replayed.Select(o => o.Queue).Distinct(StringComparer.Ordinal))})" : string.Empty);
        return failed.Count == 0 ? text + "." : $"{text}; {failed.Count} not: {failed[0].Filebase}: {failed[0].Problem}";
    }

    private static IResult Asset(string name)
    {
        string? contentType = Path.GetExtension(name) switch
        {
            ".css" => "text/css; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            _ => null,
        };
        var stream = contentType is null ? null : typeof(DashboardEndpoints).Assembly.GetManifestResourceStream($"RunnerHost.Plugins.Rest.Dashboard.Assets.{name}");
        return stream is null ? Results.NotFound() : Results.Stream(stream, contentType);
    }
}
