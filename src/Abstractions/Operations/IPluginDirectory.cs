namespace RunnerHost.Operations;

/// <summary>The plugins the host loaded in this process, as <c>runner-host plugins</c> lists them (added in 2.2).</summary>
public interface IPluginDirectory
{
    /// <summary>Every plugin folder, loaded or not, by name.</summary>
    IReadOnlyList<PluginDescription> Plugins { get; }
}

/// <summary>One plugin folder.</summary>
/// <param name="Name">The folder's (and main assembly's) name.</param>
/// <param name="Version">Its version (the informational version without the commit), or null when it did not load.</param>
/// <param name="RunnerTypes">The full names of its runner types.</param>
/// <param name="Error">Why it did not load, in one line; null when it loaded.</param>
/// <param name="Directory">The deployed folder.</param>
public sealed record PluginDescription(string Name, string? Version, IReadOnlyList<string> RunnerTypes, string? Error, string Directory);
