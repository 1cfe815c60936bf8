namespace RunnerHost.Bench;

/// <summary>Percentiles of the benchmark samples.</summary>
internal static class Stats
{
    /// <summary>The nearest-rank percentile (0.5 of 3 samples is the middle one).</summary>
    public static double Percentile(double[] values, double fraction)
    {
        var sorted = values.Order().ToArray();
        int index = (int)Math.Ceiling(fraction * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}
