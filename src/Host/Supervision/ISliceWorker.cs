using RunnerHost.Host.Plugins;

namespace RunnerHost.Host.Supervision;

/// <summary>One run of one slice, in a child process or a task of the master.</summary>
public interface ISliceWorker : IAsyncDisposable
{
    /// <summary>The process running the slice (the master's own pid for a thread), once started.</summary>
    int? Pid { get; }

    /// <summary>True once the runner was created and reported ready.</summary>
    bool IsReady { get; }

    /// <summary>The last heartbeat, or null before the first.</summary>
    Heartbeat? Heartbeat { get; }

    /// <summary>The runner's plugin, its version and the last reload's error, once known (docs/plugins.md, "Reload").</summary>
    PluginRunState? Plugin => null;

    /// <summary>Completes when the run ended, with how it ended; never faults.</summary>
    Task<WorkerExit> Completion { get; }

    void Start();

    /// <summary>Graceful stop: finish or return the message in hand within the runner's stop_timeout.</summary>
    void RequestStop();

    /// <summary>Hard stop (SIGKILL for a process); <paramref name="watchdog"/> marks the exit as a watchdog kill.</summary>
    void Kill(bool watchdog);

    /// <summary>Asks the slice to reopen its log files.</summary>
    void Reopen();
}
