namespace RunnerHost.Hosting.Queues.Files;

/// <summary>The entries of one slice that are due at a moment, in FIFO order, and when the next delayed one is due.</summary>
/// <param name="Ready">Filebases of the due entries, FIFO.</param>
/// <param name="NextDue">When the soonest entry that is not yet due becomes due; null when none waits.</param>
public sealed record FileSnapshot(IReadOnlyList<string> Ready, DateTimeOffset? NextDue)
{
    /// <summary>No entries.</summary>
    public static FileSnapshot Empty { get; } = new([], null);
}
