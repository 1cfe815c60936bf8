namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// What a running slice runs: its runner's plugin and version, and why the last reload of it failed
/// (null once a reload succeeded), for <c>status</c>.
/// </summary>
public sealed record PluginRunState(string Plugin, string? Version, string? ReloadError);
