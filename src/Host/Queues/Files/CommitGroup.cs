namespace RunnerHost.Hosting.Queues.Files;

/// <summary>One caller waiting in a <see cref="CommitGroup{TMember}"/>.</summary>
public abstract class CommitGroupMember
{
    /// <summary>Why this member's part of its round failed; null when it succeeded.</summary>
    public Exception? Error { get; set; }

    // true: its round is done (see Error); false: lead the next round. Continuations run on the
    // pool, not inside the leader's flushes.
    internal TaskCompletionSource<bool> Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// The leadership of a group commit: callers join; the first leads a round over everyone waiting,
/// and hands the lead to the first who joined meanwhile. Nobody returns before its round is over.
/// Shared by <see cref="EnqueueGroupCommit"/> (file and directory fsyncs) and the journal's appends.
/// </summary>
/// <param name="round">Runs one round; an exception fails every member of it that has no error yet.</param>
/// <param name="beforeRound">Runs when a leader starts, before it takes the round (for waiting for company).</param>
public sealed class CommitGroup<TMember>(Action<List<TMember>> round, Action? beforeRound = null)
    where TMember : CommitGroupMember
{
    private readonly Lock _lock = new();
    private readonly List<TMember> _pending = [];
    private bool _leaderActive;
    private bool _closed;

    /// <summary>How many wait for the next round.</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Joins; returns when the member's round is over (see <see cref="CommitGroupMember.Error"/>).</summary>
    /// <exception cref="ObjectDisposedException">The group was closed.</exception>
    public async Task JoinAsync(TMember member)
    {
        ArgumentNullException.ThrowIfNull(member);
        bool lead;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            _pending.Add(member);
            lead = !_leaderActive;
            _leaderActive = true;
        }

        if (lead || !await member.Turn.Task.ConfigureAwait(false))
        {
            LeadRound();
        }
    }

    /// <summary>Waits until no round runs, then refuses new members for good and runs <paramref name="last"/> alone (once: a second close does nothing).</summary>
    public void Close(Action last)
    {
        ArgumentNullException.ThrowIfNull(last);
        var spin = new SpinWait();
        while (true)
        {
            lock (_lock)
            {
                if (_closed)
                {
                    return;
                }

                if (!_leaderActive)
                {
                    _leaderActive = true;
                    _closed = true;
                    break;
                }
            }

            spin.SpinOnce();
        }

        last();
    }

    private void LeadRound()
    {
        beforeRound?.Invoke();
        List<TMember> members;
        lock (_lock)
        {
            members = [.. _pending];
            _pending.Clear();
        }

        try
        {
            round(members);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Anything unforeseen fails the round's members instead of stranding the group with a
            // leader that never hands over; the next caller leads afresh.
            foreach (var member in members)
            {
                member.Error ??= ex;
            }
        }

        TMember? next = null;
        lock (_lock)
        {
            if (_pending.Count > 0)
            {
                next = _pending[0];
            }
            else
            {
                _leaderActive = false;
            }
        }

        foreach (var member in members)
        {
            // TrySet: the member that was handed this round's lead had its turn set already.
            member.Turn.TrySetResult(true);
        }

        // Handing over (rather than leading again) lets this caller return at once.
        next?.Turn.SetResult(false);
    }
}
