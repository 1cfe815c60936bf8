using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RunnerHost.Hosting.Supervision;

/// <summary>The few libc calls the master needs (signals to other processes, a new session, fd redirection, flock). Linux values.</summary>
internal static partial class Posix
{
    public const int SigHup = 1;
    public const int SigKill = 9;
    public const int SigUsr1 = 10;
    public const int SigTerm = 15;

    private const int Esrch = 3;
    private const int Eintr = 4;
    private const int Ewouldblock = 11;
    private const int LockShared = 1;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;

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

    /// <summary>
    /// Opens (creating, mode 0640) a file to hold an flock on. Not through <see cref="FileStream"/>, which
    /// takes an flock of its own on open (and none at all under DOTNET_SYSTEM_IO_DISABLEFILELOCKING).
    /// O_CLOEXEC: a child process must never inherit, and so keep, the lock.
    /// </summary>
    public static SafeFileHandle OpenLockFile(string path)
    {
        const int ORdwr = 2, OCreat = 64, OCloexec = 0x80000;
        int fd = open(path, ORdwr | OCreat | OCloexec, 416 /* 0640 */);
        if (fd < 0)
        {
            throw new IOException($"cannot open the lock file {path}: errno {Marshal.GetLastPInvokeError()}");
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// flock without waiting: true when taken (or converted), false when another open file description
    /// holds a conflicting lock. flock locks belong to the open file description, so two opens of one file
    /// in one process exclude each other, and the kernel drops them when the last descriptor closes.
    /// </summary>
    public static bool TryFlock(SafeFileHandle handle, bool exclusive)
    {
        ArgumentNullException.ThrowIfNull(handle);
        while (true)
        {
            if (flock(handle, (exclusive ? LockExclusive : LockShared) | LockNonBlocking) == 0)
            {
                return true;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Ewouldblock)
            {
                return false;
            }

            if (errno != Eintr)
            {
                throw new IOException($"flock failed: errno {errno}");
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int flock(SafeFileHandle fd, int operation);

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
