using RunnerHost.Messages;

namespace RunnerHost.Hosting.Queues;

/// <summary>What every back end does to a message it is given, before storing it: the one place entry metadata and due times are prepared.</summary>
public static class NewEntry
{
    /// <summary>The metadata version written into every entry.</summary>
    public const long MetadataVersion = 3;

    /// <summary>A fresh copy: metadata, then extra (wins), version; volatile '_' keys dropped; then <c>_parsemsg</c>.</summary>
    public static MessageData PrepareMetadata(MessageData? metadata, MessageData? extra)
    {
        var merged = metadata?.Clone() ?? [];
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
            {
                merged[key] = value;
            }
        }

        merged[MessageDataKeys.Version] = MetadataVersion;
        var result = new MessageData();
        foreach (var (key, value) in merged)
        {
            if (!key.StartsWith('_'))
            {
                result[key] = value;
            }
        }

        result[MessageDataKeys.ParseMessage] = false;
        return result;
    }

    /// <summary>When an entry enqueued now with <paramref name="notBefore"/> is due: checked so that every reader accepts its name.</summary>
    /// <exception cref="InvalidOperationException">The clock reads before 2000.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The not-before time is more than 100 years ahead.</exception>
    public static DateTimeOffset DueTime(DateTimeOffset now, DateTimeOffset? notBefore)
    {
        var due = notBefore is { } later && later > now ? later : now;
        if (QueueFileName.ToUnixSeconds(now) < QueueFileName.MinimumTime)
        {
            throw new InvalidOperationException($"The system clock reads {now:O}, before 2000: entries written now would be quarantined as damaged; fix the clock.");
        }

        if (due - now > QueueFileName.MaximumLead)
        {
            throw new ArgumentOutOfRangeException(nameof(notBefore), due, $"A not-before time more than {QueueFileName.MaximumLead.TotalDays / 365.25:0} years ahead would never come due.");
        }

        return due;
    }
}
