using Microsoft.Extensions.Logging.Abstractions;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Queues.JetStream;
using RunnerHost.Hosting.Tests.Queues;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Inspection;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Tests.Contract;

/// <summary>
/// One queue back end as the contract suite drives it: the producer side, the inspection surface,
/// slices, a manual clock, and the two things only a back end can do to itself — lose a process in the
/// middle of an entry, and damage a stored entry.
/// </summary>
public abstract class QueueBackendUnderTest : IDisposable
{
    /// <summary>The queue the suite works on; its runner has <see cref="SliceCount"/> instances.</summary>
    public const string Queue = "work";

    /// <summary>The instances of <see cref="Queue"/>'s runner.</summary>
    public const int SliceCount = 4;

    public ManualClock Clock { get; } = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));

    public abstract IQueueRegistry Queues { get; }

    public abstract IQueueInspector Inspector { get; }

    /// <summary>Opens a slice of <see cref="Queue"/> (<paramref name="count"/> 1 = the whole queue), recovering it first.</summary>
    public abstract Task<IOwnedQueueSlice> OpenSliceAsync(int slice, int count);

    /// <summary>
    /// The process holding <paramref name="lease"/> dies: the lease is never ended and the slice goes with
    /// it. The next <see cref="OpenSliceAsync"/> must offer the entry again, as a further attempt.
    /// </summary>
    public virtual Task LoseProcessAsync(IOwnedQueueSlice slice, IQueueLease lease)
    {
        ArgumentNullException.ThrowIfNull(slice);
        slice.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Damages the stored entry <paramref name="id"/> of <see cref="Queue"/> so that it can no longer be decoded.</summary>
    public abstract Task DamageAsync(string id);

    public abstract void Dispose();

    /// <summary>The back ends the suite runs on; the JetStream back end joins here.</summary>
    public static IEnumerable<TestFixtureData> All()
    {
        yield return new TestFixtureData(new Func<QueueBackendUnderTest>(() => new FileBackendUnderTest())).SetArgDisplayNames("file");
        yield return new TestFixtureData(new Func<QueueBackendUnderTest>(() => new JetStreamBackendUnderTest())).SetArgDisplayNames("jetstream");
    }
}

/// <summary>The file back end in a temporary directory.</summary>
internal sealed class FileBackendUnderTest : QueueBackendUnderTest
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "runnerhost-contract", Guid.NewGuid().ToString("N"));
    private readonly HostServices _services;

    public FileBackendUnderTest()
    {
        Directory.CreateDirectory(_root);
        var stack = ConfigurationStack.FromDefaults();
        stack.Push("contract", $"""
            [paths]
            var_dir: {Path.Combine(_root, "var")}

            [list.test]
            posting_address: test@example.com

            [runner.{Queue}]
            class: Unused
            instances: {SliceCount}
            fsync: no
            """);
        _services = new HostServices(stack.Build(), NullLoggerFactory.Instance, Clock);
    }

    public override IQueueRegistry Queues => _services.Queues;

    public override IQueueInspector Inspector => _services.Inspector;

    public override Task<IOwnedQueueSlice> OpenSliceAsync(int slice, int count) =>
        _services.Backend.OpenSliceAsync(_services.Configuration.GetRunner(Queue), slice, count, null, CancellationToken.None);

    public override async Task DamageAsync(string id)
    {
        string path = Path.Combine(_services.Files.DirectoryOf(Queue), id + ".pck");
        byte[] bytes = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, bytes[..^10]);
    }

    public override void Dispose()
    {
        _services.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Temporary; the OS cleans it.
        }
    }
}

/// <summary>
/// The JetStream back end on a real nats-server (one per test run, <see cref="SharedNatsServer"/>), each
/// instance under its own prefix so that tests never see each other's streams.
/// </summary>
internal sealed class JetStreamBackendUnderTest : QueueBackendUnderTest
{
    /// <summary>Short, so that a lost process's entry comes back within the test.</summary>
    public static readonly TimeSpan AckWait = TimeSpan.FromSeconds(1);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "runnerhost-contract", Guid.NewGuid().ToString("N"));
    private readonly HostServices _services;

    public JetStreamBackendUnderTest()
    {
        Directory.CreateDirectory(_root);
        var server = SharedNatsServer.Get();
        var stack = ConfigurationStack.FromDefaults();
        stack.Push("contract", $"""
            [paths]
            var_dir: {Path.Combine(_root, "var")}

            [queues]
            backend: jetstream
            servers: {server.Url}
            prefix: t{Guid.NewGuid().ToString("N")[..12]}
            ack_wait: {AckWait.TotalSeconds}s
            slice_lease: 2s

            [list.test]
            posting_address: test@example.com

            [runner.{Queue}]
            class: Unused
            instances: {SliceCount}
            """);
        _services = new HostServices(stack.Build(), NullLoggerFactory.Instance, Clock);
    }

    public JetStreamQueueBackend Backend => (JetStreamQueueBackend)_services.Backend;

    public override IQueueRegistry Queues => _services.Queues;

    public override IQueueInspector Inspector => _services.Inspector;

    public override Task<IOwnedQueueSlice> OpenSliceAsync(int slice, int count) =>
        _services.Backend.OpenSliceAsync(_services.Configuration.GetRunner(Queue), slice, count, null, CancellationToken.None);

    /// <summary>The process dies: its progress reports stop, so the server offers the entry again after the ack wait.</summary>
    public override async Task LoseProcessAsync(IOwnedQueueSlice slice, IQueueLease lease)
    {
        ArgumentNullException.ThrowIfNull(slice);
        slice.Dispose();
        await Task.Delay(AckWait + TimeSpan.FromMilliseconds(500));
    }

    /// <summary>Replaces the stored entry with a copy cut short, as a torn write would leave it.</summary>
    public override async Task DamageAsync(string id)
    {
        var store = Backend.Store;
        var parts = QueueFileName.Parse(id);
        string subject = store.Names.Subject(Queue, EntryPlace.Ready, id, parts.Digest);
        var stored = await store.GetLastAsync(Queue, subject, CancellationToken.None) ?? throw new InvalidOperationException($"no entry {id}");
        await store.DeleteAsync(Queue, stored.Sequence, CancellationToken.None);
        await store.PublishAsync(Queue, subject, stored.Data[..^10], "damaged:" + id, null, CancellationToken.None);
    }

    public override void Dispose()
    {
        _services.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Temporary; the OS cleans it.
        }
    }
}
