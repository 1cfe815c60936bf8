namespace RunnerHost.Host.Configuration;

/// <summary>The expanded, absolute directories of <c>[paths]</c>.</summary>
public sealed record HostPaths(string VarDir, string QueueDir, string LogDir, string LockDir, string ArchiveDir, string PluginDir);
