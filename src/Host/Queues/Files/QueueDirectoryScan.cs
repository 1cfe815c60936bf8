using System.IO.Enumeration;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>What a name in a queue directory is.</summary>
public enum ScannedKind
{
    /// <summary>A ready entry (<c>.pck</c>) with a valid name.</summary>
    Ready,

    /// <summary>An entry taken by a runner (<c>.bak</c>) with a valid name.</summary>
    Taken,

    /// <summary>A preserved entry (<c>.psv</c>) in the bad directory; its name need not be a filebase.</summary>
    Preserved,

    /// <summary>An entry file (<c>.pck</c> or <c>.bak</c>) whose name does not parse: a runner quarantines it.</summary>
    BadName,

    /// <summary>A temporary file (<c>.tmp</c>): an enqueue in progress, or abandoned (recovery quarantines it).</summary>
    Temporary,

    /// <summary>A file the queue keeps beside its entries (a <c>.reason</c> sidecar, the replay journal).</summary>
    Housekeeping,

    /// <summary>Something that is no entry and that nothing will ever process: counted and reported.</summary>
    Stray,
}

/// <summary>One name found in a queue directory.</summary>
/// <param name="FileName">The name in the directory.</param>
/// <param name="Kind">What it is.</param>
/// <param name="Filebase">The name without its extension (for preserved entries also without a <c>-N</c> suffix).</param>
/// <param name="Parts">The parsed filebase, when it parsed.</param>
/// <param name="Problem">Why it is a bad name or a stray; null otherwise.</param>
public sealed record ScannedName(string FileName, ScannedKind Kind, string Filebase, QueueFileNameParts? Parts, string? Problem);

/// <summary>
/// The one reader of queue directory listings: every name is classified with the one entry-name
/// parser (<see cref="QueueFileName"/>), so the runner, <c>queues</c>, <c>status</c>, <c>bad</c> and
/// the REST API agree on what a directory holds. Lists names only; no file is opened.
/// </summary>
public static class QueueDirectoryScan
{
    /// <summary>The extension of ready entries.</summary>
    public const string ReadyExtension = ".pck";

    /// <summary>The extension of entries taken by a runner.</summary>
    public const string TakenExtension = ".bak";

    /// <summary>The extension of preserved entries in the bad directory.</summary>
    public const string PreservedExtension = ".psv";

    /// <summary>The extension of files being written.</summary>
    public const string TemporaryExtension = ".tmp";

    /// <summary>The suffix of a preserved entry's reason sidecar.</summary>
    public const string ReasonSuffix = ".reason";

    /// <summary>The unshunt journal as versions before contract 2 kept it in the shunt directory (now in <c>$var_dir</c>); not a stray.</summary>
    public const string ReplayJournalName = "replayed.journal";

    /// <summary>The enqueue journal's directory in a queue directory (<c>[queues] commit: journal</c>); not a stray.</summary>
    public const string JournalDirectoryName = ".journal";

    /// <summary>Lists and classifies <paramref name="directory"/>; empty when it does not exist or cannot be read.</summary>
    /// <param name="directory">The queue directory.</param>
    /// <param name="isBadDirectory">True for the bad directory, whose entries are <c>.psv</c> files.</param>
    /// <param name="now">The time names are checked against (see <see cref="QueueFileName.TryParse(string, DateTimeOffset, out QueueFileNameParts, out string?)"/>).</param>
    /// <param name="problem">Why the directory could not be listed (a missing directory is no problem: it is an empty queue).</param>
    public static IReadOnlyList<ScannedName> Scan(string directory, bool isBadDirectory, DateTimeOffset now, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var names = new List<ScannedName>();
        foreach (var (name, isDirectory) in List(directory, out problem))
        {
            names.Add(Classify(name, isDirectory, isBadDirectory, now));
        }

        return names;
    }

    /// <summary>Classifies one name of a queue directory.</summary>
    public static ScannedName Classify(string fileName, bool isDirectory, bool isBadDirectory, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        string extension = Path.GetExtension(fileName);
        if (isDirectory)
        {
            if (fileName == JournalDirectoryName && !isBadDirectory)
            {
                return new ScannedName(fileName, ScannedKind.Housekeeping, fileName, null, null);
            }

            return Stray(fileName, "a directory, not a queue entry");
        }

        if (isBadDirectory)
        {
            return ClassifyPreserved(fileName, extension, now);
        }

        switch (extension)
        {
            case ReadyExtension or TakenExtension:
                string filebase = fileName[..^extension.Length];
                var kind = extension == ReadyExtension ? ScannedKind.Ready : ScannedKind.Taken;
                return QueueFileName.TryParse(filebase, now, out var parts, out string? error)
                    ? new ScannedName(fileName, kind, filebase, parts, null)
                    : new ScannedName(fileName, ScannedKind.BadName, filebase, null, $"file name is not <time>+<digest>: {error}");
            case TemporaryExtension:
                return new ScannedName(fileName, ScannedKind.Temporary, fileName[..^extension.Length], null, null);
            default:
                return fileName == ReplayJournalName
                    ? new ScannedName(fileName, ScannedKind.Housekeeping, fileName, null, null)
                    : Stray(fileName, $"not a queue entry (extension '{(extension.Length == 0 ? "none" : extension)}')");
        }
    }

    private static ScannedName ClassifyPreserved(string fileName, string extension, DateTimeOffset now)
    {
        if (extension == PreservedExtension)
        {
            string name = fileName[..^extension.Length];
            string filebase = WithoutUniqueSuffix(name);
            return new ScannedName(fileName, ScannedKind.Preserved, name, QueueFileName.TryParse(filebase, now, out var parts, out _) ? parts : null, null);
        }

        if (fileName.EndsWith(PreservedExtension + ReasonSuffix, StringComparison.Ordinal))
        {
            return new ScannedName(fileName, ScannedKind.Housekeeping, fileName, null, null);
        }

        if (extension == TemporaryExtension)
        {
            return new ScannedName(fileName, ScannedKind.Temporary, fileName[..^extension.Length], null, null);
        }

        return Stray(fileName, extension is ReadyExtension or TakenExtension
            ? $"a {extension} file in the bad directory: nothing processes it here (move it to a queue directory, or inspect it with qfile)"
            : $"not a preserved entry (extension '{(extension.Length == 0 ? "none" : extension)}')");
    }

    // Preserved copies get a -N suffix when their name was taken (see FileSwitchboard).
    private static string WithoutUniqueSuffix(string name)
    {
        int dash = name.LastIndexOf('-');
        return dash > 0 && dash < name.Length - 1 && name.AsSpan(dash + 1).IndexOfAnyExceptInRange('0', '9') < 0 ? name[..dash] : name;
    }

    private static ScannedName Stray(string fileName, string why) => new(fileName, ScannedKind.Stray, fileName, null, why);

    private static List<(string Name, bool IsDirectory)> List(string directory, out string? problem)
    {
        problem = null;
        try
        {
            // Names and the directory bit come from the listing itself (d_type): no stat per file.
            return [.. new FileSystemEnumerable<(string, bool)>(
                directory,
                static (ref FileSystemEntry entry) => (entry.FileName.ToString(), entry.IsDirectory && !entry.Attributes.HasFlag(FileAttributes.ReparsePoint)),
                new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false, ReturnSpecialDirectories = false })];
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot list {directory}: {ex.Message}";
            return [];
        }
    }
}
