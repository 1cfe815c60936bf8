using System.Globalization;
using System.Numerics;
using RunnerHost.Configuration;

namespace RunnerHost.Hosting.Configuration;

/// <summary>
/// The keys RunnerHost itself reads from a <c>[runner.NAME]</c> section (and <c>[runner.master]</c>),
/// each with the check of its value. Every other key of a runner section belongs to the runner's plugin.
/// </summary>
public static class RunnerKeys
{
    /// <summary>
    /// The most slices one runner may have. Each slice is a process (or a thread) of its own that scans
    /// the queue directory; far beyond the machine's cores they only contend for it.
    /// </summary>
    public const int MaxInstances = 64;

    private static readonly (string Name, Action<RunnerSettings, string> Check)[] _keys =
    [
        ("class", NoCheck),
        ("path", NoCheck),
        ("instances", CheckInstances),
        ("start", CheckBoolean),
        ("fsync", CheckBoolean),
        ("max_restarts", CheckNonNegative),
        ("sleep_time", CheckDuration),
        ("requeue_backoff", CheckDuration),
        ("requeue_backoff_max", CheckDuration),
        ("stop_timeout", CheckDuration),
        ("isolation", CheckIsolation),
        ("restart_backoff", CheckDuration),
        ("restart_backoff_max", CheckDuration),
        ("restart_window", CheckDuration),
        ("stable_uptime", CheckDuration),
        ("kill_timeout", CheckDuration),
        ("dispose_timeout", CheckDurationOrOff),
        ("failed_retry_interval", CheckFailedRetryInterval),
        ("plugin_reload", CheckPluginReload),
        // One size limit for every runner that accepts messages (LMTP, REST inject); each checks its range.
        ("max_message_size", NoCheck),
    ];

    private static readonly HashSet<string> _names = new(_keys.Select(k => k.Name), StringComparer.OrdinalIgnoreCase);

    /// <summary>Every key RunnerHost reads from a runner section, in documentation order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. _keys.Select(k => k.Name)];

    /// <summary>Whether RunnerHost itself reads <paramref name="key"/> (case-insensitive).</summary>
    public static bool IsHostKey(string key) => _names.Contains(key);

    /// <summary>Checks the value of every host key set in <paramref name="settings"/>.</summary>
    /// <exception cref="ConfigurationValueException">A value is invalid; the message names file, line, section and key.</exception>
    public static void Validate(RunnerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var (key, check) in _keys)
        {
            if (settings.GetString(key) is not null)
            {
                check(settings, key);
            }
        }
    }

    private static void NoCheck(RunnerSettings settings, string key)
    {
    }

    private static void CheckBoolean(RunnerSettings settings, string key) => settings.GetBoolean(key, false);

    private static void CheckDuration(RunnerSettings settings, string key) => settings.GetDuration(key, TimeSpan.Zero);

    private static void CheckDurationOrOff(RunnerSettings settings, string key)
    {
        if (!string.Equals(settings.GetString(key)?.Trim(), "off", StringComparison.OrdinalIgnoreCase))
        {
            settings.GetDuration(key, TimeSpan.Zero);
        }
    }

    private static void CheckFailedRetryInterval(RunnerSettings settings, string key) => _ = Supervision.RestartPolicy.ReadFailedRetryInterval(settings);

    private static void CheckPluginReload(RunnerSettings settings, string key) => _ = Plugins.PluginReloadModes.FromSettings(settings);

    private static void CheckIsolation(RunnerSettings settings, string key)
    {
        var value = settings.GetString(key)!.Trim();
        if (value.Length > 0 && !value.Equals("process", StringComparison.OrdinalIgnoreCase) && !value.Equals("thread", StringComparison.OrdinalIgnoreCase))
        {
            throw new ConfigurationValueException(settings.Describe(key, $"'{value.ToLowerInvariant()}' is not process or thread"));
        }
    }

    private static void CheckNonNegative(RunnerSettings settings, string key)
    {
        var text = settings.GetString(key)!;
        if (!ConfigValue.TryParseInt32(text, out var value) || value < 0)
        {
            throw new ConfigurationValueException(settings.Describe(key, $"'{text}' is not a non-negative integer"));
        }
    }

    private static void CheckInstances(RunnerSettings settings, string key)
    {
        var text = settings.GetString(key)!;
        if (!ConfigValue.TryParseInt32(text, out var instances))
        {
            settings.GetInt32(key, 1); // throws the standard "not an integer" or "out of range" message
            return;
        }

        string count = instances.ToString(CultureInfo.InvariantCulture);
        if (instances < 1 || !BitOperations.IsPow2(instances))
        {
            throw new ConfigurationValueException(settings.Describe(key, $"{count} is not a power of two (1, 2, 4, 8, ...)"));
        }

        if (instances > MaxInstances)
        {
            throw new ConfigurationValueException(settings.Describe(key, $"{count} is more than {MaxInstances.ToString(CultureInfo.InvariantCulture)}, the most slices a runner may have"));
        }
    }
}
