using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace RunnerHost.Plugins.Rest.Endpoints;

/// <summary><c>/health/live</c> (the process serves) and <c>/health/ready</c> (the var and queue directories are usable).</summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" }));
        app.MapGet("/health/ready", (RestOptions options, QueueFiles files) =>
        {
            var problems = new List<string>();
            Check(options.VarDir, "var_dir", problems, mustExist: true);
            Check(options.QueueDir, "queue_dir", problems, mustExist: false);
            foreach (var name in files.Names)
            {
                Check(files.DirectoryOf(name), $"queue {name}", problems, mustExist: false);
            }

            return problems.Count == 0
                ? Results.Ok(new { status = "ready" })
                : Results.Problem(title: "Not ready", detail: string.Join("; ", problems), statusCode: StatusCodes.Status503ServiceUnavailable);
        });
    }

    /// <summary>A queue directory appears with its first entry, so only var_dir must exist; whatever exists must be listable.</summary>
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
