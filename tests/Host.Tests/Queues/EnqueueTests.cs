using System.Text;
using MimeKit;
using RunnerHost.Hosting.Queues;
using RunnerHost.Messages;
using static RunnerHost.Hosting.Tests.Queues.QueueTestEnvironment;

namespace RunnerHost.Hosting.Tests.Queues;

[TestFixture]
public sealed class EnqueueTests
{
    private QueueTestEnvironment _env = null!;
    private FileSwitchboard _switchboard = null!;

    [SetUp]
    public void SetUp()
    {
        _env = new QueueTestEnvironment();
        _switchboard = _env.Create("in");
    }

    [TearDown]
    public void TearDown()
    {
        _switchboard.Dispose();
        _env.Dispose();
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_missing_queue_directory_is_created_by_the_enqueue_even_after_it_was_removed(bool fsync)
    {
        using var switchboard = _env.Create("created", fsync: fsync);
        var metadata = new MessageData { ["listid"] = "t.example.com" };

        string first = await switchboard.EnqueueAsync(TestMessage(), metadata);
        Directory.Delete(switchboard.Directory, recursive: true);
        string second = await switchboard.EnqueueAsync(TestMessage(), metadata);

        Assert.That(File.Exists(Path.Combine(switchboard.Directory, first + ".pck")), Is.False, "removed with its directory");
        Assert.That(File.Exists(Path.Combine(switchboard.Directory, second + ".pck")), Is.True);
        Assert.That(Directory.GetFiles(switchboard.Directory, "*.tmp"), Is.Empty);
    }

    [Test]
    public async Task Extra_wins_and_caller_dictionaries_are_unchanged()
    {
        var metadata = new MessageData { ["foo"] = 1, ["_secret"] = "x", ["_bak_count"] = 2, ["listid"] = "t.example.com" };
        var extra = new MessageData { ["foo"] = 2, ["bar"] = "b", ["_volatile"] = true };

        string filebase = await _switchboard.EnqueueAsync(TestMessage(), metadata, extra);
        var entry = await _switchboard.DequeueAsync(filebase);

        Assert.That(string.Join(",", metadata.Keys), Is.EqualTo("foo,_secret,_bak_count,listid"));
        Assert.That(metadata["foo"], Is.EqualTo(1L));
        Assert.That(metadata.ContainsKey("version"), Is.False);
        Assert.That(string.Join(",", extra.Keys), Is.EqualTo("foo,bar,_volatile"));
        Assert.That(string.Join(",", entry.Metadata.Keys), Is.EqualTo("foo,listid,bar,version,_parsemsg"));
        Assert.That(entry.Metadata["foo"], Is.EqualTo(2L));
        Assert.That(entry.Metadata["version"], Is.EqualTo(3L));
        Assert.That(entry.Metadata["_parsemsg"], Is.EqualTo(false));
    }

    [Test]
    public async Task Version_is_overwritten_with_3()
    {
        string filebase = await _switchboard.EnqueueAsync(TestMessage(), new MessageData { ["version"] = 1 });
        var entry = await _switchboard.DequeueAsync(filebase);
        Assert.That(entry.Metadata["version"], Is.EqualTo(3L));
    }

    [Test]
    public async Task Enqueue_then_dequeue_round_trips_bytes_exactly()
    {
        var raw = new List<byte>();
        raw.AddRange(Encoding.ASCII.GetBytes("From: aperson@example.com\r\nTo: list@example.com\r\nX-Long: "));
        raw.AddRange(Encoding.ASCII.GetBytes(new string('x', 3000)));
        raw.AddRange(Encoding.ASCII.GetBytes("\r\nSubject: caf"));
        raw.AddRange(new byte[] { 0xE9, 0xFF, 0x80 });
        raw.AddRange(Encoding.ASCII.GetBytes("\r\n\r\nBody with 8-bit "));
        raw.AddRange(new byte[] { 0xC3, 0xA4, 0x00, 0xFE });
        raw.AddRange(Encoding.ASCII.GetBytes("\r\nlast line without newline"));
        byte[] original = [.. raw];

        string filebase = await _switchboard.EnqueueRawAsync(original);
        var entry = await _switchboard.DequeueAsync(filebase);

        Assert.That(entry.RawMessage.ToArray(), Is.EqualTo(original));
        Assert.That(entry.Message.From.Mailboxes.Single().Address, Is.EqualTo("aperson@example.com"));
        Assert.That(entry.Message.Headers["X-Long"], Has.Length.EqualTo(3000));
    }

    [Test]
    public async Task MimeMessage_round_trip_preserves_text()
    {
        var message = TestMessage("Grüße aus Köln — ünïcödé\nsecond line");
        message.Subject = "Ärger mit dem Übermut";

        string filebase = await _switchboard.EnqueueAsync(message);
        var entry = await _switchboard.DequeueAsync(filebase);

        Assert.That(entry.Message.Subject, Is.EqualTo("Ärger mit dem Übermut"));
        Assert.That(entry.Message.TextBody!.ReplaceLineEndings("\n").TrimEnd(), Is.EqualTo("Grüße aus Köln — ünïcödé\nsecond line"));
        Assert.That(entry.RawMessage.ToArray(), Is.EqualTo(Serialize(message)));
    }

    [Test]
    public async Task Metadata_types_survive_the_round_trip()
    {
        var nested = new MessageData { ["type"] = "X", ["attempt"] = 2 };
        var metadata = new MessageData
        {
            ["int"] = 42,
            ["whole_double"] = 2.0,
            ["double"] = 0.1,
            ["big"] = long.MaxValue,
            ["text"] = "ünï \"quoted\"\n",
            ["yes"] = true,
            ["nothing"] = null,
            ["list"] = new List<object?> { 1L, "two", 3.5, null },
            ["error"] = nested,
        };

        string filebase = await _switchboard.EnqueueAsync(TestMessage(), metadata);
        var back = (await _switchboard.DequeueAsync(filebase)).Metadata;

        Assert.That(back["int"], Is.EqualTo(42L).And.TypeOf<long>());
        Assert.That(back["whole_double"], Is.EqualTo(2.0).And.TypeOf<double>());
        Assert.That(back["double"], Is.EqualTo(0.1));
        Assert.That(back["big"], Is.EqualTo(long.MaxValue));
        Assert.That(back["text"], Is.EqualTo("ünï \"quoted\"\n"));
        Assert.That(back["yes"], Is.True);
        Assert.That(back["nothing"], Is.Null);
        Assert.That(back["list"], Is.EqualTo(new List<object?> { 1L, "two", 3.5, null }));
        Assert.That(back.GetNested("error")!["attempt"], Is.EqualTo(2L));
        Assert.That(back.Keys.Take(9), Is.EqualTo(metadata.Keys));
    }

    [Test]
    public async Task Identical_messages_in_the_same_tick_get_distinct_names()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        using var env = new QueueTestEnvironment(clock);
        using var switchboard = env.Create("in", fsync: false);
        byte[] raw = Serialize(TestMessage());

        var names = new HashSet<string>();
        for (int i = 0; i < 20; i++)
        {
            names.Add(await switchboard.EnqueueRawAsync(raw));
        }

        Assert.That(names, Has.Count.EqualTo(20));
        Assert.That(string.Join(",", names.Select(name => name.Split('+')[0]).Distinct()), Is.EqualTo("1700000000.0"));
    }

    [Test]
    public async Task Name_time_is_the_enqueue_time_and_digest_is_lowercase_hex()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(1_795_811_424_594));
        using var env = new QueueTestEnvironment(clock);
        using var switchboard = env.Create("in", fsync: false);

        string filebase = await switchboard.EnqueueAsync(TestMessage());

        Assert.That(filebase, Does.Match("^1795811424\\.594\\+[0-9a-f]{40}$"));
    }

    [Test]
    public async Task Cancelled_enqueue_writes_nothing()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAsync<OperationCanceledException>(() => _switchboard.EnqueueAsync(TestMessage(), cancellationToken: cts.Token));
        Assert.That(CheckQueueFiles(_switchboard.Directory), Is.EqualTo("empty"));
    }
}
