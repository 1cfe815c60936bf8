using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RunnerHost.Plugins.Rest.Health;

/// <summary>Ready needs <c>var_dir</c>: the master's status file, the metrics files and the file queues live there.</summary>
internal sealed class VarDirHealthCheck(RestOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // Listing proves the directory exists and is readable.
            _ = Directory.EnumerateFileSystemEntries(options.VarDir).Take(1).Count();
            return Task.FromResult(HealthCheckResult.Healthy($"var_dir ({options.VarDir}) can be listed"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"var_dir ({options.VarDir}): {ex.Message}"));
        }
    }
}
