namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// At most <c>max_restarts</c> restarts within a sliding <c>restart_window</c> (Erlang's restart
/// intensity); without a window the count is a lifetime count, as in Mailman.
/// </summary>
public sealed class RestartBudget
{
    private readonly Queue<DateTimeOffset> _restarts = new();

    /// <param name="maxRestarts">Restarts allowed in the window; 0 = never restart.</param>
    /// <param name="window">The sliding window; null = lifetime.</param>
    public RestartBudget(int maxRestarts, TimeSpan? window)
    {
        MaxRestarts = Math.Max(0, maxRestarts);
        Window = window;
    }

    public int MaxRestarts { get; }

    public TimeSpan? Window { get; }

    /// <summary>Restarts counted in the window ending at <paramref name="now"/>.</summary>
    public int Count(DateTimeOffset now)
    {
        Expire(now);
        return _restarts.Count;
    }

    /// <summary>Records a restart at <paramref name="now"/>; false (and nothing recorded) when the budget is spent.</summary>
    public bool TryRecord(DateTimeOffset now)
    {
        Expire(now);
        if (_restarts.Count >= MaxRestarts)
        {
            return false;
        }

        _restarts.Enqueue(now);
        return true;
    }

    /// <summary>Forgets every restart: the runner has been stable.</summary>
    public void Reset() => _restarts.Clear();

    private void Expire(DateTimeOffset now)
    {
        if (Window is not { } window)
        {
            return;
        }

        while (_restarts.TryPeek(out var oldest) && now - oldest >= window)
        {
            _restarts.Dequeue();
        }
    }
}
