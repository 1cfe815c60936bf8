using System.Globalization;

namespace RunnerHost.Plugins.Rest.Dashboard;

/// <summary>How the pages write times, ages and sizes.</summary>
internal static class Format
{
    public static string Age(TimeSpan? age) => age is not { } value ? "-" : Age(value);

    public static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero)
        {
            return "in " + Age(-age);
        }

        return age.TotalSeconds < 60 ? $"{(int)age.TotalSeconds}s"
            : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes}m {age.Seconds}s"
            : age.TotalHours < 24 ? $"{(int)age.TotalHours}h {age.Minutes}m"
            : $"{(int)age.TotalDays}d {age.Hours}h";
    }

    public static string Since(DateTimeOffset? time, DateTimeOffset now) => time is { } value ? Age(now - value) : "-";

    public static string Time(DateTimeOffset? time) => time?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "-";

    public static string Size(long bytes) =>
        bytes < 1024 ? $"{bytes} B" : bytes < 1024 * 1024 ? $"{bytes / 1024.0:0.0} KB" : $"{bytes / (1024.0 * 1024):0.0} MB";
}
