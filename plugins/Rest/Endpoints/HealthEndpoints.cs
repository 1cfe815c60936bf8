using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RunnerHost.Inspection;

namespace RunnerHost.Plugins.Rest.Endpoints;

/// <summary><c>/health/live</c> (the process serves) and <c>/health/ready</c> (var_dir is usable and every queue can be measured).</summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" }));
        app.MapGet("/health/ready", async (RestOptions options, IQueueInspector inspector, CancellationToken cancellationToken) =>
        {
            var problems = new List<string>();
            Check(options.VarDir, "var_dir", problems, mustExist: true);
            // Through the inspection surface: the queue back end answers, whatever and wherever it is.
            foreach (var name in inspector.QueueNames)
            {
                if ((await inspector.SummarizeAsync(name, cancellationToken).ConfigureAwait(false)).Problem is { } problem)
                {
                    problems.Add($"queue {name}: {problem}");
                }
            }

            return problems.Count == 0
                ? Results.Ok(new { status = "ready" })
                : Results.Problem(title: "Not ready", detail: string.Join("; ", problems), statusCode: StatusCodes.Status503ServiceUnavailable);
        });
    }

    /// <summary>var_dir must exist and be listable.</summary>
    private static void Check(string directory, string what, List<string> problems, bool mustExist)
    {
        if (!mustExist && !Directory.Exists(directory))
        {
            return;
        }

        try
        {
            // Listing proves the directory exists and is readable.
            _ = Directory.EnumerateFileSystemEntries(directory).Take(1).Count();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{what} ({directory}): {ex.Message}");
        }
    }
}
