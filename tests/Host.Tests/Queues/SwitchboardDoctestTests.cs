using RunnerHost.Hosting.Queues;
using RunnerHost.Messages;
using static RunnerHost.Hosting.Tests.Queues.QueueTestEnvironment;

namespace RunnerHost.Hosting.Tests.Queues;

/// <summary>
/// Port of Mailman's core/docs/switchboard.rst (reference §7.3), step by step, through the queue
/// contract: enqueue with <see cref="RunnerHost.Queues.IQueue"/>, take and end with leases of a slice,
/// recovery by opening the slice; the file states are the file back end's.
/// </summary>
[TestFixture]
public sealed class SwitchboardDoctestTests
{
    private QueueTestEnvironment _env = null!;
    private FileSwitchboard _switchboard = null!;
    private SwitchboardRegistry _registry = null!;

    private string Files => CheckQueueFiles(_switchboard.Directory);

    [SetUp]
    public void SetUp()
    {
        _env = new QueueTestEnvironment();
        _switchboard = _env.Create("test");
        _registry = new SwitchboardRegistry([], Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, _env.Clock, _env.Notifier);
    }

    [TearDown]
    public void TearDown()
    {
        _switchboard.Dispose();
        _registry.Dispose();
        _env.Dispose();
    }

    [Test]
    public void Construct_has_name_and_directory()
    {
        Assert.That(_switchboard.Name, Is.EqualTo("test"));
        Assert.That(_switchboard.Directory, Is.EqualTo(_env.QueueDirectory("test")));
        Assert.That(Files, Is.EqualTo("empty"));
    }

    // The slice a runner would get: recovered when opened, entries taken as leases.
    private Task<FileQueueSlice> OpenSliceAsync() =>
        FileQueueSlice.OpenAsync(_env.Create("test"), _registry, _env.Logger, _env.Clock, null, CancellationToken.None);

    private static async Task<List<RunnerHost.Queues.IQueueLease>> TakeAllAsync(FileQueueSlice slice)
    {
        var pass = await slice.StartPassAsync();
        var leases = new List<RunnerHost.Queues.IQueueLease>();
        while (await pass.TakeNextAsync() is { } lease)
        {
            leases.Add(lease);
        }

        return leases;
    }

    [Test]
    public async Task Enqueue_dequeue_finish_walks_pck_bak_empty()
    {
        var message = TestMessage();
        string filebase = await _switchboard.EnqueueAsync(message);
        Assert.That(Files, Is.EqualTo(".pck: 1"));

        using var slice = await OpenSliceAsync();
        var lease = (await TakeAllAsync(slice)).Single();
        var entry = lease.Entry;
        Assert.That(entry.Id, Is.EqualTo(filebase));
        Assert.That(entry.RawMessage.ToArray(), Is.EqualTo(Serialize(message)));
        Assert.That(entry.Message.Subject, Is.EqualTo("Test"));
        Assert.That(Dump(entry.Metadata), Is.EqualTo("_parsemsg: False\nversion: 3"));
        Assert.That(entry.Metadata["_parsemsg"], Is.False);
        Assert.That(entry.Metadata["version"], Is.EqualTo(3L));
        Assert.That(Files, Is.EqualTo(".bak: 1"));

        await lease.CompleteAsync();
        Assert.That(Files, Is.EqualTo("empty"));
    }

    [Test]
    public async Task Enqueue_with_metadata_and_keywords_merges_them()
    {
        string filebase = await _switchboard.EnqueueAsync(TestMessage(), new MessageData { ["foo"] = 1 }, new MessageData { ["bar"] = 2 });
        var entry = await TakeAndCompleteAsync(filebase);

        Assert.That(Dump(entry.Metadata), Is.EqualTo("_parsemsg: False\nbar: 2\nfoo: 1\nversion: 3"));
    }

    [Test]
    public async Task Keyword_argument_wins_over_metadata()
    {
        string filebase = await _switchboard.EnqueueAsync(TestMessage(), new MessageData { ["foo"] = 1 }, new MessageData { ["foo"] = 2 });
        var entry = await TakeAndCompleteAsync(filebase);

        Assert.That(entry.Metadata["foo"], Is.EqualTo(2L));
        Assert.That(Files, Is.EqualTo("empty"));
    }

    [Test]
    public async Task Listing_dequeue_all_and_finish_all()
    {
        var filebases = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            filebases.Add(await _switchboard.EnqueueAsync(TestMessage()));
        }

        Assert.That(_switchboard.GetFiles().Order(StringComparer.Ordinal), Is.EqualTo(filebases.Order(StringComparer.Ordinal)));
        Assert.That(Files, Is.EqualTo(".pck: 3"));

        using var slice = await OpenSliceAsync();
        var leases = await TakeAllAsync(slice);

        Assert.That(_switchboard.GetFiles(".bak").Order(StringComparer.Ordinal), Is.EqualTo(filebases.Order(StringComparer.Ordinal)));
        Assert.That(Files, Is.EqualTo(".bak: 3"));

        foreach (var lease in leases)
        {
            await lease.CompleteAsync();
        }

        Assert.That(Files, Is.EqualTo("empty"));
    }

    [Test]
    public async Task Recovery_restores_twice_then_preserves_on_the_third()
    {
        for (int i = 0; i < 3; i++)
        {
            await _switchboard.EnqueueAsync(TestMessage());
        }

        // A runner takes all three and dies: the leases are never ended.
        using (var dying = await OpenSliceAsync())
        {
            Assert.That(await TakeAllAsync(dying), Has.Count.EqualTo(3));
        }

        Assert.That(Files, Is.EqualTo(".bak: 3"));

        // Step 10: a runner starts: opening its slice recovers; every entry comes back as its second attempt.
        using (var restarted = await OpenSliceAsync())
        {
            Assert.That(Files, Is.EqualTo(".pck: 3"));
            await AssertBackupCounts(restarted, 1);
        }

        // Step 11.
        using (var restarted = await OpenSliceAsync())
        {
            Assert.That(Files, Is.EqualTo(".pck: 3"));
            await AssertBackupCounts(restarted, 2);
        }

        // Step 12: the third restore preserves.
        using (await OpenSliceAsync())
        {
        }

        Assert.That(Files, Is.EqualTo("empty"));
        Assert.That(CheckQueueFiles(_env.BadDirectory), Is.EqualTo(".psv: 3\n.reason: 3"));
        string reason = await File.ReadAllTextAsync(Directory.GetFiles(_env.BadDirectory, "*.reason")[0]);
        Assert.That(reason, Does.Contain("restored 3 times; preserved as a likely poison message"));
    }

    // The only entry, taken as a lease and completed.
    private async Task<RunnerHost.Queues.QueueEntry> TakeAndCompleteAsync(string filebase)
    {
        using var slice = await OpenSliceAsync();
        var lease = (await TakeAllAsync(slice)).Single();
        Assert.That(lease.Entry.Id, Is.EqualTo(filebase));
        await lease.CompleteAsync();
        return lease.Entry;
    }

    // Takes every entry and ends none (as a dying runner leaves them), checking the restore count and attempt each carries.
    private static async Task AssertBackupCounts(FileQueueSlice slice, long expected)
    {
        foreach (var lease in await TakeAllAsync(slice))
        {
            Assert.That(lease.Entry.Metadata["_bak_count"], Is.EqualTo(expected), lease.Entry.Id);
            Assert.That(lease.Entry.Attempt, Is.EqualTo(expected + 1), lease.Entry.Id);
        }
    }

    // Mailman's dump_msgdata: sorted keys, Python-style booleans.
    private static string Dump(MessageData data) => string.Join(
        "\n",
        data.OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => $"{pair.Key}: {(pair.Value is bool b ? (b ? "True" : "False") : data.GetString(pair.Key))}"));
}
