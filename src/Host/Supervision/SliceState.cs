using System.Text.Json.Serialization;

namespace RunnerHost.Host.Supervision;

/// <summary>The state of one runner slice as status shows it (supervisord's names; lower case in JSON).</summary>
public enum SliceState
{
    /// <summary>Started, not yet reported ready.</summary>
    [JsonStringEnumMemberName("starting")]
    Starting,

    /// <summary>Ready and running its loop.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>Exited unexpectedly; waiting for its restart delay.</summary>
    [JsonStringEnumMemberName("backoff")]
    Backoff,

    /// <summary>Being stopped by the master.</summary>
    [JsonStringEnumMemberName("stopping")]
    Stopping,

    /// <summary>Budget spent or cannot start; waits for an operator restart.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Stopped cleanly; not restarted.</summary>
    [JsonStringEnumMemberName("stopped")]
    Stopped,
}
