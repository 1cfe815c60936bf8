using System.Text.Json;

namespace RunnerHost.Hosting.Supervision;

/// <summary>What the master writes to <c>$var_dir/master.status.json</c> (and <c>status --json</c> prints, with queue figures added).</summary>
/// <param name="MasterPid">The master's pid.</param>
/// <param name="MasterStartedAt">When the master started.</param>
/// <param name="UpdatedAt">When the master wrote this.</param>
/// <param name="Stopping">The master is stopping.</param>
/// <param name="Slices">Every runner slice.</param>
/// <param name="ShuntDepth">Entries in the shunt queue; added by <c>status</c> (the master does not write it).</param>
public sealed record StatusSnapshot(int MasterPid, DateTimeOffset MasterStartedAt, DateTimeOffset UpdatedAt, bool Stopping, IReadOnlyList<SliceStatus> Slices, int? ShuntDepth = null)
{
    public string ToJson() => JsonSerializer.Serialize(this, SupervisionJson.Default.StatusSnapshot);

    public static StatusSnapshot? TryRead(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, SupervisionJson.Default.StatusSnapshot);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes atomically (temp file + rename), so a reader never sees half a file.</summary>
    public void WriteAtomically(string path)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, ToJson());
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>
/// One slice in the status. <c>NextStartAt</c>: when a slice in backoff starts again, or when a failed
/// one is retried (failed_retry_interval). <c>WaitingForPid</c>: while waiting, the pid its previous
/// instance recorded in the slice lock; <c>WaitingFor</c>: what else it waits for, in one line (the queue back end, or the host and pid holding the slice). <c>Plugin</c> and <c>PluginVersion</c>: the runner's plugin and
/// the version running; <c>PluginError</c>: why the last reload of it failed while that version runs on.
/// </summary>
public sealed record SliceStatus(
    string Runner,
    int Slice,
    int Count,
    string Isolation,
    SliceState State,
    int? Pid,
    DateTimeOffset? StartedAt,
    int RestartsInWindow,
    int MaxRestarts,
    string? LastExit,
    string? FailureReason,
    DateTimeOffset? NextStartAt,
    DateTimeOffset? LastLoop,
    string? InFlight,
    DateTimeOffset? InFlightSince,
    string? QueueDirectory,
    int? QueueDepth = null,
    double? OldestEntryAgeSeconds = null,
    int? WaitingForPid = null,
    string? WaitingFor = null,
    string? Plugin = null,
    string? PluginVersion = null,
    string? PluginError = null);
