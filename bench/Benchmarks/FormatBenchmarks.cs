using BenchmarkDotNet.Attributes;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Queues;

using RunnerHost.Hosting.Queues.Files;

using RunnerHost.Hosting.IO;

namespace RunnerHost.Benchmarks;

/// <summary>Queue entry encode/decode (JSON metadata + raw message, framed and checksummed) and file names.</summary>
[MemoryDiagnoser]
public class EntryFormatBenchmarks
{
    private readonly byte[] _encoded = QueueFileFormat.Encode(TempSwitchboard.Metadata(), TempSwitchboard.Message);

    [Benchmark]
    public byte[] Encode() => QueueFileFormat.Encode(TempSwitchboard.Metadata(), TempSwitchboard.Message);

    [Benchmark]
    public DecodedEntry Decode() => QueueFileFormat.Decode(_encoded);

    [Benchmark]
    public string CreateFileName() => QueueFileName.Create(TempSwitchboard.Message, "bench.example.com", 1795811424.5949073);
}

/// <summary>Loading and building the layered configuration (defaults + one file with lists and runners).</summary>
[MemoryDiagnoser]
public class ConfigurationBenchmarks : IDisposable
{
    private string _file = "";

    [GlobalSetup]
    public void Setup()
    {
        _file = Path.Combine(Path.GetTempPath(), "runner-host-bdn-" + Guid.NewGuid().ToString("N") + ".cfg");
        var text = new System.Text.StringBuilder("[paths]\nvar_dir: /tmp/runner-host-bdn-var\n\n");
        foreach (string name in new[] { "in", "pipeline", "out", "retry", "archive", "virgin", "digest", "command" })
        {
            text.Append("[runner.").Append(name).Append("]\ninstances: 2\nsleep_time: 1s\n\n");
        }

        for (int i = 0; i < 20; i++)
        {
            text.Append("[list.l").Append(i).Append("]\nposting_address: l").Append(i).Append("@example.com\nmembers: a@example.com b@example.com\n\n");
        }

        File.WriteAllText(_file, text.ToString());
    }

    [GlobalCleanup]
    public void Dispose()
    {
        File.Delete(_file);
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public int LoadAndBuild() => ConfigurationStack.Load(_file).Build().Runners.Count;
}

/// <summary>The queue file write: unbuffered, flock-free (DurableFiles.WriteNewFile) vs a buffered FileShare.None FileStream (before).</summary>
[MemoryDiagnoser]
public class WriteBenchmarks : IDisposable
{
    private readonly byte[] _content = QueueFileFormat.Encode(TempSwitchboard.Metadata(), TempSwitchboard.Message);
    private string _directory = "";
    private long _counter;

    [Params(true, false)]
    public bool Fsync { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "runner-host-bdn-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public void BufferedFileStream()
    {
        string path = NextPath();
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            stream.Write(_content);
            stream.Flush(flushToDisk: Fsync);
        }

        File.Delete(path);
    }

    [Benchmark]
    public void WriteNewFile()
    {
        string path = NextPath();
        DurableFiles.WriteNewFile(path, _content, Fsync);
        File.Delete(path);
    }

    private string NextPath() => Path.Combine(_directory, Interlocked.Increment(ref _counter).ToString(System.Globalization.CultureInfo.InvariantCulture));
}
