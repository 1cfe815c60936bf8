namespace RunnerHost.Plugins.Archive;

/// <summary>
/// Creates the archive's folders (0750) and message files (0640), shared with the operator's group
/// only, as the queues are. mkdir and open apply the umask, which can make a mode wider or narrower
/// than intended, so the mode is set explicitly after creation: the same whatever the umask.
/// </summary>
internal static class PrivateFiles
{
    public const UnixFileMode FileMode0640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    public const UnixFileMode DirectoryMode0750 = FileMode0640 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute;

    /// <summary>Creates a directory and its missing parents, each 0750; directories that exist are left as the operator made them.</summary>
    public static void EnsureDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        var missing = new List<string>();
        for (string? directory = Path.GetFullPath(path); directory is not null && !Directory.Exists(directory); directory = Path.GetDirectoryName(directory))
        {
            missing.Add(directory);
        }

        if (missing.Count == 0)
        {
            return;
        }

        // One call for the whole path, so a file in the way fails as CreateDirectory reports it. Another
        // slice may create the same folders at the same moment: the mode set is the same.
        Directory.CreateDirectory(path, DirectoryMode0750);
        foreach (var directory in missing)
        {
            File.SetUnixFileMode(directory, DirectoryMode0750);
        }
    }

    /// <summary>Creates a new file (it must not exist) for writing, 0640.</summary>
    public static FileStream CreateNew(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (OperatingSystem.IsWindows())
        {
            return new FileStream(path, options);
        }

        options.UnixCreateMode = FileMode0640;
        var stream = new FileStream(path, options);
        try
        {
            File.SetUnixFileMode(stream.SafeFileHandle, FileMode0640);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}
