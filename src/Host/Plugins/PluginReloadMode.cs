using RunnerHost.Configuration;

namespace RunnerHost.Hosting.Plugins;

/// <summary>When a running runner reloads its plugin (<c>plugin_reload</c> in <c>[runner.NAME]</c>, docs/plugins.md).</summary>
public enum PluginReloadMode
{
    /// <summary>When the deployed files change and settle, and on <c>runner-host plugins reload NAME</c> (the default).</summary>
    Auto,

    /// <summary>Only on <c>runner-host plugins reload NAME</c>: deploy at leisure, then reload.</summary>
    Manual,
}

/// <summary>Reads <c>plugin_reload</c>.</summary>
public static class PluginReloadModes
{
    public const string Key = "plugin_reload";

    /// <exception cref="ConfigurationValueException">Neither auto nor manual; names file and line.</exception>
    public static PluginReloadMode FromSettings(RunnerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.GetString(Key)?.Trim().ToUpperInvariant() switch
        {
            null or "" or "AUTO" => PluginReloadMode.Auto,
            "MANUAL" => PluginReloadMode.Manual,
            var other => throw new ConfigurationValueException(settings.Describe(Key, $"'{other.ToLowerInvariant()}' is not auto or manual")),
        };
    }
}
