namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// Capped exponential backoff with jitter: attempt n (0-based) waits <c>initial · 2^n</c>, at most
/// <c>max</c>, minus up to 20 % jitter so that slices that crashed together do not restart in lockstep.
/// The jitter only shortens the delay, so the cap is a true upper bound.
/// </summary>
public sealed class Backoff
{
    /// <summary>The largest fraction the jitter takes off a delay.</summary>
    public const double JitterFraction = 0.2;

    private readonly Func<double> _random;

    /// <param name="initial">The first delay (<c>restart_backoff</c>).</param>
    /// <param name="max">The cap (<c>restart_backoff_max</c>).</param>
    /// <param name="random">Returns a number in [0, 1); tests pass a constant.</param>
    public Backoff(TimeSpan initial, TimeSpan max, Func<double> random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Initial = initial < TimeSpan.Zero ? TimeSpan.Zero : initial;
        Max = max < Initial ? Initial : max;
        _random = random;
    }

    public TimeSpan Initial { get; }

    public TimeSpan Max { get; }

    /// <summary>The delay before restart number <paramref name="attempt"/> (0 = the first restart after a stable run).</summary>
    public TimeSpan Delay(int attempt)
    {
        var raw = Nominal(attempt);
        double jitter = 1 - (JitterFraction * Math.Clamp(_random(), 0, 1));
        return TimeSpan.FromTicks((long)(raw.Ticks * jitter));
    }

    /// <summary>The delay without jitter.</summary>
    public TimeSpan Nominal(int attempt)
    {
        double factor = Math.Pow(2, Math.Clamp(attempt, 0, 40));
        return TimeSpan.FromTicks((long)Math.Min(Initial.Ticks * factor, Max.Ticks));
    }
}
