using RunnerHost.Hosting.Operations;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Operations;

public sealed class UnshuntTests
{
    private TestHost _host = null!;
    private StringWriter _output = null!;
    private StringWriter _errors = null!;

    [SetUp]
    public void SetUp()
    {
        _host = new TestHost("[runner.in]\nclass: Unused\n[runner.archive]\nclass: Unused\n");
        _output = new StringWriter();
        _errors = new StringWriter();
    }

    [TearDown]
    public void TearDown()
    {
        _output.Dispose();
        _errors.Dispose();
        _host.Dispose();
    }

    [Test]
    public async Task Replays_into_whichq_with_a_replay_marker_and_the_error_kept_as_history()
    {
        await ShuntedEntries.AddAsync(_host, "one", whichq: "archive");
        string shunted = _host.Queue("shunt").GetFiles()[0];

        int failures = await Replayer().RunAsync(new ShuntSelection(), ShuntAction.Replay, CancellationToken.None);

        Assert.That(failures, Is.Zero, _errors.ToString());
        Assert.That(_host.CheckQueueFiles("shunt"), Is.EqualTo("empty"), "shunt empty (the journal is in var), no .bak");
        string replayed = _host.Queue("archive").GetFiles().Single();
        Assert.That(_output.ToString(), Is.EqualTo($"{shunted} -> archive {replayed}\n"));
        var entry = await _host.Queue("archive").DequeueAsync(replayed);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(entry.Message.Subject, Is.EqualTo("one"));
            Assert.That(entry.Metadata.GetString(ShuntReplayer.ReplayedFromKey), Is.EqualTo(shunted));
            Assert.That(entry.Metadata.GetString(ShuntReplayer.ReplayCountKey), Is.EqualTo("1"));
            Assert.That(entry.Metadata.ContainsKey(MessageDataKeys.Error), Is.False);
            Assert.That(entry.Metadata.ContainsKey(MessageDataKeys.WhichQueue), Is.False);
            Assert.That(entry.Metadata.GetNested(ShuntReplayer.LastErrorKey)?.GetString("message"), Is.EqualTo("borked"));
        }
    }

    [Test]
    public async Task An_entry_already_in_the_journal_is_refused_and_stays_in_shunt()
    {
        await ShuntedEntries.AddAsync(_host, "twice");
        string shunted = _host.Queue("shunt").GetFiles()[0];
        // As if an earlier unshunt enqueued it and died before removing it from shunt.
        ReplayJournal.Open(_host.Services.Configuration.Paths.VarDir).Append(shunted, "in", "1.0+" + new string('a', 40), DateTimeOffset.UnixEpoch);

        int failures = await Replayer().RunAsync(new ShuntSelection(), ShuntAction.Replay, CancellationToken.None);

        Assert.That(failures, Is.EqualTo(1));
        Assert.That(_errors.ToString(), Does.StartWith($"Cannot unshunt message {shunted}: already replayed to in as 1.0+aaaa"));
        Assert.That(_errors.ToString(), Does.Contain("refusing to replay it twice"));
        Assert.That(_host.Queue("shunt").GetFiles(), Is.EqualTo(new[] { shunted }));
        Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo("empty"));
    }

    [Test]
    public async Task A_journal_where_an_earlier_version_kept_it_still_refuses_its_entries()
    {
        await ShuntedEntries.AddAsync(_host, "twice");
        string shunted = _host.Queue("shunt").GetFiles()[0];
        string earlier = Path.Combine(_host.QueueDir, "shunt", "replayed.journal");
        await File.WriteAllTextAsync(earlier, $"{shunted} in 1700000000.0+{new string('a', 40)} 2026-01-01T00:00:00Z\n");

        var result = await HostProcess.RunAsync(_host.Root, null, "unshunt", "-C", _host.ConfigFile);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain($"Cannot unshunt message {shunted}: already replayed to in"));
        Assert.That(_host.Queue("shunt").GetFiles(), Is.EqualTo(new[] { shunted }));
        Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo("empty"));
    }

    [Test]
    public async Task A_second_unshunt_after_processing_replays_nothing()
    {
        await ShuntedEntries.AddAsync(_host, "once");
        Assert.That(await Replayer().RunAsync(new ShuntSelection(), ShuntAction.Replay, CancellationToken.None), Is.Zero);
        string replayed = _host.Queue("in").GetFiles().Single();
        await _host.Queue("in").DequeueAsync(replayed);
        await _host.Queue("in").FinishAsync(replayed);

        int failures = await Replayer().RunAsync(new ShuntSelection(), ShuntAction.Replay, CancellationToken.None);

        Assert.That(failures, Is.Zero);
        Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo("empty"));
    }

    [Test]
    public async Task Filters_combine()
    {
        await ShuntedEntries.AddAsync(_host, "a", whichq: "in", errorType: "System.InvalidOperationException");
        await ShuntedEntries.AddAsync(_host, "b", whichq: "archive", errorType: "System.InvalidOperationException");
        await ShuntedEntries.AddAsync(_host, "c", whichq: "archive", errorType: "System.IO.IOException");
        await ShuntedEntries.AddAsync(_host, "d", whichq: "archive", errorType: "System.InvalidOperationException", listId: "other.example.com");

        var selected = (await Replayer().SelectAsync(new ShuntSelection { Queue = "archive", ErrorType = "InvalidOperationException", ListId = "test.example.com" }, CancellationToken.None));

        Assert.That(selected, Has.Count.EqualTo(1));
        Assert.That(selected[0].TargetQueue, Is.EqualTo("archive"));
        Assert.That((await Replayer().SelectAsync(new ShuntSelection { ErrorType = "System.IO.IOException" }, CancellationToken.None)), Has.Count.EqualTo(1));
        Assert.That((await Replayer().SelectAsync(new ShuntSelection { ErrorType = "OException" }, CancellationToken.None)), Is.Empty, "a type matches whole segments only");
        Assert.That((await Replayer().SelectAsync(new ShuntSelection { Since = DateTimeOffset.UtcNow.AddMinutes(5) }, CancellationToken.None)), Is.Empty);
        Assert.That((await Replayer().SelectAsync(new ShuntSelection { Since = DateTimeOffset.UtcNow.AddMinutes(-5) }, CancellationToken.None)), Has.Count.EqualTo(4));
    }

    [Test]
    public async Task Discard_deletes_only_the_selected_entries()
    {
        await ShuntedEntries.AddAsync(_host, "keep", whichq: "in");
        await ShuntedEntries.AddAsync(_host, "drop", whichq: "archive");

        int failures = await Replayer().RunAsync(new ShuntSelection { Queue = "archive" }, ShuntAction.Discard, CancellationToken.None);

        Assert.That(failures, Is.Zero);
        Assert.That(_host.CheckQueueFiles("shunt"), Is.EqualTo(".pck: 1"));
        Assert.That((await Replayer().SelectAsync(new ShuntSelection(), CancellationToken.None))[0].TargetQueue, Is.EqualTo("in"));
        Assert.That(_host.CheckQueueFiles("archive"), Is.EqualTo("empty"));
    }

    [Test]
    public async Task An_undecodable_entry_is_reported_and_returned_as_pck()
    {
        string path = await ShuntedEntries.AddAsync(_host, "torn");
        byte[] bytes = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, bytes[..^10]);

        int failures = await Replayer().RunAsync(new ShuntSelection(), ShuntAction.Replay, CancellationToken.None);

        Assert.That(failures, Is.EqualTo(1));
        Assert.That(_errors.ToString(), Does.Contain(": unreadable: truncated: expected"));
        Assert.That(_host.CheckQueueFiles("shunt"), Is.EqualTo(".pck: 1"), "released, never left as .bak");
    }

    [Test]
    public async Task Unknown_whichq_through_the_executable_is_one_line_exit_1_and_the_entry_stays()
    {
        await ShuntedEntries.AddAsync(_host, "lost", whichq: "nosuchqueue");
        await ShuntedEntries.AddAsync(_host, "fine", whichq: "in");
        string lost = (await Replayer().SelectAsync(new ShuntSelection(), CancellationToken.None)).Single(e => e.TargetQueue == "nosuchqueue").Filebase;

        var result = await HostProcess.RunAsync(_host.Root, null, "unshunt", "-C", _host.ConfigFile);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Is.EqualTo($"Cannot unshunt message {lost}: No such queue: nosuchqueue (its whichq); the entry stays in shunt\n"));
        Assert.That(_host.Queue("shunt").GetFiles(), Is.EqualTo(new[] { lost }));
        Assert.That(_host.CheckQueueFiles("shunt"), Is.EqualTo(".pck: 1"));
        Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo(".pck: 1"));
    }

    [Test]
    public async Task Dry_run_lists_id_queue_list_and_error_and_changes_nothing()
    {
        await ShuntedEntries.AddAsync(_host, "seen");
        string shunted = _host.Queue("shunt").GetFiles()[0];

        var result = await HostProcess.RunAsync(_host.Root, null, "unshunt", "-C", _host.ConfigFile, "--dry-run");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Is.EqualTo($"{shunted}  in  test.example.com  System.InvalidOperationException: borked\n"));
        Assert.That(_host.CheckQueueFiles("shunt"), Is.EqualTo(".pck: 1"));
    }

    [TestCase("--id", "../etc/passwd", "Error: bad filebase '../etc/passwd': must not contain '/', '\\' or '..'\n")]
    [TestCase("--id", "README", "Error: bad filebase 'README': no '+' between time and digest (expected <time>+<40 hex digits>)\n")]
    [TestCase("--queue", "bogus", "Error: No such queue: bogus\n")]
    [TestCase("--since", "yesterday", "Error: bad time 'yesterday': expected ISO 8601 (2024-05-01T10:00:00Z) or an age (30m, 2h, 1d)\n")]
    public async Task Bad_arguments_are_one_line_exit_2_and_nothing_moves(string option, string value, string expected)
    {
        await ShuntedEntries.AddAsync(_host, "stay");

        var result = await HostProcess.RunAsync(_host.Root, null, "unshunt", "-C", _host.ConfigFile, option, value);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Is.EqualTo(expected));
        Assert.That(_host.CheckQueueFiles("shunt"), Is.EqualTo(".pck: 1"));
    }

    [Test]
    public async Task An_unknown_id_is_a_failure_but_the_other_ids_are_replayed()
    {
        await ShuntedEntries.AddAsync(_host, "known");
        string known = _host.Queue("shunt").GetFiles()[0];
        string unknown = "1.0+" + new string('b', 40);

        int failures = await Replayer().RunAsync(new ShuntSelection { Ids = [known, unknown] }, ShuntAction.Replay, CancellationToken.None);

        Assert.That(failures, Is.EqualTo(1));
        Assert.That(_errors.ToString(), Is.EqualTo($"Cannot unshunt message {unknown}: no such entry in shunt\n"));
        Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo(".pck: 1"));
    }

    private ShuntReplayer Replayer() => new(
        _host.Services.Inspector,
        _host.Services.Queues,
        ReplayJournal.Open(_host.Services.Configuration.Paths.VarDir),
        TimeProvider.System,
        _output,
        _errors);
}
