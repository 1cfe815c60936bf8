using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Queues.JetStream;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.JetStream;

/// <summary>
/// The operator's commands, run as operators run them (the real executable), on queues in JetStream:
/// inject, a runner pass that shunts, unshunt with its listing and replay, qfile by entry id, bad
/// list/show/requeue/purge after a damaged entry was preserved, queues and metrics.
/// </summary>
public sealed class CommandsOnJetStreamTests
{
    private string _root = null!;
    private string _config = null!;
    private string _blocker = null!;

    [SetUp]
    public async Task SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "runnerhost-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        _blocker = Path.Combine(_root, "maildir");
        _config = Path.Combine(_root, "runner-host.cfg");
        await File.WriteAllTextAsync(_config, $"""
            [paths]
            var_dir: {Path.Combine(_root, "var")}

            [queues]
            backend: jetstream
            servers: {SharedNatsServer.Get().Url}
            prefix: c{Guid.NewGuid().ToString("N")[..12]}
            ack_wait: 5s
            slice_lease: 2s

            [list.test]
            posting_address: test@example.com

            [runner.archive]
            class: MaildirArchiveRunner
            maildir: {_blocker}
            """);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task A_shunted_message_is_found_read_by_id_unshunted_and_processed()
    {
        // A file where the Maildir should be: the archive runner fails and shunts.
        await File.WriteAllTextAsync(_blocker, "not a directory\n");
        var injected = await RunAsync("From: anne@example.com\nTo: test@example.com\nSubject: stuck\n\nBody.\n", "inject", "-q", "archive", "test@example.com");
        var failed = await RunAsync(null, "runner", "--runner", "archive", "--once");
        Assert.That(failed.ExitCode, Is.Zero, failed.ToString());

        var listed = await RunAsync(null, "unshunt", "--dry-run");
        string[] fields = listed.Stdout.Split("  ");
        string id = fields[0];
        Assert.That(fields[1..3], Is.EqualTo(new[] { "archive", "test.example.com" }), listed.ToString());

        var shown = await RunAsync(null, "qfile", "shunt/" + id);
        Assert.That(shown.ExitCode, Is.Zero, shown.ToString());
        Assert.That(shown.Stdout, Does.Contain("JetStream stream").And.Contain("runner  : archive\n").And.Contain("Subject: stuck\n"));
        var queues = await RunAsync(null, "queues", "--json");
        Assert.That(queues.ExitCode, Is.Zero, queues.ToString());
        Assert.That(Depth(queues.Stdout, "shunt"), Is.EqualTo(1));

        File.Delete(_blocker);
        var unshunted = await RunAsync(null, "unshunt", "--id", id);
        Assert.That(unshunted.Stdout, Does.StartWith($"{id} -> archive "), unshunted.ToString());
        var again = await RunAsync(null, "unshunt", "--id", id);
        Assert.That(again.ExitCode, Is.Not.Zero, "an entry is never replayed twice");

        var processed = await RunAsync(null, "runner", "--runner", "archive", "--once");
        Assert.That(processed.ExitCode, Is.Zero, processed.ToString());
        var archived = Directory.GetFiles(Path.Combine(_blocker, "test.example.com", "new"));
        Assert.That(archived.Select(f => MimeKit.MimeMessage.Load(f).Subject), Is.EqualTo(new[] { "stuck" }));
        var after = await RunAsync(null, "queues", "--json");
        Assert.That((Depth(after.Stdout, "shunt"), Depth(after.Stdout, "archive")), Is.EqualTo((0, 0)), after.Stdout);
        Assert.That(injected.ExitCode, Is.Zero);
    }

    [Test]
    public async Task A_damaged_entry_goes_to_bad_and_is_listed_shown_requeued_and_purged()
    {
        string damaged = await PublishDamagedAsync();
        var pass = await RunAsync(null, "runner", "--runner", "archive", "--once");
        Assert.That(pass.ExitCode, Is.Zero, pass.ToString());

        var listed = await RunAsync(null, "bad", "list");
        Assert.That(listed.Stdout, Does.Contain(damaged).And.Contain("unreadable: truncated"), listed.ToString());
        var shown = await RunAsync(null, "bad", "show", damaged);
        Assert.That(shown.Stdout, Does.Contain("unreadable: truncated").And.Contain("preserved entry (JetStream stream"), shown.ToString());
        var requeued = await RunAsync(null, "bad", "requeue", damaged, "--to", "archive");
        Assert.That(requeued.ExitCode, Is.Not.Zero, "an undecodable entry is refused and kept");
        var purged = await RunAsync(null, "bad", "purge", damaged);
        Assert.That(purged.ExitCode, Is.Zero, purged.ToString());
        var empty = await RunAsync(null, "bad", "list");
        Assert.That(empty.Stdout, Does.Not.Contain(damaged));

        var metrics = await RunAsync(null, "metrics");
        Assert.That(metrics.Stdout, Does.Contain("runnerhost_queue_depth{queue=\"archive\""), metrics.ToString());
    }

    [Test]
    public async Task An_entry_whose_id_is_centuries_ahead_is_preserved_to_bad_not_processed()
    {
        // Sound content under an id dated 9999, published by hand: the consumer path applies the same bound as the file back end.
        string farFuture = await PublishDamagedAsync(QueueFileName.ToUnixSeconds(new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero)), torn: false);
        var pass = await RunAsync(null, "runner", "--runner", "archive", "--once");
        Assert.That(pass.ExitCode, Is.Zero, pass.ToString());

        var listed = await RunAsync(null, "bad", "list");
        // Preserved under an id of its own; the reason names the entry it was (its digest) and what is wrong.
        string digest = farFuture[(farFuture.IndexOf('+', StringComparison.Ordinal) + 1)..];
        Assert.That(listed.Stdout, Does.Contain(digest).And.Contain("is outside 2000-01-01").And.Contain("now + 100 years"), listed.ToString());
        Assert.That(Directory.Exists(Path.Combine(_blocker, "test.example.com", "new")) ? Directory.GetFiles(Path.Combine(_blocker, "test.example.com", "new")) : [], Is.Empty, "not archived");
    }

    // A torn entry, as a disk or a bug could leave it, stored straight into the archive queue's stream.
    private async Task<string> PublishDamagedAsync() => await PublishDamagedAsync(QueueFileName.ToUnixSeconds(DateTimeOffset.UtcNow), torn: true);

    private async Task<string> PublishDamagedAsync(double time, bool torn)
    {
        var stack = ConfigurationStack.Load(_config);
        using var services = new HostServices(stack.Build(), NullLoggerFactory.Instance);
        var store = ((JetStreamQueueBackend)services.Backend).Store;
        byte[] entry = QueueFileFormat.Encode(new RunnerHost.Messages.MessageData { ListId = "test.example.com" }, "From: a@example.com\r\n\r\nbody\r\n"u8);
        string id = QueueFileName.Create(entry, "test.example.com", time);
        string digest = id[(id.IndexOf('+', StringComparison.Ordinal) + 1)..];
        await store.PublishAsync("archive", store.Names.Subject("archive", EntryPlace.Ready, id, digest), torn ? entry[..^10] : entry, id, null, CancellationToken.None);
        return id;
    }

    private static int Depth(string queuesJson, string queue)
    {
        using var json = JsonDocument.Parse(queuesJson);
        return json.RootElement.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == queue).GetProperty("depth").GetInt32();
    }

    private Task<ProcessResult> RunAsync(string? stdin, params string[] arguments) =>
        HostProcess.RunAsync(_root, stdin, [arguments[0], "-C", _config, .. arguments[1..]]);
}
