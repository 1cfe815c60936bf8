using RunnerHost.Host.Queues;
using RunnerHost.Messages;
using static RunnerHost.Host.Tests.Queues.QueueTestEnvironment;

namespace RunnerHost.Host.Tests.Queues;

/// <summary>Port of Mailman's core/docs/switchboard.rst (reference §7.3), step by step.</summary>
[TestFixture]
public sealed class SwitchboardDoctestTests
{
    private QueueTestEnvironment _env = null!;
    private FileSwitchboard _switchboard = null!;

    private string Files => CheckQueueFiles(_switchboard.Directory);

    [SetUp]
    public void SetUp()
    {
        _env = new QueueTestEnvironment();
        _switchboard = _env.Create("test");
    }

    [TearDown]
    public void TearDown()
    {
        _switchboard.Dispose();
        _env.Dispose();
    }

    [Test]
    public void Construct_has_name_and_directory()
    {
        Assert.That(_switchboard.Name, Is.EqualTo("test"));
        Assert.That(_switchboard.Directory, Is.EqualTo(_env.QueueDirectory("test")));
        Assert.That(Files, Is.EqualTo("empty"));
    }

    [Test]
    public async Task Enqueue_dequeue_finish_walks_pck_bak_empty()
    {
        var message = TestMessage();
        string filebase = await _switchboard.EnqueueAsync(message);
        Assert.That(Files, Is.EqualTo(".pck: 1"));

        var entry = await _switchboard.DequeueAsync(filebase);
        Assert.That(entry.RawMessage.ToArray(), Is.EqualTo(Serialize(message)));
        Assert.That(entry.Message.Subject, Is.EqualTo("Test"));
        Assert.That(Dump(entry.Metadata), Is.EqualTo("_parsemsg: False\nversion: 3"));
        Assert.That(entry.Metadata["_parsemsg"], Is.False);
        Assert.That(entry.Metadata["version"], Is.EqualTo(3L));
        Assert.That(Files, Is.EqualTo(".bak: 1"));

        await _switchboard.FinishAsync(filebase);
        Assert.That(Files, Is.EqualTo("empty"));
    }

    [Test]
    public async Task Enqueue_with_metadata_and_keywords_merges_them()
    {
        string filebase = await _switchboard.EnqueueAsync(TestMessage(), new MessageData { ["foo"] = 1 }, new MessageData { ["bar"] = 2 });
        var entry = await _switchboard.DequeueAsync(filebase);
        await _switchboard.FinishAsync(filebase);

        Assert.That(Dump(entry.Metadata), Is.EqualTo("_parsemsg: False\nbar: 2\nfoo: 1\nversion: 3"));
    }

    [Test]
    public async Task Keyword_argument_wins_over_metadata()
    {
        string filebase = await _switchboard.EnqueueAsync(TestMessage(), new MessageData { ["foo"] = 1 }, new MessageData { ["foo"] = 2 });
        var entry = await _switchboard.DequeueAsync(filebase);
        await _switchboard.FinishAsync(filebase);

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

        foreach (string filebase in _switchboard.GetFiles())
        {
            await _switchboard.DequeueAsync(filebase);
        }

        Assert.That(_switchboard.GetFiles(".bak").Order(StringComparer.Ordinal), Is.EqualTo(filebases.Order(StringComparer.Ordinal)));
        Assert.That(Files, Is.EqualTo(".bak: 3"));

        foreach (string filebase in filebases)
        {
            await _switchboard.FinishAsync(filebase);
        }

        Assert.That(Files, Is.EqualTo("empty"));
    }

    [Test]
    public async Task Recovery_restores_twice_then_preserves_on_the_third()
    {
        for (int i = 0; i < 3; i++)
        {
            string filebase = await _switchboard.EnqueueAsync(TestMessage());
            await _switchboard.DequeueAsync(filebase);
        }

        Assert.That(Files, Is.EqualTo(".bak: 3"));

        // Step 10: a new switchboard with recovery (a runner start).
        using (var restarted = _env.Create("test"))
        {
            await restarted.RecoverAsync();
            Assert.That(Files, Is.EqualTo(".pck: 3"));
            await AssertBackupCounts(restarted, 1);
        }

        // Step 11.
        using (var restarted = _env.Create("test"))
        {
            await restarted.RecoverAsync();
            Assert.That(Files, Is.EqualTo(".pck: 3"));
            await AssertBackupCounts(restarted, 2);
        }

        // Step 12: the third restore preserves.
        using (var restarted = _env.Create("test"))
        {
            await restarted.RecoverAsync();
        }

        Assert.That(Files, Is.EqualTo("empty"));
        Assert.That(CheckQueueFiles(_env.BadDirectory), Is.EqualTo(".psv: 3\n.reason: 3"));
        string reason = await File.ReadAllTextAsync(Directory.GetFiles(_env.BadDirectory, "*.reason")[0]);
        Assert.That(reason, Does.Contain("restored 3 times; preserved as a likely poison message"));
    }

    // Dequeues every entry (leaving .bak files), checking the restore count each carries.
    private static async Task AssertBackupCounts(FileSwitchboard switchboard, long expected)
    {
        foreach (string filebase in switchboard.GetFiles())
        {
            var entry = await switchboard.DequeueAsync(filebase);
            Assert.That(entry.Metadata["_bak_count"], Is.EqualTo(expected), filebase);
        }
    }

    // Mailman's dump_msgdata: sorted keys, Python-style booleans.
    private static string Dump(MessageData data) => string.Join(
        "\n",
        data.OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => $"{pair.Key}: {(pair.Value is bool b ? (b ? "True" : "False") : data.GetString(pair.Key))}"));
}
