using MimeKit;
using RunnerHost.Hosting.Messages;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Lists;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Runners;

/// <summary>Mailman's core/docs/runner.rst, step by step, on each queue back end.</summary>
[TestFixture("file")]
[TestFixture("jetstream")]
public sealed class SeedDocumentTests(string backend)
{
    private TestHost _host = null!;

    [SetUp]
    public void SetUp() => _host = new TestHost(backend == "jetstream" ? TestHost.JetStreamConfig() : string.Empty);

    [TearDown]
    public void TearDown() => _host.Dispose();

    [Test]
    public async Task A_runner_dequeues_a_message_and_hands_it_to_its_dispose_hook()
    {
        // The test runner's section, as a configuration layer.
        _host.Push("test-runner", """
            [runner.test]
            max_restarts: 1
            """);

        // A runner that remembers what it was given, stops itself, and never sleeps.
        var runner = new TestableRunner(_host.ContextFor("test"));

        // A message for the list test@example.com, enqueued with some metadata.
        var message = TestMessages.FromText("From: aperson@example.com\nTo: test@example.com\n\nA test message.\n");
        await _host.Services.Queues["test"].EnqueueAsync(message, new MessageData
        {
            ["listid"] = "test.example.com",
            ["foo"] = "yes",
            ["bar"] = "no",
        });

        await _host.RunAsync(runner);

        Assert.That(TestMessages.AsText(runner.Message!), Is.EqualTo("From: aperson@example.com\nTo: test@example.com\n\nA test message.\n"));
        Assert.That(MetadataDump.Format(runner.Metadata!), Is.EqualTo("""
            _parsemsg: False
            bar      : no
            foo      : yes
            lang     : en
            listid   : test.example.com
            version  : 3

            """));

        _host.Pop("test-runner");
        Assert.That(_host.Services.Configuration.TryGetRunner("test", out _), Is.False);
    }

    private sealed class TestableRunner(RunnerContext context) : Runner(context)
    {
        public MimeMessage? Message { get; private set; }

        public MessageData? Metadata { get; private set; }

        protected override Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
        {
            Message = message;
            Metadata = metadata;
            return Task.FromResult(false);
        }

        protected override Task DoPeriodicAsync(CancellationToken cancellationToken)
        {
            Stop();
            return Task.CompletedTask;
        }

        protected override Task SnoozeAsync(int fileCount, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
