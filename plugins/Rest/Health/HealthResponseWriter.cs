using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RunnerHost.Plugins.Rest.Health;

/// <summary>
/// Writes a health report in the endpoints' established shape, plus one entry per check: healthy is
/// <c>application/json</c> <c>{"status":"live"|"ready","checks":[…]}</c>; unhealthy is a problem
/// document (<c>title</c> "Not ready", <c>detail</c> the failing checks' descriptions) with the same <c>checks</c>.
/// </summary>
internal sealed class HealthResponseWriter(string healthyStatus)
{
    public async Task WriteAsync(HttpContext http, HealthReport report)
    {
        bool healthy = report.Status != HealthStatus.Unhealthy;
        http.Response.ContentType = healthy ? "application/json" : "application/problem+json";
        // A probe wants the state now, never a cached one.
        http.Response.Headers.CacheControl = "no-store";
        using var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (healthy)
            {
                json.WriteString("status", healthyStatus);
            }
            else
            {
                json.WriteString("title", "Not ready");
                json.WriteNumber("status", http.Response.StatusCode);
                json.WriteString("detail", string.Join("; ", report.Entries.Where(e => e.Value.Status == HealthStatus.Unhealthy).Select(e => $"{e.Key}: {e.Value.Description}")));
            }

            json.WriteStartArray("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteString("status", entry.Status.ToString());
                json.WriteString("description", entry.Description);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        await http.Response.Body.WriteAsync(buffer.ToArray(), http.RequestAborted).ConfigureAwait(false);
    }
}
