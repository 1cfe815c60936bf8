using System.Text.Json.Serialization;

namespace RunnerHost.Hosting.Supervision;

/// <summary>The state of one runner slice as status shows it (supervisord's names; lower case in JSON).</summary>
public enum SliceState
{
    /// <summary>Started, not yet reported ready.</summary>
    [JsonStringEnumMemberName("starting")]
    Starting,

    /// <summary>Started, waiting for its previous instance (an orphan of a killed master, a hand-run runner) to release the slice lock.</summary>
    [JsonStringEnumMemberName("waiting")]
    Waiting,

    /// <summary>Ready and running its loop.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>Exited unexpectedly; waiting for its restart delay.</summary>
    [JsonStringEnumMemberName("backoff")]
    Backoff,

    /// <summary>Being stopped by the master.</summary>
    [JsonStringEnumMemberName("stopping")]
    Stopping,

    /// <summary>Budget spent or cannot start; waits for failed_retry_interval or an operator restart.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Stopped by the master (it is shutting down).</summary>
    [JsonStringEnumMemberName("stopped")]
    Stopped,
}
