using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RunnerHost.Inspection;
using RunnerHost.Operations;
using RunnerHost.Queues;

namespace RunnerHost.Plugins.Rest.Endpoints;

/// <summary><c>POST /shunt/{filebase}/unshunt</c> (one entry) and <c>POST /shunt/unshunt</c> (every entry): the host's replay (<see cref="IShuntReplay"/>) to each entry's queue.</summary>
internal static class ShuntEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/shunt/{filebase}/unshunt", async (string filebase, IQueueInspector inspector, IShuntReplay replay, CancellationToken cancellationToken) =>
        {
            if (QueueEndpoints.Validate(QueueNames.Shunt, filebase, inspector) is { } invalid)
            {
                return invalid;
            }

            var outcome = await replay.ReplayAsync(filebase, cancellationToken).ConfigureAwait(false);
            return outcome.Status switch
            {
                ShuntReplayStatus.Replayed => Results.Ok(Describe(outcome)),
                ShuntReplayStatus.NotFound => Problem(outcome, "No such entry", StatusCodes.Status404NotFound),
                ShuntReplayStatus.AlreadyReplayed => Problem(outcome, "Already replayed", StatusCodes.Status409Conflict),
                ShuntReplayStatus.NoSuchQueue => Problem(outcome, "No such queue", StatusCodes.Status422UnprocessableEntity),
                _ => Problem(outcome, "Replay failed", StatusCodes.Status500InternalServerError),
            };
        }).RequireToken();

        app.MapPost("/shunt/unshunt", async (IQueueInspector inspector, IShuntReplay replay, CancellationToken cancellationToken) =>
        {
            if (!inspector.QueueNames.Contains(QueueNames.Shunt, StringComparer.Ordinal))
            {
                return QueueEndpoints.NoSuchQueue(QueueNames.Shunt);
            }

            var outcomes = await replay.ReplayAllAsync(cancellationToken).ConfigureAwait(false);
            // 200 with every outcome: a partial replay is reported entry by entry, like the CLI's one line per failure.
            return Results.Ok(new
            {
                replayed = outcomes.Where(o => o.Status == ShuntReplayStatus.Replayed).Select(Describe).ToList(),
                failed = outcomes.Where(o => o.Status != ShuntReplayStatus.Replayed).Select(o => new { filebase = o.Filebase, problem = o.Problem }).ToList(),
            });
        }).RequireToken();
    }

    private static object Describe(ShuntReplayOutcome outcome) => new { filebase = outcome.Filebase, queue = outcome.Queue, newFilebase = outcome.NewFilebase };

    private static IResult Problem(ShuntReplayOutcome outcome, string title, int status) =>
        Results.Problem(title: title, detail: $"shunt/{outcome.Filebase}: {outcome.Problem}", statusCode: status);
}
