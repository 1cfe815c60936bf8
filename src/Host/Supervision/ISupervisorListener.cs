namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// Told of every pass of the supervisor's status loop (each status write), from that loop itself: a
/// listener that stops hearing from it knows the loop is stuck (the systemd watchdog relies on this).
/// </summary>
public interface ISupervisorListener
{
    /// <summary>The longest the loop may go between passes for this listener; null: the loop's own pace.</summary>
    TimeSpan? MaxPassInterval { get; }

    /// <summary>One pass, with the status just written. Must not block.</summary>
    void OnPass(StatusSnapshot snapshot);
}
