namespace RunnerHost.Hosting.Tests.Queues;

/// <summary>A clock the test sets by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
