using System.Text.Json;
using System.Text.Json.Serialization;

namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// What <c>status --json</c> prints: the same keys whether the master runs or not (absent facts are
/// null, never left out), so that a script reads one shape.
/// </summary>
public sealed record StatusReport(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] bool Running,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? MasterPid,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? MasterStartedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] bool Stopping,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? ShuntDepth,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] IReadOnlyList<SliceStatus> Slices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] IReadOnlyDictionary<string, int> Strays)
{
    /// <summary>Where the queues are and whether they can be reached now.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public QueueBackendState? QueueBackend { get; init; }

    /// <summary>
    /// The report of a running master: its status file (null when not written yet) with the queue figures
    /// added, among them <paramref name="strays"/>: per queue with any, the files no runner processes.
    /// </summary>
    public static StatusReport Of(int? pid, StatusSnapshot? snapshot, int? shuntDepth, IReadOnlyDictionary<string, int> strays) => snapshot is null
        ? new StatusReport(pid is not null, pid, null, null, false, shuntDepth, [], strays)
        : new StatusReport(true, snapshot.MasterPid, snapshot.MasterStartedAt, snapshot.UpdatedAt, snapshot.Stopping, shuntDepth, snapshot.Slices, strays);

    public string ToJson() => JsonSerializer.Serialize(this, SupervisionJson.Default.StatusReport);
}

/// <summary>The queue back end as <c>status</c> reports it: its kind, its servers (JetStream), and why it cannot be used now (null when it can).</summary>
public sealed record QueueBackendState(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string Backend,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] IReadOnlyList<string> Servers,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Problem);
