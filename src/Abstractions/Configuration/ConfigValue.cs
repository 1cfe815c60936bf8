using System.Globalization;

namespace RunnerHost.Configuration;

/// <summary>Parses the value syntaxes of RunnerHost (and Mailman) configuration files.</summary>
public static class ConfigValue
{
    private const string DurationUnits = "wdhms";

    /// <summary>
    /// The longest duration a configuration value may give: 24 days. Every .NET timer, delay and
    /// millisecond timeout accepts it (<c>int.MaxValue</c> milliseconds is 24.8 days), so a duration
    /// read from a file can be passed to any of them without a range check of its own.
    /// </summary>
    public static TimeSpan MaxDuration { get; } = TimeSpan.FromDays(24);

    /// <summary>
    /// Parses a duration made of one or more <c>&lt;number&gt;&lt;unit&gt;</c> parts with units
    /// <c>w d h m s</c> in that order, e.g. <c>1s</c>, <c>0.2s</c>, <c>2m</c>, <c>1h30m</c>.
    /// A bare number is rejected (write <c>0s</c>, not <c>0</c>), and so is anything longer than
    /// <see cref="MaxDuration"/>; the syntax has no sign, so a duration is never negative.
    /// </summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration) =>
        ParseDuration(text, out duration) == DurationParse.Valid;

    /// <summary>Parses a decimal integer in invariant culture.</summary>
    public static bool TryParseInt32(string? text, out int value) =>
        int.TryParse(text?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>Parses <c>yes/no</c>, <c>true/false</c>, <c>on/off</c>, <c>1/0</c>, <c>enable(d)/disable(d)</c>, case-insensitively.</summary>
    public static bool TryParseBoolean(string? text, out bool value)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "yes" or "true" or "on" or "1" or "enable" or "enabled":
                value = true;
                return true;
            case "no" or "false" or "off" or "0" or "disable" or "disabled":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    /// <summary>Parses a duration and tells a malformed value from one that is too long.</summary>
    internal static DurationParse ParseDuration(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return DurationParse.Malformed;
        }

        var span = text.AsSpan().Trim();
        double seconds = 0;
        int lastUnit = -1;
        bool tooLong = false;
        while (!span.IsEmpty)
        {
            int digits = 0;
            while (digits < span.Length && (char.IsAsciiDigit(span[digits]) || span[digits] == '.'))
            {
                digits++;
            }

            if (digits == 0 || digits == span.Length)
            {
                return DurationParse.Malformed;
            }

            int unit = DurationUnits.IndexOf(char.ToLowerInvariant(span[digits]), StringComparison.Ordinal);
            if (unit <= lastUnit
                || !double.TryParse(span[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                return DurationParse.Malformed;
            }

            // A 400-digit number parses as infinity; any huge part makes the sum too long, never an overflow.
            seconds += amount * unit switch
            {
                0 => 7 * 86400,
                1 => 86400,
                2 => 3600,
                3 => 60,
                _ => 1,
            };
            tooLong |= !double.IsFinite(seconds) || seconds > MaxDuration.TotalSeconds;
            lastUnit = unit;
            span = span[(digits + 1)..];
        }

        if (tooLong)
        {
            return DurationParse.TooLong;
        }

        duration = TimeSpan.FromSeconds(seconds);
        return DurationParse.Valid;
    }

    /// <summary>Tells whether <paramref name="text"/> is written as an integer (sign and digits) even if it does not fit an <see cref="int"/>.</summary>
    internal static bool LooksLikeInteger(string text)
    {
        var span = text.AsSpan().Trim();
        if (span.Length > 0 && span[0] is '-' or '+')
        {
            span = span[1..];
        }

        return !span.IsEmpty && !span.ContainsAnyExceptInRange('0', '9');
    }
}

/// <summary>The outcome of <see cref="ConfigValue.ParseDuration"/>.</summary>
internal enum DurationParse
{
    Valid,
    Malformed,
    TooLong,
}
