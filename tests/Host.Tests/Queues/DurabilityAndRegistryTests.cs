using Microsoft.Extensions.Logging.Abstractions;
using RunnerHost.Hosting.Queues;
using RunnerHost.Messages;
using static RunnerHost.Hosting.Tests.Queues.QueueTestEnvironment;

using RunnerHost.Hosting.IO;

namespace RunnerHost.Hosting.Tests.Queues;

[TestFixture]
public sealed class DurabilityAndRegistryTests
{
    private QueueTestEnvironment _env = null!;

    [SetUp]
    public void SetUp() => _env = new QueueTestEnvironment();

    [TearDown]
    public void TearDown() => _env.Dispose();

    [Test]
    public async Task Fsynced_enqueue_leaves_no_temp_file_and_a_decodable_pck()
    {
        using var switchboard = _env.Create("in", fsync: true);
        var metadata = new MessageData { ["listid"] = "t.example.com" };

        var message = TestMessage();
        string filebase = await switchboard.EnqueueAsync(message, metadata);

        Assert.That(Directory.GetFiles(switchboard.Directory, "*.tmp"), Is.Empty);
        Assert.That(CheckQueueFiles(switchboard.Directory), Is.EqualTo(".pck: 1"));
        var decoded = QueueFileFormat.Decode(await File.ReadAllBytesAsync(Path.Combine(switchboard.Directory, filebase + ".pck")));
        Assert.That(decoded.Metadata.ListId, Is.EqualTo("t.example.com"));
        Assert.That(decoded.Message.ToArray(), Is.EqualTo(Serialize(message)));
    }

    [Test]
    public void FsyncDirectory_works_on_a_directory_and_fails_on_a_missing_one()
    {
        Assert.DoesNotThrow(() => DurableFiles.FsyncDirectory(_env.Root));
        var error = Assert.Throws<IOException>(() => DurableFiles.FsyncDirectory(Path.Combine(_env.Root, "missing")));
        Assert.That(error!.Message, Does.Contain("errno"));
    }

    [Test]
    public void Publish_refuses_to_overwrite_an_existing_entry()
    {
        string final = Path.Combine(_env.Root, "x.pck");
        DurableFiles.Publish(final + ".tmp", final, "one"u8, fsync: true);

        Assert.Throws<IOException>(() => DurableFiles.Publish(final + ".tmp", final, "two"u8, fsync: true));
        Assert.That(File.ReadAllText(final), Is.EqualTo("one"));
        Assert.That(File.Exists(final + ".tmp"), Is.False, "the failed temporary file is cleaned up");
    }

    [Test]
    public void Registry_sorts_names_and_reports_unknown_queues()
    {
        using var registry = new SwitchboardRegistry(
            new List<string> { "out", "bad", "in", "Zeta" }.Select(Options),
            NullLoggerFactory.Instance,
            TimeProvider.System,
            _env.Notifier);

        Assert.That(string.Join(",", registry.Names), Is.EqualTo("Zeta,bad,in,out"));
        Assert.That(registry["in"].Name, Is.EqualTo("in"));
        Assert.That(registry.TryGet("out", out var found), Is.True);
        Assert.That(found!.Name, Is.EqualTo("out"));
        Assert.That(registry.TryGet("nope", out _), Is.False);
        var error = Assert.Throws<KeyNotFoundException>(() => _ = registry["nope"]);
        Assert.That(error!.Message, Is.EqualTo("No such queue: nope"));
    }

    [Test]
    public void Registry_rejects_duplicates_and_sliced_queues()
    {
        Assert.Throws<ArgumentException>(() => _ = new SwitchboardRegistry([Options("in"), Options("in")], NullLoggerFactory.Instance, TimeProvider.System, _env.Notifier));
        Assert.Throws<ArgumentException>(() => _ = new SwitchboardRegistry([Options("in") with { SliceCount = 2 }], NullLoggerFactory.Instance, TimeProvider.System, _env.Notifier));
    }

    [Test]
    public async Task Registry_switchboards_enqueue_into_their_directories()
    {
        using var registry = new SwitchboardRegistry([Options("in"), Options("out")], NullLoggerFactory.Instance, TimeProvider.System, _env.Notifier);
        await registry["out"].EnqueueAsync(TestMessage());

        Assert.That(CheckQueueFiles(_env.QueueDirectory("out")), Is.EqualTo(".pck: 1"));
        Assert.That(CheckQueueFiles(_env.QueueDirectory("in")), Is.EqualTo("empty"));
    }

    [Test]
    public void Relative_directories_are_rejected()
    {
        var options = Options("in") with { Directory = "relative/in" };
        Assert.Throws<ArgumentException>(() => _ = new FileSwitchboard(options, NullLogger.Instance, TimeProvider.System, _env.Notifier));
    }

    private FileSwitchboardOptions Options(string name) => new()
    {
        Name = name,
        Directory = _env.QueueDirectory(name),
        BadDirectory = _env.BadDirectory,
    };
}
