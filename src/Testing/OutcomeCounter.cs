using RunnerHost.Hosting.Engine;

namespace RunnerHost.Testing;

/// <summary>Counts the outcomes the host's runner loop reports, for one pass at a time.</summary>
internal sealed class OutcomeCounter : IEntryOutcomes
{
    private readonly int[] _counts = new int[Enum.GetValues<EntryOutcome>().Length];

    public void Record(string runner, string slice, EntryOutcome outcome, TimeSpan duration) =>
        Interlocked.Increment(ref _counts[(int)outcome]);

    /// <summary>The counts since the last call, and starts counting again.</summary>
    public PassResult Take()
    {
        int Take(EntryOutcome outcome) => Interlocked.Exchange(ref _counts[(int)outcome], 0);
        return new PassResult(
            Take(EntryOutcome.Processed), Take(EntryOutcome.Requeued), Take(EntryOutcome.Shunted), Take(EntryOutcome.Preserved), Take(EntryOutcome.Released));
    }
}
