namespace RunnerHost.Testing;

/// <summary>How the entries a pass took ended.</summary>
/// <param name="Processed">Completed: the dispose hook returned false.</param>
/// <param name="Requeued">Kept queued for a later attempt: the dispose hook returned true.</param>
/// <param name="Shunted">Moved to <c>shunt</c> with an error record: the dispose hook threw (or the list was missing).</param>
/// <param name="Preserved">Moved to <c>bad</c>: unreadable, or the shunt failed.</param>
/// <param name="Released">Given back unchanged: a stop interrupted the hook.</param>
public sealed record PassResult(int Processed, int Requeued, int Shunted, int Preserved, int Released)
{
    /// <summary>Every entry the pass took.</summary>
    public int Total => Processed + Requeued + Shunted + Preserved + Released;

    /// <inheritdoc/>
    public override string ToString() =>
        $"processed {Processed}, requeued {Requeued}, shunted {Shunted}, preserved {Preserved}, released {Released}";
}
