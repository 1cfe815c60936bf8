namespace RunnerHost.Host.Supervision;

/// <summary>The state of one runner slice as status shows it (supervisord's names).</summary>
public enum SliceState
{
    /// <summary>Started, not yet reported ready.</summary>
    Starting,

    /// <summary>Ready and running its loop.</summary>
    Running,

    /// <summary>Exited unexpectedly; waiting for its restart delay.</summary>
    Backoff,

    /// <summary>Being stopped by the master.</summary>
    Stopping,

    /// <summary>Budget spent or cannot start; waits for an operator restart.</summary>
    Failed,

    /// <summary>Stopped cleanly; not restarted.</summary>
    Stopped,
}
