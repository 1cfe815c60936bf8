namespace RunnerHost.Hosting.Configuration;

/// <summary>The expanded, absolute directories of <c>[paths]</c>.</summary>
public sealed record HostPaths(string VarDir, string QueueDir, string LogDir, string LockDir, string ArchiveDir, string PluginDir)
{
    /// <summary>Where each <c>[paths]</c> key was set (<c>file:line</c>, <c>&lt;defaults&gt;:N</c> or <c>&lt;env RUNNER_HOST_VAR_DIR&gt;</c>), for errors about the directories.</summary>
    public IReadOnlyDictionary<string, string> Origins { get; init; } = new Dictionary<string, string>();

    /// <summary>The origin of a <c>[paths]</c> key, or a generic text.</summary>
    public string OriginOf(string key) => Origins.TryGetValue(key, out var origin) ? origin : "the configuration";
}
