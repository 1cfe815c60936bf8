using System.Text;
using System.Text.Json;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Queues.Files;
using RunnerHost.Hosting.Queues.JetStream;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Inspection;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Tests.Operations;

/// <summary><c>runner-host queues migrate</c>, run as a process, between the queue directories and a real nats-server.</summary>
public sealed class QueueMigrationTests
{
    private const string Message = "From: aperson@example.com\nTo: test@example.com\nSubject: injected\n\nHello.\n";
    private const string PoisonReason = "likely a poison message: it crashed its runner 3 times";

    private TestHost _host = null!;
    private FileQueueBackend _files = null!;
    private JetStreamQueueBackend _jetStream = null!;
    private HostConfiguration _configuration = null!;

    [SetUp]
    public void SetUp()
    {
        // The operator's starting point: file queues, with the JetStream servers already named in [queues].
        _host = new TestHost($"""
            [queues]
            backend: file
            servers: {SharedNatsServer.Get().Url}
            prefix: m{Guid.NewGuid().ToString("N")[..12]}

            [runner.in]
            class: Unused

            [runner.out]
            class: Unused
            """);
        _configuration = ConfigurationStack.Load(_host.ConfigFile).Build();
        _files = new FileQueueBackend(_configuration, _host.LoggerFactory, TimeProvider.System);
        _jetStream = new JetStreamQueueBackend(_configuration, _host.LoggerFactory, TimeProvider.System);
    }

    [TearDown]
    public void TearDown()
    {
        _jetStream.Dispose();
        _files.Dispose();
        _host.Dispose();
    }

    [Test]
    public async Task Every_entry_moves_to_jetstream_and_back_with_its_metadata_due_time_and_reason()
    {
        var inject = await HostProcess.RunAsync(_host.Root, Message, "inject", "-C", _host.ConfigFile, "-m", "flavour=vanilla", "test@example.com");
        Assert.That(inject.ExitCode, Is.Zero, inject.ToString());
        var due = DateTimeOffset.UtcNow.AddHours(1);
        await _files.Queues["out"].EnqueueRawAsync(Bytes("later"), new MessageData { ListId = "test.example.com", ["recipients"] = "bperson@example.com" }, notBefore: due);
        await _files.Queues[QueueNames.Shunt].EnqueueRawAsync(Bytes("shunted"), ShuntMetadata());
        await PreserveAsync(_files, Bytes("poison"), PoisonReason);
        var before = await SnapshotAsync(_files.Inspector);
        Assert.That(before.Select(e => (e.Queue, e.State)), Is.EqualTo(new[]
        {
            (QueueNames.Bad, EntryState.Preserved), ("in", EntryState.Ready), ("out", EntryState.DueLater), (QueueNames.Shunt, EntryState.Shunted),
        }));

        // To JetStream, as an operator does it: the configuration names the new back end, then the entries move.
        SetBackend("jetstream");
        var there = await HostProcess.RunAsync(_host.Root, null, "queues", "migrate", "--to", "jetstream", "-C", _host.ConfigFile);

        Assert.That(there.ExitCode, Is.Zero, there.ToString());
        Assert.That(there.Stdout, Is.EqualTo(
            "bad: moved 1, skipped 0 in progress, damaged 0\n"
            + "in: moved 1, skipped 0 in progress, damaged 0\n"
            + "out: moved 1, skipped 0 in progress, damaged 0\n"
            + "shunt: moved 1, skipped 0 in progress, damaged 0\n"
            + "total: moved 4, skipped 0 in progress, damaged 0\n"));
        await AssertSameEntriesAsync(_jetStream.Inspector, before, due);
        await AssertEmptyAsync(_files.Inspector);
        Assert.That(Directory.EnumerateFiles(_files.BadDirectory), Is.Empty, "no .psv or .reason left in bad");
        await AssertDepthsAsync(ready: 1, later: 1, shunt: 1, bad: 1);

        // And back to the queue directories.
        SetBackend("file");
        var back = await HostProcess.RunAsync(_host.Root, null, "queues", "migrate", "--to", "file", "-C", _host.ConfigFile);

        Assert.That(back.ExitCode, Is.Zero, back.ToString());
        Assert.That(back.Stdout, Does.EndWith("total: moved 4, skipped 0 in progress, damaged 0\n"));
        await AssertSameEntriesAsync(_files.Inspector, before, due);
        await AssertEmptyAsync(_jetStream.Inspector);
        await AssertDepthsAsync(ready: 1, later: 1, shunt: 1, bad: 1);
    }

    [Test]
    public async Task Damaged_entries_and_entries_in_progress_stay_and_are_reported_with_exit_1()
    {
        var inQueue = _files.Switchboards.Get("in");
        string sound = await inQueue.EnqueueRawAsync(Bytes("sound"), new MessageData { ListId = "test.example.com" });
        string damaged = await inQueue.EnqueueRawAsync(Bytes("damaged"), new MessageData { ListId = "test.example.com" });
        string taken = await inQueue.EnqueueRawAsync(Bytes("taken"), new MessageData { ListId = "test.example.com" });
        string damagedPath = Path.Combine(inQueue.Directory, damaged + QueueDirectoryScan.ReadyExtension);
        byte[] whole = await File.ReadAllBytesAsync(damagedPath);
        await File.WriteAllBytesAsync(damagedPath, whole[..^20]);
        // A runner that died holding it left its .bak.
        await inQueue.DequeueAsync(taken);

        var result = await HostProcess.RunAsync(_host.Root, null, "queues", "migrate", "--to", "jetstream", "-C", _host.ConfigFile);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stdout, Does.Contain("in: moved 1, skipped 1 in progress, damaged 1\n"));
        Assert.That(result.Stdout, Does.Contain("total: moved 1, skipped 1 in progress, damaged 1\n"));
        Assert.That(result.Stdout, Does.Contain($"damaged: in/{damaged}: truncated: expected {whole.Length} bytes got {whole.Length - 20}"));
        Assert.That(result.Stdout, Does.Contain($"in progress: in/{taken}: "));
        Assert.That(result.Stdout, Does.Contain("note: [queues] backend is file; set 'backend: jetstream' before starting the master"));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(File.Exists(damagedPath), Is.True, "the damaged entry is left in place");
            Assert.That(File.Exists(Path.Combine(inQueue.Directory, taken + QueueDirectoryScan.TakenExtension)), Is.True, "the entry in progress is left in place");
            Assert.That(File.Exists(Path.Combine(inQueue.Directory, sound + QueueDirectoryScan.ReadyExtension)), Is.False, "the sound entry moved");
        }

        var moved = await _jetStream.Inspector.ListAsync("in", new EntryQuery());
        Assert.That(moved.Total, Is.EqualTo(1));
        var entry = await _jetStream.Inspector.ReadAsync("in", moved.Entries[0].Id);
        Assert.That(Encoding.UTF8.GetString(entry!.Message!.Value.Span), Is.EqualTo(Encoding.UTF8.GetString(Bytes("sound"))));
    }

    [Test]
    public async Task A_dry_run_counts_and_moves_nothing()
    {
        await _files.Queues["in"].EnqueueRawAsync(Bytes("one"), new MessageData { ListId = "test.example.com" });
        await _files.Queues["in"].EnqueueRawAsync(Bytes("two"), new MessageData { ListId = "test.example.com" });
        await PreserveAsync(_files, Bytes("poison"), PoisonReason);

        var result = await HostProcess.RunAsync(_host.Root, null, "queues", "migrate", "--to", "jetstream", "--dry-run", "-C", _host.ConfigFile);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.StartWith(
            "bad: would move 1, skipped 0 in progress, damaged 0\n"
            + "in: would move 2, skipped 0 in progress, damaged 0\n"
            + "out: would move 0, skipped 0 in progress, damaged 0\n"
            + "shunt: would move 0, skipped 0 in progress, damaged 0\n"
            + "total: would move 3, skipped 0 in progress, damaged 0\n"));
        Assert.That((await _files.Inspector.ListAsync("in", new EntryQuery())).Total, Is.EqualTo(2));
        Assert.That((await _files.Inspector.ListAsync(QueueNames.Bad, new EntryQuery())).Total, Is.EqualTo(1));
        await AssertEmptyAsync(_jetStream.Inspector);
    }

    [Test]
    public async Task It_refuses_while_the_master_lock_a_runners_slice_lock_or_another_hosts_slice_claim_is_held()
    {
        await _files.Queues["in"].EnqueueRawAsync(Bytes("stays"), new MessageData { ListId = "test.example.com" });
        var paths = _configuration.Paths;

        ProcessResult withMaster;
        using (var master = MasterLock.TryAcquire(MasterPaths.From(paths).LockFile))
        {
            Assert.That(master, Is.Not.Null);
            withMaster = await HostProcess.RunAsync(_host.Root, null, "queues", "migrate", "--to", "jetstream", "-C", _host.ConfigFile);
        }

        ProcessResult withRunner;
        using (var slice = SliceLock.TryAcquire(paths.LockDir, new SliceId("in", 1, 2), out _))
        {
            Assert.That(slice, Is.Not.Null);
            withRunner = await HostProcess.RunAsync(_host.Root, null, "queues", "migrate", "--to", "jetstream", "-C", _host.ConfigFile);
        }

        // Another host's runner holding a slice of the JetStream queues (here, this test process).
        await _jetStream.Queues["in"].EnqueueRawAsync(Bytes("stays too"), new MessageData { ListId = "test.example.com" });
        ProcessResult withRemoteHost;
        using (await _jetStream.OpenSliceAsync(_configuration.GetRunner("in"), 0, 1, null, CancellationToken.None))
        {
            withRemoteHost = await HostProcess.RunAsync(_host.Root, null, "queues", "migrate", "--to", "file", "-C", _host.ConfigFile);
        }

        Assert.That(withMaster.ExitCode, Is.EqualTo(1), withMaster.ToString());
        Assert.That(withMaster.Stderr, Does.Contain("Error: the master is running"));
        Assert.That(withRunner.ExitCode, Is.EqualTo(1), withRunner.ToString());
        Assert.That(withRunner.Stderr, Does.Contain("Error: a runner of queue 'in' is running"));
        Assert.That(withMaster.Stdout + withRunner.Stdout, Is.Empty);
        Assert.That((await _files.Inspector.ListAsync("in", new EntryQuery())).Total, Is.EqualTo(1), "nothing moved");
        Assert.That(withRemoteHost.ExitCode, Is.EqualTo(1), withRemoteHost.ToString());
        Assert.That(withRemoteHost.Stderr, Does.Contain($"pid {Environment.ProcessId} holds slice 0/1 of queue 'in'"));
        Assert.That((await _jetStream.Inspector.ListAsync("in", new EntryQuery())).Total, Is.EqualTo(1), "nothing moved back");
    }

    private sealed record Seen(string Queue, EntryState State, string Message, string Metadata, string? Reason, string? ReasonQueue);

    private static byte[] Bytes(string subject) =>
        Encoding.UTF8.GetBytes($"From: aperson@example.com\nTo: test@example.com\nSubject: {subject}\n\nBody of {subject}.\n");

    private static MessageData ShuntMetadata() => new()
    {
        ListId = "test.example.com",
        [MessageDataKeys.WhichQueue] = "in",
        [MessageDataKeys.Error] = new MessageData
        {
            [ErrorRecordKeys.Type] = "System.InvalidOperationException",
            [ErrorRecordKeys.Message] = "borked",
            [ErrorRecordKeys.Runner] = "in",
            [ErrorRecordKeys.Slice] = "0/1",
            [ErrorRecordKeys.Attempt] = 1,
        },
    };

    // How a runner puts an entry into bad: taken from its queue and preserved with the reason.
    private static async Task PreserveAsync(FileQueueBackend backend, byte[] message, string reason)
    {
        string id = await backend.Queues["in"].EnqueueRawAsync(message, new MessageData { ListId = "test.example.com", ["x-crashes"] = 3L });
        var lease = await backend.Inspector.TakeAsync("in", id) ?? throw new InvalidOperationException("not taken");
        await lease.PreserveAsync(reason);
    }

    // Every entry of every queue, as the inspection surface shows it, in an order that does not depend on ids.
    private static async Task<List<Seen>> SnapshotAsync(IQueueInspector inspector)
    {
        var seen = new List<Seen>();
        foreach (string queue in inspector.QueueNames)
        {
            foreach (var listed in (await inspector.ListAsync(queue, new EntryQuery(Limit: EntryQuery.MaxLimit))).Entries)
            {
                var entry = await inspector.ReadAsync(queue, listed.Id) ?? throw new InvalidOperationException($"{queue}/{listed.Id} vanished");
                Assert.That(entry.Problems, Is.Empty, $"{queue}/{listed.Id}");
                seen.Add(new Seen(queue, entry.State, Encoding.UTF8.GetString(entry.Message!.Value.Span), Canonical(entry.Metadata!), entry.Reason?.GetString("reason"), entry.Reason?.GetString("queue")));
            }
        }

        return [.. seen.OrderBy(s => s.Queue, StringComparer.Ordinal).ThenBy(s => s.Message, StringComparer.Ordinal)];
    }

    private static async Task AssertSameEntriesAsync(IQueueInspector inspector, List<Seen> expected, DateTimeOffset due)
    {
        var seen = await SnapshotAsync(inspector);
        Assert.That(seen, Is.EqualTo(expected));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(seen.Single(s => s.Queue == QueueNames.Bad).Reason, Is.EqualTo(PoisonReason));
            Assert.That(seen.Single(s => s.Queue == QueueNames.Bad).ReasonQueue, Is.EqualTo("in"));
            Assert.That(seen.Single(s => s.Queue == QueueNames.Shunt).Metadata, Does.Contain("\"borked\""));
            Assert.That(seen.Single(s => s.Queue == "in").Metadata, Does.Contain("\"flavour\":\"vanilla\""));
        }

        var later = (await inspector.ListAsync("out", new EntryQuery())).Entries.Single();
        Assert.That(later.Due, Is.EqualTo(due).Within(TimeSpan.FromMilliseconds(1)), "still due an hour after it was enqueued");
    }

    private static async Task AssertEmptyAsync(IQueueInspector inspector)
    {
        foreach (string queue in inspector.QueueNames)
        {
            var summary = await inspector.SummarizeAsync(queue);
            Assert.That((summary.Depth, summary.StrayCount, summary.Problem), Is.EqualTo((0, 0, (string?)null)), queue);
        }
    }

    // The operator's view afterwards, from whichever back end the configuration names now.
    private async Task AssertDepthsAsync(int ready, int later, int shunt, int bad)
    {
        var queues = await HostProcess.RunAsync(_host.Root, null, "queues", "--json", "-C", _host.ConfigFile);
        Assert.That(queues.ExitCode, Is.Zero, queues.ToString());
        using var document = JsonDocument.Parse(queues.Stdout);
        var depths = document.RootElement.GetProperty("queues").EnumerateArray()
            .ToDictionary(q => q.GetProperty("name").GetString()!, q => (q.GetProperty("depth").GetInt32(), q.GetProperty("not_yet_due").GetInt32()));
        Assert.That(depths, Is.EquivalentTo(new Dictionary<string, (int, int)>
        {
            [QueueNames.Bad] = (bad, 0),
            ["in"] = (ready, 0),
            ["out"] = (later, later),
            [QueueNames.Shunt] = (shunt, 0),
        }));
    }

    private void SetBackend(string backend)
    {
        string text = File.ReadAllText(_host.ConfigFile);
        File.WriteAllText(_host.ConfigFile, System.Text.RegularExpressions.Regex.Replace(text, "(?m)^backend: .*$", "backend: " + backend));
    }

    // Metadata as text with sorted keys, volatile '_' keys left out (every enqueue drops and resets them).
    private static string Canonical(MessageData metadata) => Encoding.UTF8.GetString(MetadataJson.Serialize(Sorted(metadata)));

    private static MessageData Sorted(MessageData metadata) =>
        new(metadata.Where(p => !p.Key.StartsWith('_')).OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new KeyValuePair<string, object?>(p.Key, p.Value is MessageData nested ? Sorted(nested) : p.Value)));
}
