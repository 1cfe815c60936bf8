using System.Globalization;
using System.Numerics;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// The kernel lock that keeps a slice from running twice at once, across masters and hand-run runners:
/// held by whoever runs the slice (a child process or a thread of the master) for the whole run, taken
/// before the runner recovers its <c>.bak</c> entries, and dropped by the kernel when the holder dies.
/// </summary>
/// <remarks>
/// Slice <c>i</c> of <c>n</c> (a power of two) holds the top log2(n) bits of the digest, so the slices of
/// different counts nest like a binary tree. Each tree node is a file
/// <c>$lock_dir/runner.NAME.I-of-N.lock</c>; a slice takes its own node exclusively (flock LOCK_EX) and
/// every ancestor shared (LOCK_SH). Two slices overlap exactly when one's node is the other's ancestor
/// or the same node, and then one wants LOCK_EX where the other holds a lock: after a change of
/// <c>instances</c>, the new slices wait for the old overlapping ones too. All locks are tried without
/// blocking and released together on a conflict, so two waiters can never deadlock.
/// </remarks>
public sealed class SliceLock : IDisposable
{
    /// <summary>How often a waiting slice tries again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(200);

    // A fixed-width pid record, so a rewrite never leaves the tail of a longer pid behind.
    private const int PidRecordLength = 12;

    private readonly List<SafeFileHandle> _handles;

    private SliceLock(string file, List<SafeFileHandle> handles)
    {
        File = file;
        _handles = handles;
    }

    /// <summary>The slice's own lock file (it holds the holder's pid).</summary>
    public string File { get; }

    /// <summary>The lock file of slice <paramref name="slice"/> of <paramref name="count"/> of a runner.</summary>
    public static string FileOf(string lockDirectory, string runner, int slice, int count)
    {
        ArgumentNullException.ThrowIfNull(lockDirectory);
        ArgumentNullException.ThrowIfNull(runner);
        return Path.Combine(lockDirectory, string.Create(CultureInfo.InvariantCulture, $"runner.{SafeName(runner)}.{slice}-of-{count}.lock"));
    }

    /// <summary>Takes the slice's locks and records our pid, or returns null and says who is in the way.</summary>
    /// <exception cref="IOException">The lock directory or a lock file cannot be created or locked.</exception>
    public static SliceLock? TryAcquire(string lockDirectory, SliceId slice, out SliceLockConflict? conflict)
    {
        ArgumentNullException.ThrowIfNull(lockDirectory);
        ArgumentNullException.ThrowIfNull(slice);
        if (slice.Count < 1 || !BitOperations.IsPow2(slice.Count) || slice.Slice < 0 || slice.Slice >= slice.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(slice), slice, "The slice count must be a power of two and the slice below it.");
        }

        Directory.CreateDirectory(lockDirectory);
        int depth = BitOperations.Log2((uint)slice.Count);
        var handles = new List<SafeFileHandle>(depth + 1);
        try
        {
            // Root first, own node last: every slice takes the nodes it shares with another in the same order.
            for (int level = 0; level <= depth; level++)
            {
                int node = slice.Slice >> (depth - level);
                string file = FileOf(lockDirectory, slice.Runner, node, 1 << level);
                var handle = Posix.OpenLockFile(file);
                handles.Add(handle);
                bool own = level == depth;
                if (!Posix.TryFlock(handle, exclusive: own))
                {
                    conflict = new SliceLockConflict(file, ReadPid(handle));
                    Release(handles);
                    return null;
                }

                if (own)
                {
                    WritePid(handle);
                    conflict = null;
                    return new SliceLock(file, handles);
                }
            }
        }
        catch
        {
            Release(handles);
            throw;
        }

        throw new InvalidOperationException("unreachable");
    }

    /// <summary>
    /// Waits until the slice's locks are free and takes them. <paramref name="onWaiting"/> is called when
    /// the wait begins and whenever the holder changes.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled while waiting.</exception>
    public static async Task<SliceLock> AcquireAsync(string lockDirectory, SliceId slice, Action<SliceLockConflict> onWaiting, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onWaiting);
        SliceLockConflict? reported = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryAcquire(lockDirectory, slice, out var conflict) is { } taken)
            {
                return taken;
            }

            if (conflict != reported)
            {
                reported = conflict;
                onWaiting(conflict!);
            }

            await Task.Delay(RetryInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Releases every lock (closing the files is what releases them).</summary>
    public void Dispose() => Release(_handles);

    private static void Release(List<SafeFileHandle> handles)
    {
        foreach (var handle in handles)
        {
            handle.Dispose();
        }

        handles.Clear();
    }

    private static void WritePid(SafeFileHandle handle)
    {
        string record = Environment.ProcessId.ToString(CultureInfo.InvariantCulture).PadRight(PidRecordLength - 1) + "\n";
        RandomAccess.Write(handle, Encoding.ASCII.GetBytes(record), 0);
    }

    // The pid the last exclusive holder wrote; null when unreadable, out of range or no longer alive
    // (a shared holder, i.e. a finer slice of another count, writes none).
    private static int? ReadPid(SafeFileHandle handle)
    {
        try
        {
            var buffer = new byte[PidRecordLength];
            int read = RandomAccess.Read(handle, buffer, 0);
            string text = Encoding.ASCII.GetString(buffer, 0, read).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0 && Posix.IsAlive(pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    // Runner names come from section names: keep letters, digits, '_' and '-', escape the rest, so a
    // name can never leave the lock directory or collide with another name.
    private static string SafeName(string runner)
    {
        var name = new StringBuilder(runner.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(runner.ToLowerInvariant()))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'_' or (byte)'-')
            {
                name.Append((char)b);
            }
            else
            {
                name.Append(CultureInfo.InvariantCulture, $"%{b:X2}");
            }
        }

        return name.ToString();
    }
}

/// <summary>Why a slice lock is not free: the lock file in the way and the pid recorded in it (null when unknown).</summary>
public sealed record SliceLockConflict(string File, int? HolderPid);
