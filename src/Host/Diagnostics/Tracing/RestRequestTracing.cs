using Microsoft.AspNetCore.Http;
using OpenTelemetry.Trace;

namespace RunnerHost.Hosting.Diagnostics.Tracing;

/// <summary>
/// REST requests (the rest runner, or any plugin serving ASP.NET Core) as server spans. ASP.NET Core makes the span
/// itself; its instrumentation names it <c>METHOD ROUTE</c> and adds the HTTP semantic-convention tags, which the
/// bare framework span lacks. The plugin's ASP.NET Core is the shared framework the host loads, so one subscription
/// here sees the plugin's requests.
/// </summary>
internal static class RestRequestTracing
{
    public static TracerProviderBuilder Add(TracerProviderBuilder builder) =>
        builder.AddAspNetCoreInstrumentation(options => options.Filter = context => !IsPolling(context.Request.Path));

    /// <summary>
    /// Health probes and metrics scrapes come from machines every few seconds and belong to no post: a span each
    /// would bury the traces operators look for.
    /// </summary>
    internal static bool IsPolling(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase);
}
