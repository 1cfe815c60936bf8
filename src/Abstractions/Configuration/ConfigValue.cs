using System.Globalization;

namespace RunnerHost.Configuration;

/// <summary>Parses the value syntaxes of RunnerHost (and Mailman) configuration files.</summary>
public static class ConfigValue
{
    private const string DurationUnits = "wdhms";

    /// <summary>
    /// Parses a duration made of one or more <c>&lt;number&gt;&lt;unit&gt;</c> parts with units
    /// <c>w d h m s</c> in that order, e.g. <c>1s</c>, <c>0.2s</c>, <c>2m</c>, <c>1h30m</c>.
    /// A bare number is rejected (write <c>0s</c>, not <c>0</c>).
    /// </summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var span = text.AsSpan().Trim();
        double seconds = 0;
        int lastUnit = -1;
        while (!span.IsEmpty)
        {
            int digits = 0;
            while (digits < span.Length && (char.IsAsciiDigit(span[digits]) || span[digits] == '.'))
            {
                digits++;
            }

            if (digits == 0 || digits == span.Length)
            {
                return false;
            }

            int unit = DurationUnits.IndexOf(char.ToLowerInvariant(span[digits]), StringComparison.Ordinal);
            if (unit <= lastUnit
                || !double.TryParse(span[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                return false;
            }

            seconds += amount * unit switch
            {
                0 => 7 * 86400,
                1 => 86400,
                2 => 3600,
                3 => 60,
                _ => 1,
            };
            lastUnit = unit;
            span = span[(digits + 1)..];
        }

        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }

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

    /// <summary>Parses a decimal integer in invariant culture.</summary>
    public static bool TryParseInt32(string? text, out int value) =>
        int.TryParse(text?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
}
