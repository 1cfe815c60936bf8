using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace RunnerHost.Plugins.Rest.Endpoints;

/// <summary>
/// <c>/metrics</c>: Prometheus text. Queue gauges measured now (named as the host's <c>metrics</c>
/// command names them), then the last snapshot each runner process wrote to <c>$var_dir/metrics/*.prom</c>.
/// </summary>
internal static class MetricsEndpoints
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/metrics", async (RestOptions options, QueueFiles files, TimeProvider clock, CancellationToken cancellationToken) =>
        {
            var texts = new List<string> { QueueGauges(files, clock.GetUtcNow()) };
            string directory = Path.Combine(options.VarDir, "metrics");
            if (Directory.Exists(directory))
            {
                foreach (var file in Directory.EnumerateFiles(directory, "*.prom").Order(StringComparer.Ordinal))
                {
                    try
                    {
                        texts.Add(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false));
                    }
                    catch (FileNotFoundException)
                    {
                        // A runner process removed its file meanwhile.
                    }
                }
            }

            return Results.Text(PrometheusMerge.Merge(texts), ContentType);
        });

    private static string QueueGauges(QueueFiles files, DateTimeOffset now)
    {
        var depth = new StringBuilder("# HELP runnerhost_queue_depth Entries in the queue (ready, not yet due and taken).\n# TYPE runnerhost_queue_depth gauge\n");
        var age = new StringBuilder("# HELP runnerhost_queue_oldest_age_seconds Age of the oldest due entry (0 when none is due).\n# TYPE runnerhost_queue_oldest_age_seconds gauge\n");
        foreach (var name in files.Names)
        {
            var items = QueueFiles.List(files.Find(name)!);
            var due = items.Where(i => i.Due <= now).Select(i => i.Due).ToList();
            double oldest = due.Count == 0 ? 0 : (now - due.Min()).TotalSeconds;
            depth.Append(CultureInfo.InvariantCulture, $"runnerhost_queue_depth{{queue=\"{name}\"}} {items.Count}\n");
            age.Append(CultureInfo.InvariantCulture, $"runnerhost_queue_oldest_age_seconds{{queue=\"{name}\"}} {oldest:0.###}\n");
        }

        return depth.Append(age).ToString();
    }
}
