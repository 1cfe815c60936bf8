using System.Globalization;

namespace RunnerHost.Configuration;

/// <summary>
/// The typed view of one <c>[runner.NAME]</c> section, with unset keys inherited from
/// <c>[runner.master]</c> and <c>$var</c> references expanded. Plugin-specific keys are read with
/// the <c>Get*</c> methods, whose errors name the file and line of the value.
/// </summary>
public sealed class RunnerSettings
{
    private readonly Dictionary<string, string> _values;
    private readonly Dictionary<string, string> _origins;

    /// <summary>Creates settings from merged values and, per key, where each value came from (<c>file:line</c>).</summary>
    public RunnerSettings(string name, IReadOnlyDictionary<string, string> values, IReadOnlyDictionary<string, string> origins)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        _values = new Dictionary<string, string>(values, StringComparer.OrdinalIgnoreCase);
        _origins = new Dictionary<string, string>(origins, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The section suffix: <c>in</c> for <c>[runner.in]</c>.</summary>
    public string Name { get; }

    /// <summary>The runner type name (<c>class</c>).</summary>
    public string ClassName => GetString("class") ?? string.Empty;

    /// <summary>The queue directory (<c>path</c>), or null for a runner without a queue.</summary>
    public string? QueuePath => GetString("path") is { Length: > 0 } path ? path : null;

    /// <summary>The number of slices (<c>instances</c>), a power of two.</summary>
    public int Instances => GetInt32("instances", 1);

    /// <summary>Whether the master starts this runner (<c>start</c>).</summary>
    public bool Start => GetBoolean("start", true);

    /// <summary>The restart budget (<c>max_restarts</c>).</summary>
    public int MaxRestarts => GetInt32("max_restarts", 10);

    /// <summary>How long to sleep after a pass that found nothing (<c>sleep_time</c>); zero or less = never sleep.</summary>
    public TimeSpan SleepTime => GetDuration("sleep_time", TimeSpan.FromSeconds(1));

    /// <summary>First delay before a kept-queued entry is due again (<c>requeue_backoff</c>); it doubles per consecutive keep.</summary>
    public TimeSpan RequeueBackoff => GetDuration("requeue_backoff", TimeSpan.FromSeconds(1));

    /// <summary>Upper bound of the keep-queued delay (<c>requeue_backoff_max</c>).</summary>
    public TimeSpan RequeueBackoffMax => GetDuration("requeue_backoff_max", TimeSpan.FromMinutes(15));

    /// <summary>Whether enqueues fsync the file and the directory (<c>fsync</c>); off only for throw-away queues.</summary>
    public bool Fsync => GetBoolean("fsync", true);

    /// <summary>Every key of the merged section.</summary>
    public IEnumerable<string> Keys => _values.Keys;

    /// <summary>The raw value of a key, or null when unset.</summary>
    public string? GetString(string key) => _values.TryGetValue(key, out var value) ? value : null;

    /// <summary>Where a key's value was set, as <c>file:line</c>; null when it is a built-in default.</summary>
    public string? GetOrigin(string key) => _origins.TryGetValue(key, out var origin) ? origin : null;

    /// <summary>Reads a duration (<c>1s</c>, <c>2m</c>, <c>1h30m</c>), or <paramref name="defaultValue"/> when unset.</summary>
    /// <exception cref="ConfigurationValueException">The value is not a duration, or is longer than <see cref="ConfigValue.MaxDuration"/>.</exception>
    public TimeSpan GetDuration(string key, TimeSpan defaultValue)
    {
        if (!_values.TryGetValue(key, out var text))
        {
            return defaultValue;
        }

        return ConfigValue.ParseDuration(text, out var value) switch
        {
            DurationParse.Valid => value,
            DurationParse.TooLong => throw new ConfigurationValueException(Describe(key, $"'{text}' is too long: a duration is at most {(int)ConfigValue.MaxDuration.TotalDays}d")),
            _ => throw new ConfigurationValueException(Describe(key, $"'{text}' is not a duration such as 1s, 0.5s, 2m or 1h30m")),
        };
    }

    /// <summary>Reads a boolean (<c>yes/no</c>, <c>true/false</c>, <c>on/off</c>, <c>1/0</c>), or <paramref name="defaultValue"/> when unset.</summary>
    /// <exception cref="ConfigurationValueException">The value is not a boolean.</exception>
    public bool GetBoolean(string key, bool defaultValue) =>
        Read(key, defaultValue, (string s, out bool v) => ConfigValue.TryParseBoolean(s, out v), "a boolean (yes/no, true/false, on/off, 1/0)");

    /// <summary>Reads an integer, or <paramref name="defaultValue"/> when unset.</summary>
    /// <exception cref="ConfigurationValueException">The value is not an integer, or does not fit an <see cref="int"/>.</exception>
    public int GetInt32(string key, int defaultValue)
    {
        if (!_values.TryGetValue(key, out var text))
        {
            return defaultValue;
        }

        if (ConfigValue.TryParseInt32(text, out var value))
        {
            return value;
        }

        throw new ConfigurationValueException(Describe(key, ConfigValue.LooksLikeInteger(text)
            ? $"'{text.Trim()}' is out of range: an integer is from {int.MinValue.ToString(CultureInfo.InvariantCulture)} to {int.MaxValue.ToString(CultureInfo.InvariantCulture)}"
            : $"'{text}' is not an integer"));
    }

    /// <summary>Formats a problem with a key as one line naming file, line, section and key.</summary>
    public string Describe(string key, string problem) =>
        $"{GetOrigin(key) ?? "(built-in default)"}: [runner.{Name}] {key}: {problem}";

    private delegate bool Parser<T>(string text, out T value);

    private T Read<T>(string key, T defaultValue, Parser<T> parse, string expected)
    {
        if (!_values.TryGetValue(key, out var text))
        {
            return defaultValue;
        }

        return parse(text, out var value)
            ? value
            : throw new ConfigurationValueException(Describe(key, $"'{text}' is not {expected}"));
    }
}
