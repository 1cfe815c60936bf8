using Microsoft.Extensions.Diagnostics.HealthChecks;
using RunnerHost.Inspection;

namespace RunnerHost.Plugins.Rest.Health;

/// <summary>
/// Ready needs the queue back end to answer: every configured queue can be summarised through the
/// inspection surface (the same one the dashboard's banners read), whatever and wherever the back end is.
/// </summary>
internal sealed class QueuesHealthCheck(IQueueInspector inspector) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        foreach (var name in inspector.QueueNames)
        {
            if ((await inspector.SummarizeAsync(name, cancellationToken).ConfigureAwait(false)).Problem is { } problem)
            {
                problems.Add($"queue {name}: {problem}");
            }
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy($"{inspector.QueueNames.Count} queues can be read")
            : HealthCheckResult.Unhealthy(string.Join("; ", problems));
    }
}
