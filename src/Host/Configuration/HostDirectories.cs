using System.Runtime.InteropServices;

namespace RunnerHost.Hosting.Configuration;

/// <summary>What a command does under <c>var_dir</c>: only read (status, queues, ...), or also write (inject, runner, start, ...).</summary>
public enum VarAccess
{
    /// <summary>Reads only: creates nothing, and a group member without write access may run it.</summary>
    ReadOnly,

    /// <summary>Writes: the directories are created when missing and must be writable.</summary>
    ReadWrite,
}

/// <summary>
/// The directories of <c>[paths]</c> a command uses, checked before anything else so that a bad
/// <c>var_dir</c> is one line naming it and exit 3, from every command. What the host creates under
/// them is 0750 (directories) and 0640 (files), whatever the caller's umask.
/// </summary>
public static partial class HostDirectories
{
    /// <summary>rwxr-x---: the operator's group may look, nobody else.</summary>
    public const UnixFileMode DirectoryMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    /// <summary>rw-r-----.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    // umask 027: whatever the process creates without an explicit mode is at most 0750/0640.
    private const uint CreationMask = 0x17; // 0o027
    private const int AccessWrite = 2;
    private const int AccessExecute = 1;

    /// <summary>The <c>[paths]</c> keys commands use, checked in this order (var_dir first: the others usually live in it).</summary>
    private static readonly string[] _checkedKeys = ["var_dir", "queue_dir", "log_dir", "lock_dir"];

    /// <summary>
    /// Sets the process's file creation mask to 027, so that every file and directory the host and its
    /// plugins create (logs, queue entries, pid and status files, archives) is at most 0750/0640 and the
    /// runner processes it starts inherit it. Mailman sets its umask (007) the same way.
    /// </summary>
    public static void RestrictFileCreationMask()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = Umask(CreationMask);
        }
    }

    /// <summary>
    /// Checks <c>var_dir</c>, <c>queue_dir</c>, <c>log_dir</c> and <c>lock_dir</c>. For a writing command each
    /// is created (0750) when missing and must be a writable directory; for a reading command nothing is
    /// created, an existing one must be a directory, and a missing one must be creatable.
    /// </summary>
    /// <exception cref="ConfigurationException">One line: <c>origin: var_dir PATH is not a writable directory: why</c>.</exception>
    public static void Check(HostPaths paths, VarAccess access)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var key in _checkedKeys)
        {
            string path = key switch
            {
                "var_dir" => paths.VarDir,
                "queue_dir" => paths.QueueDir,
                "log_dir" => paths.LogDir,
                _ => paths.LockDir,
            };
            if (Problem(path, access) is { } problem)
            {
                throw new ConfigurationException($"{paths.OriginOf(key)}: {key} {path} is not a writable directory: {problem}");
            }
        }
    }

    /// <summary>Creates <paramref name="path"/> and any missing parent as 0750, whatever the umask.</summary>
    public static void CreateDirectory(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        var missing = new List<string>();
        for (string? current = Path.GetFullPath(path); current is not null && !Directory.Exists(current); current = Path.GetDirectoryName(current))
        {
            missing.Add(current);
        }

        Directory.CreateDirectory(path, DirectoryMode);
        foreach (var created in missing)
        {
            // mkdir's mode is cut by the umask; chmod is not.
            File.SetUnixFileMode(created, DirectoryMode);
        }
    }

    /// <summary>Creates the file <paramref name="path"/> empty as 0640 (whatever the umask) unless it exists; returns whether it was created.</summary>
    public static bool CreateFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.ReadWrite | FileShare.Delete };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        try
        {
            using var stream = new FileStream(path, options);
        }
        catch (IOException) when (File.Exists(path))
        {
            return false; // another process was first
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, FileMode);
        }

        return true;
    }

    /// <summary>Whether this process may append to <paramref name="file"/>: it exists and is writable, or its directory exists and is writable.</summary>
    public static bool CanAppend(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (File.Exists(file))
        {
            return OperatingSystem.IsWindows() || Access(file, AccessWrite) == 0;
        }

        return Path.GetDirectoryName(file) is { } directory && !Directory.Exists(file) && Directory.Exists(directory) && IsWritable(directory);
    }

    private static string? Problem(string path, VarAccess access)
    {
        if (Directory.Exists(path))
        {
            return access == VarAccess.ReadWrite && !IsWritable(path) ? $"no write permission ({Describe(path)})" : null;
        }

        if (File.Exists(path))
        {
            return "it is a file";
        }

        if (LinkTarget(path) is { } target)
        {
            return $"it is a symbolic link to {target}, which does not exist";
        }

        // Missing: the nearest existing ancestor decides whether it can be created.
        string? ancestor = Path.GetDirectoryName(path);
        while (ancestor is not null && !Directory.Exists(ancestor) && !File.Exists(ancestor))
        {
            ancestor = Path.GetDirectoryName(ancestor);
        }

        if (ancestor is not null && File.Exists(ancestor))
        {
            return $"it cannot be created: {ancestor} is a file";
        }

        if (ancestor is not null && !IsWritable(ancestor))
        {
            return $"it does not exist and cannot be created: no write permission in {ancestor} ({Describe(ancestor)})";
        }

        if (access == VarAccess.ReadOnly)
        {
            return null; // would be created by the first command that writes
        }

        try
        {
            CreateDirectory(path);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"it cannot be created: {ex.Message}";
        }
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // a parent is missing or a file: the walk up tells which
        }
    }

    private static bool IsWritable(string directory) =>
        OperatingSystem.IsWindows() || Access(directory, AccessWrite | AccessExecute) == 0;

    private static string Describe(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return "read-only";
        }

        var mode = (int)File.GetUnixFileMode(path);
        return $"mode {Convert.ToString(mode, 8).PadLeft(4, '0')}";
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Access(string path, int mode);
}
