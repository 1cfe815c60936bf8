namespace RunnerHost.Hosting.Engine;

/// <summary>How the processing of one taken entry ended.</summary>
public enum EntryOutcome
{
    /// <summary>The dispose hook completed; the entry is gone.</summary>
    Processed,

    /// <summary>The dispose hook kept it queued for a later attempt.</summary>
    Requeued,

    /// <summary>Moved to the shunt queue with an error record.</summary>
    Shunted,

    /// <summary>Moved to bad (the shunt failed).</summary>
    Preserved,

    /// <summary>Given back unchanged (a stop interrupted it).</summary>
    Released,
}

/// <summary>Told of every entry a runner finished (metrics).</summary>
public interface IEntryOutcomes
{
    /// <summary>One entry ended <paramref name="outcome"/>, <paramref name="duration"/> after it was taken.</summary>
    void Record(string runner, string slice, EntryOutcome outcome, TimeSpan duration);
}
