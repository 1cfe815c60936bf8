using System.Runtime.InteropServices;

namespace RunnerHost.Host.Supervision;

/// <summary>The few libc calls the master needs (signals to other processes, a new session, fd redirection).</summary>
internal static partial class Posix
{
    public const int SigHup = 1;
    public const int SigKill = 9;
    public const int SigUsr1 = 10;
    public const int SigTerm = 15;

    private const int Esrch = 3;

    /// <summary>Sends a signal; false when the process does not exist.</summary>
    public static bool SendSignal(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>True while a process with this pid exists (a zombie counts until reaped).</summary>
    public static bool IsAlive(int pid) => pid > 0 && (kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() != Esrch);

    /// <summary>Detaches from the controlling terminal and the caller's process group.</summary>
    public static void NewSession() => _ = setsid();

    /// <summary>Points stdout and stderr at a file (appending), for a detached master.</summary>
    public static void RedirectOutput(string path)
    {
        const int OWronly = 1, OCreat = 64, OAppend = 1024;
        int fd = open(path, OWronly | OCreat | OAppend, 420 /* 0644 */);
        if (fd < 0)
        {
            throw new IOException($"cannot open {path}: errno {Marshal.GetLastPInvokeError()}");
        }

        _ = dup2(fd, 1);
        _ = dup2(fd, 2);
        _ = close(fd);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
    private static partial int setsid();

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static partial int dup2(int oldFd, int newFd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);
}
