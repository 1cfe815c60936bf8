using Microsoft.Extensions.Diagnostics.HealthChecks;
using RunnerHost.Plugins.Rest.Status;

namespace RunnerHost.Plugins.Rest.Health;

/// <summary>
/// Ready needs every slice the master started to be <c>running</c>, read from the master's status file.
/// Without a live master (no file, a garbage file, or one whose pid is gone) the REST runner runs
/// standalone: there are no slices to wait for, so this check passes and says so, and only the var_dir
/// and queue checks decide.
/// </summary>
internal sealed class SlicesHealthCheck(RestOptions options, TimeProvider clock) : IHealthCheck
{
    // The master rewrites its status every second; a file this old (or this far ahead) no longer tells the slices' state.
    private static readonly TimeSpan MaxStatusAge = TimeSpan.FromSeconds(30);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var master = await MasterStatusFile.ReadAsync(options.VarDir, cancellationToken).ConfigureAwait(false);
        if (!master.Running)
        {
            return HealthCheckResult.Healthy("no running master (standalone): no slices to check, only the queue back end decides");
        }

        if (master.UpdatedAt is not { } updated)
        {
            return HealthCheckResult.Unhealthy("the master's status file has no valid updatedAt");
        }

        if ((clock.GetUtcNow() - updated).Duration() > MaxStatusAge)
        {
            return HealthCheckResult.Unhealthy($"the master's status file is stale: updatedAt {updated:O} is more than {MaxStatusAge.TotalSeconds:0} s from now");
        }

        if (master.Stopping)
        {
            return HealthCheckResult.Unhealthy("the master is stopping");
        }

        if (master.Slices.Count == 0)
        {
            return HealthCheckResult.Unhealthy("the master's status file lists no slices");
        }

        var notRunning = master.Slices.Where(s => s.State != "running").Select(s => $"{s.Name} {s.State}").ToList();
        return notRunning.Count == 0
            ? HealthCheckResult.Healthy($"all {master.Slices.Count} slices running")
            : HealthCheckResult.Unhealthy($"slices not running: {string.Join(", ", notRunning)}");
    }
}
