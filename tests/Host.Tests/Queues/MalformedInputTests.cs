using System.Text;
using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Queues;
using RunnerHost.Messages;
using RunnerHost.Queues;
using static RunnerHost.Hosting.Tests.Queues.QueueTestEnvironment;

namespace RunnerHost.Hosting.Tests.Queues;

[TestFixture]
public sealed class MalformedInputTests
{
    private static readonly byte[] Message = Encoding.ASCII.GetBytes("From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n");

    private QueueTestEnvironment _env = null!;
    private FileSwitchboard _switchboard = null!;

    [SetUp]
    public void SetUp()
    {
        _env = new QueueTestEnvironment();
        _switchboard = _env.Create("in", fsync: false);
        Directory.CreateDirectory(_switchboard.Directory);
    }

    [TearDown]
    public void TearDown()
    {
        _switchboard.Dispose();
        _env.Dispose();
    }

    private static byte[] ValidFile() => QueueFileFormat.Encode(new MessageData { ["listid"] = "t.example.com" }, Message);

    [Test]
    public async Task Zero_byte_file_is_reported_as_empty() =>
        await AssertDequeueCorrupt([], "empty file (0 bytes)");

    [Test]
    public async Task Truncated_file_reports_expected_and_actual_length()
    {
        byte[] valid = ValidFile();
        await AssertDequeueCorrupt(valid[..(valid.Length / 2)], $"truncated: expected {valid.Length} bytes got {valid.Length / 2}");
    }

    [Test]
    public async Task Garbage_is_reported_as_bad_magic() =>
        await AssertDequeueCorrupt(Encoding.ASCII.GetBytes("\x80\x03}q\x00(X\x03\x00\x00\x00foo pickle"), "bad magic: expected 'RUNNERHOST-QUEUE'");

    [Test]
    public async Task Flipped_byte_in_the_message_is_a_checksum_mismatch()
    {
        byte[] file = ValidFile();
        int bodyIndex = Encoding.ASCII.GetString(file).IndexOf("body", StringComparison.Ordinal);
        file[bodyIndex] ^= 0x20;
        await AssertDequeueCorrupt(file, "checksum mismatch");
    }

    [Test]
    public async Task Unknown_version_is_reported() =>
        await AssertDequeueCorrupt(QueueFileFormat.Frame("{}"u8, Message, 2), "unsupported version 2");

    [Test]
    public async Task Invalid_metadata_json_is_reported() =>
        await AssertDequeueCorrupt(QueueFileFormat.Frame("{\"foo\": 1,"u8, Message, 1), "metadata JSON invalid:");

    [Test]
    public async Task Metadata_that_is_not_an_object_is_reported() =>
        await AssertDequeueCorrupt(QueueFileFormat.Frame("[1, 2]"u8, Message, 1), "metadata JSON invalid: expected a JSON object");

    [Test]
    public async Task Malformed_header_is_reported() =>
        await AssertDequeueCorrupt(Encoding.ASCII.GetBytes("RUNNERHOST-QUEUE 1 abc 5\n{}hello"), "header malformed");

    [Test]
    public async Task Extra_bytes_after_the_trailer_are_reported()
    {
        byte[] file = [.. ValidFile(), .. "junk"u8.ToArray()];
        await AssertDequeueCorrupt(file, "too long");
    }

    [Test]
    public async Task Corrupt_entry_preserved_by_finish_lands_in_bad_with_reason()
    {
        string filebase = WriteEntry([]);
        var error = await Assert.ThrowsAsync<QueueEntryCorruptException>(() => _switchboard.DequeueAsync(filebase));

        await _switchboard.FinishAsync(filebase, preserve: true, reason: $"unreadable: {error!.Message}");

        Assert.That(CheckQueueFiles(_switchboard.Directory), Is.EqualTo("empty"));
        Assert.That(File.Exists(Path.Combine(_env.BadDirectory, filebase + ".psv")), Is.True);
        string reason = await File.ReadAllTextAsync(Path.Combine(_env.BadDirectory, filebase + ".psv.reason"));
        Assert.That(reason, Does.Contain("unreadable: empty file (0 bytes)").And.Contain("\"queue\":\"in\"").And.Contain(filebase + ".bak"));
    }

    [Test]
    public async Task Preserving_the_same_name_twice_picks_a_unique_name()
    {
        string filebase = WriteEntry(ValidFile());
        await _switchboard.FinishAsync(filebase, preserve: true, reason: "first");
        File.WriteAllBytes(Path.Combine(_switchboard.Directory, filebase + ".pck"), ValidFile());
        await _switchboard.FinishAsync(filebase, preserve: true, reason: "second");

        Assert.That(File.Exists(Path.Combine(_env.BadDirectory, filebase + ".psv")), Is.True);
        Assert.That(File.Exists(Path.Combine(_env.BadDirectory, filebase + "-1.psv")), Is.True);
        Assert.That(await File.ReadAllTextAsync(Path.Combine(_env.BadDirectory, filebase + "-1.psv.reason")), Does.Contain("second"));
    }

    [Test]
    public async Task Unparseable_names_are_quarantined_and_the_listing_goes_on()
    {
        string good1 = await _switchboard.EnqueueAsync(TestMessage("one"));
        string good2 = await _switchboard.EnqueueAsync(TestMessage("two"));
        File.WriteAllText(Path.Combine(_switchboard.Directory, "README.pck"), "not an entry");
        File.WriteAllText(Path.Combine(_switchboard.Directory, "abc+xyz.pck"), "not an entry");

        var snapshot = _switchboard.GetSnapshot(DateTimeOffset.UtcNow.AddMinutes(1));

        Assert.That(snapshot.Ready, Is.EquivalentTo(new List<string> { good1, good2 }));
        Assert.That(CheckQueueFiles(_switchboard.Directory), Is.EqualTo(".pck: 2"));
        Assert.That(File.Exists(Path.Combine(_env.BadDirectory, "README.psv")), Is.True);
        Assert.That(File.Exists(Path.Combine(_env.BadDirectory, "abc+xyz.psv")), Is.True);
        Assert.That(await File.ReadAllTextAsync(Path.Combine(_env.BadDirectory, "README.psv.reason")), Does.Contain("no '+'"));
        var warnings = _env.Logs.Lines.Where(line => line.Level == LogLevel.Warning).ToList();
        Assert.That(warnings, Has.Count.EqualTo(2));
        Assert.That(warnings.Select(line => line.Message), Has.One.Contains("README.pck").And.One.Contains("abc+xyz.pck"));

        // Logged once: the next listing finds nothing more to quarantine.
        _switchboard.GetSnapshot(DateTimeOffset.UtcNow);
        Assert.That(_env.Logs.Lines.Count(line => line.Level == LogLevel.Warning), Is.EqualTo(2));
    }

    [Test]
    public void ReadWhatYouCan_returns_the_readable_parts_of_a_truncated_file()
    {
        byte[] valid = ValidFile();
        int cut = valid.Length - 80; // Inside the message.
        var partial = QueueFileFormat.ReadWhatYouCan(valid.AsMemory(0, cut));

        Assert.That(partial.Version, Is.EqualTo(1));
        Assert.That(partial.Metadata!["listid"], Is.EqualTo("t.example.com"));
        Assert.That(partial.MessageLength, Is.EqualTo(Message.Length));
        Assert.That(partial.Message!.Value.ToArray(), Is.EqualTo(Message[..partial.Message.Value.Length]));
        Assert.That(partial.ChecksumValid, Is.False);
        Assert.That(partial.Problems, Has.Count.EqualTo(1).And.One.StartsWith("truncated"));
    }

    [Test]
    public void ReadWhatYouCan_reports_nothing_wrong_for_a_sound_file()
    {
        var partial = QueueFileFormat.ReadWhatYouCan(ValidFile());
        Assert.That(partial.Problems, Is.Empty);
        Assert.That(partial.ChecksumValid, Is.True);
        Assert.That(partial.Message!.Value.ToArray(), Is.EqualTo(Message));
    }

    [Test]
    public async Task Finish_never_throws_and_logs_when_bad_is_not_a_directory()
    {
        string filebase = await _switchboard.EnqueueAsync(TestMessage());
        await _switchboard.DequeueAsync(filebase);
        File.WriteAllText(_env.BadDirectory, "a file where the bad directory should be");

        await _switchboard.FinishAsync(filebase, preserve: true, reason: "test");

        Assert.That(File.Exists(Path.Combine(_switchboard.Directory, filebase + ".bak")), Is.True, "the entry stays where it was");
        var error = _env.Logs.Lines.Single(line => line.Level == LogLevel.Error);
        Assert.That(error.Message, Does.Contain("Failed to preserve").And.Contain(filebase));
        Assert.That(error.Exception, Is.InstanceOf<IOException>());
    }

    [Test]
    public async Task Finish_of_a_missing_entry_logs_and_does_not_throw()
    {
        await _switchboard.FinishAsync("1.0+" + new string('a', 40));
        Assert.That(_env.Logs.Lines.Single().Message, Does.Contain("nothing to finish"));
    }

    [Test]
    public async Task Dequeue_of_a_missing_entry_throws_not_found()
    {
        var error = await Assert.ThrowsAsync<QueueEntryNotFoundException>(() => _switchboard.DequeueAsync("1.0+" + new string('a', 40)));
        Assert.That(error!.Message, Does.Contain("1.0+aaaa"));
    }

    private string WriteEntry(byte[] content)
    {
        string filebase = QueueFileName.Create(content, null, 1_700_000_000.25);
        File.WriteAllBytes(Path.Combine(_switchboard.Directory, filebase + ".pck"), content);
        return filebase;
    }

    private async Task AssertDequeueCorrupt(byte[] content, string expected)
    {
        string filebase = WriteEntry(content);
        var error = await Assert.ThrowsAsync<QueueEntryCorruptException>(() => _switchboard.DequeueAsync(filebase));
        Assert.That(error!.Message, Does.Contain(expected));
        Assert.That(CheckQueueFiles(_switchboard.Directory), Is.EqualTo(".bak: 1"), "the .bak stays for the caller to preserve");
    }
}
