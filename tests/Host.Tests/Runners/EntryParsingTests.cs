using Microsoft.Extensions.Logging;
using MimeKit;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Lists;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Tests.Runners;

/// <summary>
/// The host parses an entry's message only when something reads it (contract 2.3): a runner that only moves
/// bytes never pays for the parse, one that reads the message gets it parsed once, and a stored message that
/// does not parse is preserved to bad, never lost. The host's own loop over real file queues.
/// </summary>
public sealed class EntryParsingTests
{
    private const string Ant = "From: aperson@example.com\nTo: test@example.com\nMessage-ID: <ant>\n\nAnt.\n";

    private TestHost _host = null!;

    [SetUp]
    public void SetUp()
    {
        _host = new TestHost();
        _host.Push("runners", """
            [runner.in]
            class: unused
            [list.french]
            posting_address: french@example.com
            preferred_language: de
            members: aperson@example.com lang=fr
            """);
    }

    [TearDown]
    public void TearDown() => _host.Dispose();

    [Test]
    public async Task A_runner_that_moves_bytes_gets_the_stored_bytes_and_the_message_is_never_parsed()
    {
        await _host.Queue("in").EnqueueRawAsync(System.Text.Encoding.ASCII.GetBytes(Ant), new MessageData { ["listid"] = "test.example.com" });
        var runner = new ByteMovingRunner(_host.ContextFor("in"));

        await _host.RunAsync(runner).WaitAsync(TimeSpan.FromSeconds(30));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(runner.Moved, Has.Count.EqualTo(1));
            Assert.That(runner.Moved[0].ParsedOnArrival, Is.False);
            Assert.That(runner.Moved[0].Entry.IsMessageParsed, Is.False, "nothing read the message after the hook either");
            Assert.That(runner.Moved[0].Raw, Is.EqualTo(Ant));
            Assert.That(runner.Moved[0].Entry.Metadata.Language, Is.EqualTo("en"), "lang is the list's: no member has a language of their own");
            Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo("empty"));
        }
    }

    [Test]
    public async Task Where_a_member_has_a_language_of_their_own_the_sender_is_read_and_lang_is_theirs()
    {
        await _host.Queue("in").EnqueueRawAsync(System.Text.Encoding.ASCII.GetBytes(Ant), new MessageData { ["listid"] = "french.example.com" });
        var runner = new ByteMovingRunner(_host.ContextFor("in"));

        await _host.RunAsync(runner).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(runner.Moved.Select(s => (s.ParsedOnArrival, s.Entry.Metadata.Language)), Is.EqualTo(new[] { (true, "fr") }));
    }

    [Test]
    public async Task A_runner_that_reads_the_message_gets_it_parsed_from_the_stored_bytes()
    {
        await _host.Queue("in").EnqueueRawAsync(System.Text.Encoding.ASCII.GetBytes(Ant), new MessageData { ["listid"] = "test.example.com" });
        var runner = new TestableRunnerBase(_host.ContextFor("in"));

        await _host.RunAsync(runner).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(runner.Seen.Select(s => (s.Message.MessageId, s.Message.From.Mailboxes.Single().Address)), Is.EqualTo(new[] { ("ant", "aperson@example.com") }));
    }

    [Test]
    public async Task A_stored_message_that_does_not_parse_is_preserved_to_bad_when_the_runner_reads_it_and_moved_on_when_it_does_not()
    {
        // An empty message: the entry itself is sound (framing, checksum, metadata); MIME parsing fails.
        string unreadByParser = await _host.Queue("in").EnqueueRawAsync(ReadOnlyMemory<byte>.Empty, new MessageData { ["listid"] = "test.example.com" });
        var parsing = new TestableRunnerBase(_host.ContextFor("in"));

        await _host.RunAsync(parsing).WaitAsync(TimeSpan.FromSeconds(30));

        string bad = Path.Combine(_host.QueueDir, "bad");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(parsing.Seen, Is.Empty);
            Assert.That(File.Exists(Path.Combine(bad, unreadByParser + ".psv")), Is.True, "preserved, not lost");
            Assert.That(_host.CheckQueueFiles("shunt"), Is.EqualTo("empty"), "a damaged message is not the runner's crash");
            Assert.That(_host.Logs.Messages(LogLevel.Error), Has.Some.Contains(unreadByParser).And.Contains("cannot be parsed"));
        }

        await _host.Queue("in").EnqueueRawAsync(ReadOnlyMemory<byte>.Empty, new MessageData { ["listid"] = "test.example.com" });
        var moving = new ByteMovingRunner(_host.ContextFor("in"));

        await _host.RunAsync(moving).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(moving.Moved.Select(s => s.Raw), Is.EqualTo(new[] { string.Empty }));
    }

    [Test]
    public void An_entry_given_a_parse_function_parses_once_on_first_read_and_deconstructs_as_before()
    {
        int parses = 0;
        var entry = new QueueEntry("id", () => { parses++; return MimeMessage.Load(new MemoryStream(System.Text.Encoding.ASCII.GetBytes(Ant))); }, new MessageData(), System.Text.Encoding.ASCII.GetBytes(Ant), 2);

        Assert.That((entry.IsMessageParsed, parses), Is.EqualTo((false, 0)));
        var (id, message, _, raw, attempt) = entry;
        _ = entry.Message;

        Assert.That((entry.IsMessageParsed, parses, id, message.MessageId, raw.Length, attempt), Is.EqualTo((true, 1, "id", "ant", Ant.Length, 2)));
    }

    private sealed class ByteMovingRunner(RunnerContext context) : TestableRunnerBase(context)
    {
        public List<(QueueEntry Entry, bool ParsedOnArrival, string Raw)> Moved { get; } = [];

        protected override Task<bool> ProcessEntryAsync(IMailingList mailingList, QueueEntry entry, CancellationToken cancellationToken)
        {
            Moved.Add((entry, entry.IsMessageParsed, System.Text.Encoding.ASCII.GetString(entry.RawMessage.Span)));
            return Task.FromResult(false);
        }
    }
}
