namespace RunnerHost.Hosting.Supervision;

/// <summary>How the control commands reach a running master: the lock says whether one runs, the pid file which pid, signals carry the request.</summary>
public sealed class MasterClient(MasterPaths paths)
{
    public MasterPaths Paths { get; } = paths;

    /// <summary>The running master's pid; null when none runs. When the lock is held but the pid is unknown yet, waits briefly.</summary>
    public async Task<int?> FindAsync(CancellationToken cancellationToken)
    {
        for (int i = 0; i < 40 && MasterLock.IsHeld(Paths.LockFile); i++)
        {
            if (Paths.ReadPid() is { } pid && Posix.IsAlive(pid))
            {
                return pid;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>
    /// True once the master is gone: its lock released (the master drops it last, after every runner
    /// stopped), or its process exited, even when it is a zombie that its parent has not reaped.
    /// </summary>
    public bool IsGone(int pid) => !MasterLock.IsHeld(Paths.LockFile) || ProcessState.HasExited(pid);

    /// <summary>True once the process has exited (absent, or a zombie not reaped by its parent).</summary>
    public static bool HasExited(int pid) => ProcessState.HasExited(pid);

    public static bool Signal(int pid, int signal) => Posix.SendSignal(pid, signal);
}
