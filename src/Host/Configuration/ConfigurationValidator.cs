using System.Globalization;
using RunnerHost.Configuration;

namespace RunnerHost.Host.Configuration;

/// <summary>
/// Checks the values RunnerHost itself interprets, so that a bad value fails at startup with its
/// file and line instead of when a runner first reads it.
/// </summary>
public static class ConfigurationValidator
{
    /// <summary>The keys allowed in <c>[paths]</c>.</summary>
    public static IReadOnlyList<string> PathKeys { get; } = ["var_dir", "queue_dir", "log_dir", "lock_dir", "archive_dir", "plugin_dir"];

    private static readonly string[] _durationKeys = ["sleep_time", "requeue_backoff", "requeue_backoff_max"];
    private static readonly string[] _booleanKeys = ["start", "fsync"];

    /// <summary>Rejects unknown keys in <c>[paths]</c>.</summary>
    public static void ValidatePathKeys(IEnumerable<string> keys, Func<string, string> describe)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(describe);
        foreach (var key in keys)
        {
            if (!PathKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw ConfigurationException.ForValue(describe(key), PathVariables.Section, key, $"unknown key (known: {string.Join(", ", PathKeys)})");
            }
        }
    }

    /// <summary>
    /// Validates the merged values of a runner section or of <c>[runner.master]</c>. The class is not
    /// checked here: an empty class is valid until something tries to create the runner.
    /// </summary>
    public static void ValidateRunner(string section, IReadOnlyDictionary<string, string> values, Func<string, string> describe)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(describe);

        ConfigurationException Fail(string key, string problem) => ConfigurationException.ForValue(describe(key), section, key, problem);

        if (values.TryGetValue("instances", out var instancesText))
        {
            if (!ConfigValue.TryParseInt32(instancesText, out var instances))
            {
                throw Fail("instances", $"'{instancesText}' is not an integer");
            }

            if (instances < 1 || (instances & (instances - 1)) != 0)
            {
                throw Fail("instances", $"{instances.ToString(CultureInfo.InvariantCulture)} is not a power of two (1, 2, 4, 8, ...)");
            }
        }

        foreach (var key in _durationKeys)
        {
            if (values.TryGetValue(key, out var text) && !ConfigValue.TryParseDuration(text, out _))
            {
                throw Fail(key, $"'{text}' is not a duration such as 1s, 0.5s, 2m or 1h30m");
            }
        }

        foreach (var key in _booleanKeys)
        {
            if (values.TryGetValue(key, out var text) && !ConfigValue.TryParseBoolean(text, out _))
            {
                throw Fail(key, $"'{text}' is not a boolean (yes/no, true/false, on/off, 1/0)");
            }
        }

        if (values.TryGetValue("max_restarts", out var restarts) && !(ConfigValue.TryParseInt32(restarts, out var budget) && budget >= 0))
        {
            throw Fail("max_restarts", $"'{restarts}' is not a non-negative integer");
        }
    }
}
