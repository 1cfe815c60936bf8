using RunnerHost.Hosting.Configuration;

namespace RunnerHost.Hosting.Supervision;

/// <summary>Where the master keeps its lock, pid, status and (detached) log.</summary>
public sealed record MasterPaths(string LockFile, string PidFile, string StatusFile, string LogFile)
{
    public static MasterPaths From(HostPaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return new MasterPaths(
            Path.Combine(paths.LockDir, "master.lck"),
            Path.Combine(paths.VarDir, "master.pid"),
            Path.Combine(paths.VarDir, "master.status.json"),
            Path.Combine(paths.LogDir, "master.log"));
    }

    /// <summary>The pid in the pid file, or null when missing or unreadable (the pid file is informational).</summary>
    public int? ReadPid()
    {
        try
        {
            return int.TryParse(File.ReadAllText(PidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture, out int pid) ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
