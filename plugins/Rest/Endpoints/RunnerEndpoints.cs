using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace RunnerHost.Plugins.Rest.Endpoints;

/// <summary><c>/runners</c>: the master's view of every runner slice, read from <c>$var_dir/master.status.json</c>.</summary>
internal static class RunnerEndpoints
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/runners", async (RestOptions options, TimeProvider clock, CancellationToken cancellationToken) =>
        {
            string path = Path.Combine(options.VarDir, "master.status.json");
            using var status = await TryReadAsync(path, cancellationToken).ConfigureAwait(false);
            if (status?.RootElement is not { ValueKind: JsonValueKind.Object } root
                || !root.TryGetProperty("masterPid", out var pidElement) || !pidElement.TryGetInt32(out int masterPid)
                || !IsAlive(masterPid))
            {
                return Results.Ok(new
                {
                    masterRunning = false,
                    message = $"The master is not running ({path} is absent or stale); start it with 'runner-host start'.",
                    runners = Array.Empty<object>(),
                });
            }

            var now = clock.GetUtcNow();
            var runners = root.TryGetProperty("slices", out var slices) && slices.ValueKind == JsonValueKind.Array
                ? slices.EnumerateArray().Select(s => new
                {
                    runner = Text(s, "runner"),
                    slice = Int(s, "slice"),
                    count = Int(s, "count"),
                    state = Text(s, "state"),
                    pid = Int(s, "pid"),
                    uptimeSeconds = Time(s, "startedAt") is { } started ? Math.Round((now - started).TotalSeconds, 1) : (double?)null,
                    restarts = Int(s, "restartsInWindow"),
                    maxRestarts = Int(s, "maxRestarts"),
                    lastExit = Text(s, "lastExit"),
                    failureReason = Text(s, "failureReason"),
                }).ToList()
                : [];
            return Results.Ok(new
            {
                masterRunning = true,
                masterPid,
                masterUptimeSeconds = Time(root, "masterStartedAt") is { } masterStarted ? Math.Round((now - masterStarted).TotalSeconds, 1) : (double?)null,
                stopping = root.TryGetProperty("stopping", out var stopping) && stopping.ValueKind == JsonValueKind.True,
                runners,
            });
        }).Require(Exposure.Summary);

    private static async Task<JsonDocument?> TryReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The status file is removed when the master exits; a SIGKILLed master leaves it behind, so the pid decides.</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) ? number : null;

    private static DateTimeOffset? Time(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var time) ? time : null;
}
