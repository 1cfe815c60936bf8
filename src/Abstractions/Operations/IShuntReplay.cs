namespace RunnerHost.Operations;

/// <summary>
/// The host's shunt replay (the <c>unshunt</c> command's), offered to plugins: each entry's exact bytes
/// go to its <c>whichq</c> (default <c>in</c>) with the replay metadata (<c>error</c> moved to
/// <c>last_error</c>, <c>whichq</c> removed, <c>replayed_from</c>, <c>replay_count</c> + 1), are recorded
/// in the host's replay journal (<c>$var_dir/replayed.journal</c>) and only then leave shunt. An entry already in the journal is
/// refused, so a message is never replayed twice. Replays of one process run one at a time.
/// </summary>
public interface IShuntReplay
{
    /// <summary>Replays the shunt entry <paramref name="filebase"/>.</summary>
    /// <param name="filebase">The entry's name in shunt (<c>&lt;time&gt;+&lt;40 hex&gt;</c>).</param>
    /// <param name="cancellationToken">Stops before the entry is taken.</param>
    /// <returns>What happened to the entry.</returns>
    /// <exception cref="InvalidOperationException">The host has no shunt queue.</exception>
    Task<ShuntReplayOutcome> ReplayAsync(string filebase, CancellationToken cancellationToken = default);

    /// <summary>Replays every entry in shunt, in FIFO order; a failed entry stays in shunt and the others go on.</summary>
    /// <param name="cancellationToken">Stops before the next entry is taken.</param>
    /// <returns>One outcome per entry, in the order they were tried.</returns>
    /// <exception cref="InvalidOperationException">The host has no shunt queue.</exception>
    Task<IReadOnlyList<ShuntReplayOutcome>> ReplayAllAsync(CancellationToken cancellationToken = default);
}

/// <summary>What a replay did with one shunt entry.</summary>
/// <param name="Filebase">The entry's name in shunt.</param>
/// <param name="Status">The result.</param>
/// <param name="Queue">The queue it went (or was to go) back to; null when that was not known.</param>
/// <param name="NewFilebase">Its name in <paramref name="Queue"/> when replayed, else null.</param>
/// <param name="Problem">Why it was not replayed (one line), or null when it was.</param>
public sealed record ShuntReplayOutcome(string Filebase, ShuntReplayStatus Status, string? Queue = null, string? NewFilebase = null, string? Problem = null);

/// <summary>The result of replaying one shunt entry. Every status but <see cref="Replayed"/> leaves the entry where it was.</summary>
public enum ShuntReplayStatus
{
    /// <summary>Enqueued into its queue as <see cref="ShuntReplayOutcome.NewFilebase"/> and removed from shunt.</summary>
    Replayed,

    /// <summary>No such entry in shunt (never there, already gone, or taken by another process).</summary>
    NotFound,

    /// <summary>The journal says it was replayed before; refused so that it is not delivered twice.</summary>
    AlreadyReplayed,

    /// <summary>Its queue (<c>whichq</c>) does not exist in this host.</summary>
    NoSuchQueue,

    /// <summary>Unreadable, or the enqueue failed; <see cref="ShuntReplayOutcome.Problem"/> says why.</summary>
    Failed,
}
