using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Tests.Runners;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Cli;

public sealed class InjectCommandTests
{
    private const string Message = "From: aperson@example.com\nTo: test@example.com\nSubject: injected\n\nHello.\n";

    private TestHost _host = null!;

    [SetUp]
    public void SetUp() => _host = new TestHost("[runner.in]\nclass: Unused\n");

    [TearDown]
    public void TearDown() => _host.Dispose();

    [Test]
    public async Task Inject_from_stdin_writes_a_durable_entry_that_a_runner_then_processes()
    {
        var result = await HostProcess.RunAsync(_host.Root, Message, "inject", "-C", _host.ConfigFile, "-m", "foo=one", "test@example.com");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Is.Empty);
        var files = Directory.GetFiles(Path.Combine(_host.QueueDir, "in"));
        Assert.That(files.Select(Path.GetExtension), Is.EqualTo(new[] { ".pck" }), "one published entry, no temporary file left");
        var decoded = QueueFileFormat.Decode(await File.ReadAllBytesAsync(files[0]));
        Assert.That(decoded.Metadata.ListId, Is.EqualTo("test.example.com"));

        var runner = new TestableRunnerBase(_host.ContextFor("in"));
        await _host.RunAsync(runner).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(runner.Seen, Has.Count.EqualTo(1));
        var (message, metadata) = runner.Seen[0];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(message.Subject, Is.EqualTo("injected"));
            Assert.That(message.MessageId, Is.Not.Empty, "a Message-ID is added");
            Assert.That(message.Headers["Message-ID-Hash"], Has.Length.EqualTo(32));
            Assert.That(message.Headers["X-Message-ID-Hash"], Is.EqualTo(message.Headers["Message-ID-Hash"]));
            Assert.That(metadata.GetString("foo"), Is.EqualTo("one"));
            Assert.That(metadata.GetString("original_size"), Is.EqualTo(Message.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo("empty"));
        }
    }

    [Test]
    public async Task Inject_from_a_file_into_a_named_queue_by_list_id()
    {
        string file = Path.Combine(_host.Root, "message.eml");
        await File.WriteAllTextAsync(file, Message);

        var result = await HostProcess.RunAsync(_host.Root, null, "inject", "-C", _host.ConfigFile, "-q", "shunt", "-f", file, "test.example.com");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(_host.CheckQueueFiles("shunt"), Is.EqualTo(".pck: 1"));
    }

    [Test]
    public async Task An_unknown_list_is_one_line_and_exit_2()
    {
        var result = await HostProcess.RunAsync(_host.Root, Message, "inject", "-C", _host.ConfigFile, "bee.example.com");

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Stderr, Is.EqualTo("Error: No such list: bee.example.com\n"));
        Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo("empty"));
    }

    [Test]
    public async Task An_unknown_queue_is_one_line_and_exit_2()
    {
        var result = await HostProcess.RunAsync(_host.Root, Message, "inject", "-C", _host.ConfigFile, "-q", "bogus", "test@example.com");

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Stderr, Is.EqualTo("Error: No such queue: bogus\n"));
    }

    [Test]
    public async Task Show_lists_the_queues_sorted()
    {
        var result = await HostProcess.RunAsync(_host.Root, null, "inject", "-C", _host.ConfigFile, "--show");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Is.EqualTo("Available queues:\n    bad\n    in\n    shunt\n"));
    }

    [Test]
    public async Task An_empty_message_is_refused()
    {
        var result = await HostProcess.RunAsync(_host.Root, string.Empty, "inject", "-C", _host.ConfigFile, "test@example.com");

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Stderr, Is.EqualTo("Error: the message is empty\n"));
    }
}
