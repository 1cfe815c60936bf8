using System.Runtime.InteropServices;

namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// Exchanges two directories in one step (Linux <c>renameat2(RENAME_EXCHANGE)</c>): a process watching
/// the plugin folder sees the old version or the new one, never a missing or half-copied folder.
/// .NET has no exchange; two renames would leave the name missing in between.
/// </summary>
internal static partial class DirectorySwap
{
    private const int AtFdCwd = -100;
    private const uint RenameExchange = 2;

    /// <summary>Swaps <paramref name="first"/> and <paramref name="second"/> (both must exist, on one file system).</summary>
    /// <exception cref="IOException">The kernel refused (the error names why).</exception>
    public static void Exchange(string first, string second)
    {
        if (renameat2(AtFdCwd, first, AtFdCwd, second, RenameExchange) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot exchange {first} and {second}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);
}
