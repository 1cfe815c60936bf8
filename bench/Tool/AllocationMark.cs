namespace RunnerHost.Bench;

/// <summary>The process's allocation and collection counts at one moment, to report a scenario's share.</summary>
public readonly record struct AllocationMark(long AllocatedBytes, int Gen0, int Gen1, int Gen2, TimeSpan CpuTime)
{
    public static AllocationMark Now() => new(
        GC.GetTotalAllocatedBytes(precise: false),
        GC.CollectionCount(0),
        GC.CollectionCount(1),
        GC.CollectionCount(2),
        Environment.CpuUsage.TotalTime);
}
