using RunnerHost.Hosting.Plugins;

namespace RunnerHost.Hosting.Supervision;

/// <summary>One run of one slice, in a child process or a task of the master.</summary>
public interface ISliceWorker : IAsyncDisposable
{
    /// <summary>The process running the slice (the master's own pid for a thread), once started.</summary>
    int? Pid { get; }

    /// <summary>True once the runner was created and reported ready.</summary>
    bool IsReady { get; }

    /// <summary>Set while the slice waits for its previous instance to release the slice lock; null otherwise.</summary>
    SliceWait? Waiting { get; }

    /// <summary>The last heartbeat, or null before the first.</summary>
    Heartbeat? Heartbeat { get; }

    /// <summary>
    /// Raised, on any thread, when <see cref="IsReady"/> or <see cref="Waiting"/> changed: the supervisor
    /// shows the new state at once instead of at its next poll.
    /// </summary>
    event Action? Reported;

    /// <summary>The runner's plugin, its version and the last reload's error, once known (docs/plugins.md, "Reload").</summary>
    PluginRunState? Plugin => null;

    /// <summary>Completes when the run ended, with how it ended (or when it was abandoned); never faults.</summary>
    Task<WorkerExit> Completion { get; }

    void Start();

    /// <summary>Graceful stop: finish or return the message in hand within the runner's stop_timeout.</summary>
    void RequestStop();

    /// <summary>
    /// Hard stop: SIGKILL for a process. A thread cannot be killed: its hook is cancelled and the thread
    /// abandoned (<see cref="Completion"/> completes at once; the slice lock stays held until the thread
    /// really returns or the process exits). <paramref name="watchdog"/> marks the exit as a watchdog kill.
    /// </summary>
    void Kill(bool watchdog);

    /// <summary>Asks the slice to reopen its log files.</summary>
    void Reopen();
}
