using RunnerHost.Configuration;

namespace RunnerHost.Hosting.Configuration;

/// <summary>
/// Checks the values RunnerHost itself interprets, so that a bad value fails at startup with its
/// file and line instead of when a runner first reads it.
/// </summary>
public static class ConfigurationValidator
{
    /// <summary>The keys allowed in <c>[paths]</c>.</summary>
    public static IReadOnlyList<string> PathKeys { get; } = ["var_dir", "queue_dir", "log_dir", "lock_dir", "archive_dir", "plugin_dir"];

    /// <summary>Rejects unknown keys in <c>[paths]</c>.</summary>
    public static void ValidatePathKeys(IEnumerable<string> keys, Func<string, string> describe)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(describe);
        foreach (var key in keys)
        {
            if (!PathKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw ConfigurationException.ForValue(
                    describe(key), PathVariables.Section, key, $"unknown key (known: {string.Join(", ", PathKeys)}){KeySuggestion.Hint(key, PathKeys)}");
            }
        }
    }

    /// <summary>
    /// Validates the merged values of a runner section or of <c>[runner.master]</c>: every key RunnerHost
    /// reads (<see cref="RunnerKeys"/>). The class is not checked here: an empty class is valid until
    /// something tries to create the runner.
    /// </summary>
    /// <exception cref="ConfigurationException">A value is invalid; the message names file, line, section and key.</exception>
    public static void ValidateRunner(string section, IReadOnlyDictionary<string, string> values, Func<string, string> describe)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(describe);
        var name = section.StartsWith(HostConfigurationFactory.RunnerPrefix, StringComparison.OrdinalIgnoreCase)
            ? section[HostConfigurationFactory.RunnerPrefix.Length..]
            : section;

        // The same parsers and messages as the runner's own reads, with the origins this validation reports.
        var settings = new RunnerSettings(name.Length == 0 ? section : name, values, values.Keys.ToDictionary(k => k, describe, StringComparer.OrdinalIgnoreCase));
        try
        {
            RunnerKeys.Validate(settings);
        }
        catch (ConfigurationValueException ex)
        {
            throw new ConfigurationException(ex.Message, ex);
        }
    }
}
