using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RunnerHost.Plugins.Rest.Status;

namespace RunnerHost.Plugins.Rest.Endpoints;

/// <summary><c>/runners</c>: the master's view of every runner slice, read from <c>$var_dir/master.status.json</c>.</summary>
internal static class RunnerEndpoints
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/runners", async (RestOptions options, TimeProvider clock, CancellationToken cancellationToken) =>
        {
            var master = await MasterStatusFile.ReadAsync(options.VarDir, cancellationToken).ConfigureAwait(false);
            if (!master.Running)
            {
                return Results.Ok(new { masterRunning = false, message = master.Message, runners = Array.Empty<object>() });
            }

            var now = clock.GetUtcNow();
            return Results.Ok(new
            {
                masterRunning = true,
                masterPid = master.Pid,
                masterUptimeSeconds = master.StartedAt is { } masterStarted ? Math.Round((now - masterStarted).TotalSeconds, 1) : (double?)null,
                stopping = master.Stopping,
                runners = master.Slices.Select(s => new
                {
                    runner = s.Runner,
                    slice = s.Slice,
                    count = s.Count,
                    state = s.State,
                    pid = s.Pid,
                    uptimeSeconds = s.StartedAt is { } started ? Math.Round((now - started).TotalSeconds, 1) : (double?)null,
                    restarts = s.RestartsInWindow,
                    maxRestarts = s.MaxRestarts,
                    lastExit = s.LastExit,
                    failureReason = s.FailureReason,
                }).ToList(),
            });
        }).Require(Exposure.Summary);
}
