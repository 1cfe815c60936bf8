using System.Diagnostics;

namespace RunnerHost.Hosting.Diagnostics.Tracing;

/// <summary>The activity sources of the host, and the source names a runner process's tracer provider listens to.</summary>
public static class TraceSources
{
    /// <summary>The host's queue runner loop: one consumer span per entry (<c>process QUEUE</c>).</summary>
    public const string RunnerName = "RunnerHost.Runner";

    /// <summary>ASP.NET Core's own source: one server span per REST request (the rest runner), with no code of ours.</summary>
    public const string AspNetCoreName = "Microsoft.AspNetCore";

    /// <summary>Every source listened to: the host's, every plugin's that follows the <c>RunnerHost.*</c> naming, and ASP.NET Core's.</summary>
    public static IReadOnlyList<string> Listened { get; } = ["RunnerHost.*", AspNetCoreName];

    /// <summary>The runner loop's source. Immutable; without a listener its StartActivity returns null and costs a check.</summary>
    public static ActivitySource Runner { get; } = new(RunnerName);
}
