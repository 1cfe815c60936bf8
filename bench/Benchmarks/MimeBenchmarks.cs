using BenchmarkDotNet.Attributes;
using MimeKit;
using RunnerHost.Bench;

namespace RunnerHost.Benchmarks;

/// <summary>
/// The MIME work of one round trip: the producer serializes the message (enqueue of a
/// <see cref="MimeMessage"/>) and the switchboard parses it again at dequeue. Both sit on the
/// per-message CPU path that bounds the non-durable round trip (docs/benchmarks.md).
/// </summary>
[MemoryDiagnoser]
public class MimeBenchmarks
{
    private readonly MimeMessage _message = BenchMessages.Create(0);
    private byte[] _raw = [];

    [GlobalSetup]
    public void Setup()
    {
        using var buffer = new MemoryStream();
        _message.WriteTo(FormatOptions.Default, buffer);
        _raw = buffer.ToArray();
    }

    [Benchmark]
    public long Serialize()
    {
        using var buffer = new MemoryStream();
        _message.WriteTo(FormatOptions.Default, buffer);
        return buffer.Length;
    }

    [Benchmark]
    public MimeMessage Parse()
    {
        using var stream = new MemoryStream(_raw, writable: false);
        return MimeMessage.Load(stream);
    }

    [Benchmark]
    public MimeMessage ParsePersistent()
    {
        var stream = new MemoryStream(_raw, writable: false);
        return MimeMessage.Load(stream, persistent: true);
    }

    private readonly MimeParser _parser = new(Stream.Null, persistent: true);

    [Benchmark]
    public MimeMessage ParseReusedPersistent()
    {
        var stream = new MemoryStream(_raw, writable: false);
        _parser.SetStream(stream, MimeFormat.Entity, persistent: true);
        return _parser.ParseMessage();
    }

    private readonly ExperimentalMimeParser _experimental = new(Stream.Null, persistent: true);

    [Benchmark]
    public MimeMessage ParseExperimentalReused()
    {
        var stream = new MemoryStream(_raw, writable: false);
        _experimental.SetStream(stream, MimeFormat.Entity, persistent: true);
        return _experimental.ParseMessage();
    }
}
