using BenchmarkDotNet.Attributes;
using RunnerHost.Hosting.Queues;

namespace RunnerHost.Benchmarks;

/// <summary>Enqueue with and without fsync (file fsync + group-committed directory fsync).</summary>
[MemoryDiagnoser]
public class EnqueueBenchmarks : IDisposable
{
    private TempSwitchboard? _queue;

    [Params(true, false)]
    public bool Fsync { get; set; }

    [GlobalSetup]
    public void Setup() => _queue = new TempSwitchboard(Fsync);

    [GlobalCleanup]
    public void Dispose()
    {
        _queue?.Dispose();
        _queue = null;
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public Task<string> Enqueue() => _queue!.Switchboard.EnqueueRawAsync(TempSwitchboard.Message, TempSwitchboard.Metadata());
}

/// <summary>Dequeue (rename to .bak, read, decode, parse) and finish (delete) of a pre-filled backlog.</summary>
[MemoryDiagnoser]
public class DequeueFinishBenchmarks : IDisposable
{
    private const int Backlog = 1000;
    private TempSwitchboard? _queue;
    private IReadOnlyList<string> _files = [];

    [IterationSetup]
    public void Setup()
    {
        _queue = new TempSwitchboard(fsync: false);
        _queue.Fill(Backlog);
        _files = _queue.Switchboard.GetFiles();
    }

    [IterationCleanup]
    public void Dispose()
    {
        _queue?.Dispose();
        _queue = null;
        GC.SuppressFinalize(this);
    }

    [Benchmark(OperationsPerInvoke = Backlog)]
    public async Task DequeueAndFinish()
    {
        var switchboard = _queue!.Switchboard;
        foreach (string filebase in _files)
        {
            await switchboard.DequeueAsync(filebase).ConfigureAwait(false);
            await switchboard.FinishAsync(filebase).ConfigureAwait(false);
        }
    }
}

/// <summary>Listing (and slice filtering) of a directory of 10,000 entries: one runner pass's snapshot.</summary>
[MemoryDiagnoser]
public class ListingBenchmarks : IDisposable
{
    private const int Entries = 10_000;
    private TempSwitchboard? _unsliced;
    private TempSwitchboard? _sliced;

    [GlobalSetup]
    public void Setup()
    {
        _unsliced = new TempSwitchboard(fsync: false);
        _unsliced.Fill(Entries);
        // The same directory seen as slice 0 of 4.
        _sliced = new TempSwitchboard(fsync: false, slice: 0, sliceCount: 4);
        Directory.Delete(_sliced.Switchboard.Directory, recursive: true);
        CopyDirectory(_unsliced.Switchboard.Directory, _sliced.Switchboard.Directory);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _unsliced?.Dispose();
        _sliced?.Dispose();
        _unsliced = _sliced = null;
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public int SnapshotUnsliced() => _unsliced!.Switchboard.GetSnapshot(DateTimeOffset.UtcNow).Ready.Count;

    [Benchmark]
    public int SnapshotSliceOf4() => _sliced!.Switchboard.GetSnapshot(DateTimeOffset.UtcNow).Ready.Count;

    [Benchmark]
    public int SliceOfOnly()
    {
        int count = 0;
        for (int i = 0; i < Entries; i++)
        {
            count += SliceMath.SliceOf("e91e7c3faa2abc25f93d5b6e0469685b585ab058", 4);
        }

        return count;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
