namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// A resettable signal a waiter can put beside other tasks in <c>Task.WhenAny</c>: <see cref="Set"/>
/// (from any thread) completes the current <see cref="Task"/>; <see cref="Reset"/> arms a new one once
/// the waiter took note. A <see cref="Set"/> after <see cref="Reset"/> is never lost.
/// </summary>
internal sealed class WakeSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _current = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Task
    {
        get
        {
            lock (_gate)
            {
                return _current.Task;
            }
        }
    }

    public void Set()
    {
        lock (_gate)
        {
            _current.TrySetResult();
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            if (_current.Task.IsCompleted)
            {
                _current = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }
}
