using System.Diagnostics;

namespace RunnerHost.Hosting.Diagnostics.Tracing;

/// <summary>The activity sources of the host, and the source names a runner process's tracer provider listens to.</summary>
public static class TraceSources
{
    /// <summary>The host's queue runner loop: one consumer span per entry (<c>process QUEUE</c>).</summary>
    public const string RunnerName = "RunnerHost.Runner";

    /// <summary>
    /// The sources listened to by name: the host's and every plugin's that follows the <c>RunnerHost.*</c> naming.
    /// ASP.NET Core's (the rest runner's requests) comes with its instrumentation, <see cref="RestRequestTracing"/>.
    /// </summary>
    public static IReadOnlyList<string> Listened { get; } = ["RunnerHost.*"];

    /// <summary>The runner loop's source. Immutable; without a listener its StartActivity returns null and costs a check.</summary>
    public static ActivitySource Runner { get; } = new(RunnerName);
}
