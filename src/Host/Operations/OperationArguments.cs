using System.Globalization;
using RunnerHost.Hosting.Cli;
using RunnerHost.Hosting.Composition;
using RunnerHost.Inspection;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Operations;

/// <summary>Checks of operator arguments: every rejection is a <see cref="UsageException"/> (one line, exit 2), before anything is touched.</summary>
public static class OperationArguments
{
    /// <summary>An entry id of <paramref name="queue"/>, as its back end reads ids; rejects paths and anything else.</summary>
    public static string EntryId(IQueueInspector inspector, string queue, string text)
    {
        ArgumentNullException.ThrowIfNull(inspector);
        ArgumentNullException.ThrowIfNull(text);
        RejectPathLike(text, "filebase");
        return inspector.IsEntryId(queue, text, out string? problem)
            ? text
            : throw new UsageException($"bad filebase '{text}': {problem} (expected <time>+<40 hex digits>)");
    }

    /// <summary>The name of a preserved entry (<c>bad/&lt;name&gt;.psv</c>): quarantined names need not be filebases, but never name a path.</summary>
    public static string PreservedName(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string name = text;
        RejectPathLike(name, "entry name");
        // A quarantined name may start with a dot (".5+<digest>" is one the runner moved there).
        if (name.Length == 0 || name == "." || name.Any(char.IsControl))
        {
            throw new UsageException($"bad entry name '{text}'");
        }

        return name;
    }

    /// <summary>A configured queue.</summary>
    public static IQueue Queue(HostServices services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        return services.Queues.TryGet(name, out var queue) ? queue : throw new UsageException($"No such queue: {name}");
    }

    /// <summary>The full path of <paramref name="file"/>, which must lie directly inside <paramref name="directory"/>.</summary>
    public static string InsideDirectory(string file, string directory)
    {
        string full = Path.GetFullPath(file);
        string parent = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        return string.Equals(Path.GetDirectoryName(full), parent, StringComparison.Ordinal)
            ? full
            : throw new UsageException($"{file} is not inside {parent}");
    }

    /// <summary>A point in time: ISO 8601 (<c>2024-05-01</c>, <c>2024-05-01T10:00:00Z</c>; local time when no offset) or an age before <paramref name="now"/> (<c>90s</c>, <c>30m</c>, <c>2h</c>, <c>1d</c>).</summary>
    public static DateTimeOffset Since(string text, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length >= 2 && "smhd".Contains(text[^1], StringComparison.Ordinal)
            && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double amount) && amount >= 0)
        {
            double seconds = amount * text[^1] switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => 86400 };
            if (!double.IsFinite(seconds) || seconds > (now - DateTimeOffset.UnixEpoch).TotalSeconds)
            {
                throw new UsageException($"bad time '{text}': an age reaching back before 1970");
            }

            return now - text[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                _ => TimeSpan.FromDays(amount),
            };
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var time)
            ? time
            : throw new UsageException($"bad time '{text}': expected ISO 8601 (2024-05-01T10:00:00Z) or an age (30m, 2h, 1d)");
    }

    private static void RejectPathLike(string text, string what)
    {
        if (text.Contains('/', StringComparison.Ordinal) || text.Contains('\\', StringComparison.Ordinal) || text.Contains("..", StringComparison.Ordinal))
        {
            throw new UsageException($"bad {what} '{text}': must not contain '/', '\\' or '..'");
        }
    }
}
