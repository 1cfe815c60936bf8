using System.Text;
using MimeKit;
using RunnerHost.Inspection;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Tests.Contract;

/// <summary>
/// The queue contract, run on every back end (<see cref="QueueBackendUnderTest.All"/>): what a runner
/// and an operator may rely on whatever holds the queues.
/// </summary>
[TestFixtureSource(typeof(QueueBackendUnderTest), nameof(QueueBackendUnderTest.All))]
public sealed class QueueContractTests(Func<QueueBackendUnderTest> create)
{
    private const string Work = QueueBackendUnderTest.Queue;

    private QueueBackendUnderTest _backend = null!;

    private IQueue Queue => _backend.Queues[Work];

    private IQueueInspector Inspector => _backend.Inspector;

    [SetUp]
    public void SetUp() => _backend = create();

    [TearDown]
    public void TearDown() => _backend.Dispose();

    private static MimeMessage Message(string subject)
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes($"From: a@example.com\r\nTo: test@example.com\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@contract>\r\n\r\nbody of {subject}\r\n"));
        return MimeMessage.Load(stream);
    }

    private async Task<string> EnqueueAsync(string subject, DateTimeOffset? notBefore = null) =>
        await Queue.EnqueueAsync(Message(subject), new MessageData { ListId = "test.example.com", ["n"] = subject }, notBefore: notBefore);

    private static async Task<List<IQueueLease>> TakeAllAsync(IQueueSlice slice)
    {
        var pass = await slice.StartPassAsync();
        var leases = new List<IQueueLease>();
        while (await pass.TakeNextAsync() is { } lease)
        {
            leases.Add(lease);
        }

        return leases;
    }

    // As a runner takes them: each lease ended before the next is taken (IQueuePass: a back end may
    // hand out one unacknowledged entry per slice at a time).
    private static async Task<List<string>> DrainAsync(IQueueSlice slice)
    {
        var pass = await slice.StartPassAsync();
        var taken = new List<string>();
        while (await pass.TakeNextAsync() is { } lease)
        {
            taken.Add(lease.Entry.Id + " " + lease.Entry.Message.Subject);
            await lease.CompleteAsync();
        }

        return taken;
    }

    [Test]
    public async Task Entries_are_taken_in_FIFO_order_of_their_due_time()
    {
        var ids = new List<string>();
        for (int i = 0; i < 12; i++)
        {
            ids.Add(await EnqueueAsync($"m{i}"));
            _backend.Clock.Now = _backend.Clock.Now.AddMilliseconds(10);
        }

        using var slice = await _backend.OpenSliceAsync(0, 1);
        var taken = await DrainAsync(slice);

        Assert.That(taken, Is.EqualTo(ids.Select((id, i) => $"{id} m{i}")));
    }

    [Test]
    public async Task Slices_are_disjoint_and_together_complete()
    {
        var ids = new HashSet<string>();
        for (int i = 0; i < 200; i++)
        {
            ids.Add(await EnqueueAsync($"m{i}"));
        }

        var bySlice = new List<List<string>>();
        for (int s = 0; s < QueueBackendUnderTest.SliceCount; s++)
        {
            using var slice = await _backend.OpenSliceAsync(s, QueueBackendUnderTest.SliceCount);
            bySlice.Add([.. (await DrainAsync(slice)).Select(taken => taken.Split(' ')[0])]);
        }

        Assert.That(bySlice.SelectMany(x => x), Is.EquivalentTo(ids), "every entry in exactly one slice");
        Assert.That(bySlice.Sum(x => x.Count), Is.EqualTo(200));
        Assert.That(bySlice, Has.All.Not.Empty, "200 entries spread over 4 slices");
        Assert.That((await Inspector.SummarizeAsync(Work)).Depth, Is.Zero);
    }

    [Test]
    public async Task A_kept_entry_waits_until_its_not_before_time_and_the_pass_says_when()
    {
        await EnqueueAsync("kept");
        using var slice = await _backend.OpenSliceAsync(0, 1);
        var lease = (await TakeAllAsync(slice)).Single();
        var due = _backend.Clock.Now.AddMinutes(10);

        string requeued = await lease.RequeueAsync(lease.Entry.Message, lease.Entry.Metadata, due);

        var early = await slice.StartPassAsync();
        Assert.That(early.Count, Is.Zero, "not due yet: nothing to take, so nothing to spin on");
        Assert.That(await early.TakeNextAsync(), Is.Null);
        Assert.That(early.NextDue, Is.EqualTo(due).Within(TimeSpan.FromMilliseconds(1)), "a runner may sleep until then");
        var summary = await Inspector.SummarizeAsync(Work);
        Assert.That((summary.Depth, summary.NotYetDue), Is.EqualTo((1, 1)));

        _backend.Clock.Now = due;
        var onTime = await TakeAllAsync(slice);
        Assert.That(onTime.Select(l => l.Entry.Id), Is.EqualTo(new[] { requeued }));
        Assert.That(onTime[0].Entry.Message.Subject, Is.EqualTo("kept"));
    }

    [Test]
    public async Task A_released_entry_comes_back_unchanged_and_first_without_counting_an_attempt()
    {
        string first = await EnqueueAsync("first");
        _backend.Clock.Now = _backend.Clock.Now.AddSeconds(1);
        await EnqueueAsync("second");
        using var slice = await _backend.OpenSliceAsync(0, 1);
        var pass = await slice.StartPassAsync();
        var lease = (await pass.TakeNextAsync())!;
        byte[] raw = lease.Entry.RawMessage.ToArray();

        await lease.ReleaseAsync();

        var again = (await TakeAllAsync(slice))[0];
        Assert.That(again.Entry.Id, Is.EqualTo(first));
        Assert.That(again.Entry.RawMessage.ToArray(), Is.EqualTo(raw));
        Assert.That(again.Entry.Attempt, Is.EqualTo(1));
    }

    [Test]
    public async Task An_entry_in_hand_when_its_process_dies_is_offered_again_and_the_third_loss_preserves_it()
    {
        string id = await EnqueueAsync("poison");
        var slice = await _backend.OpenSliceAsync(0, 1);
        for (int attempt = 1; attempt <= 2; attempt++)
        {
            var lease = (await TakeAllAsync(slice)).Single();
            Assert.That(lease.Entry.Attempt, Is.EqualTo(attempt));
            Assert.That(lease.Entry.Id, Is.EqualTo(id), "the same entry, FIFO position kept");
            await _backend.LoseProcessAsync(slice, lease);
            slice = await _backend.OpenSliceAsync(0, 1);
        }

        var third = (await TakeAllAsync(slice)).Single();
        Assert.That(third.Entry.Attempt, Is.EqualTo(3));
        await _backend.LoseProcessAsync(slice, third);
        using var after = await _backend.OpenSliceAsync(0, 1);

        Assert.That(await TakeAllAsync(after), Is.Empty, "never offered a fourth time");
        var bad = await Inspector.ListAsync(QueueNames.Bad, new EntryQuery());
        Assert.That(bad.Entries.Single().Reason, Does.Contain("likely poison message"));
        Assert.That(bad.Entries.Single().State, Is.EqualTo(EntryState.Preserved));
    }

    [Test]
    public async Task A_moved_entry_is_in_shunt_with_its_error_record_and_gone_from_its_queue()
    {
        await EnqueueAsync("failing");
        using var slice = await _backend.OpenSliceAsync(0, 1);
        var lease = (await TakeAllAsync(slice)).Single();
        var metadata = lease.Entry.Metadata;
        metadata.WhichQueue = Work;
        metadata[MessageDataKeys.Error] = new MessageData { [ErrorRecordKeys.Type] = "System.InvalidOperationException", [ErrorRecordKeys.Message] = "borked" };

        string shunted = await lease.MoveAsync(QueueNames.Shunt, lease.Entry.Message, metadata);

        var read = await Inspector.ReadAsync(QueueNames.Shunt, shunted);
        Assert.That(read, Is.Not.Null);
        Assert.That(read!.State, Is.EqualTo(EntryState.Shunted));
        Assert.That(read.Error!.GetString(ErrorRecordKeys.Message), Is.EqualTo("borked"));
        Assert.That(read.Metadata!.WhichQueue, Is.EqualTo(Work));
        Assert.That((await Inspector.SummarizeAsync(Work)).Depth, Is.Zero);
    }

    [Test]
    public async Task A_preserved_entry_is_in_bad_with_its_reason_and_can_be_requeued()
    {
        await EnqueueAsync("odd");
        using var slice = await _backend.OpenSliceAsync(0, 1);
        var lease = (await TakeAllAsync(slice)).Single();

        await lease.PreserveAsync("looked odd");

        var bad = (await Inspector.ListAsync(QueueNames.Bad, new EntryQuery())).Entries.Single();
        Assert.That(bad.Reason, Is.EqualTo("looked odd"));
        string back = await Inspector.RequeueAsync(QueueNames.Bad, bad.Id, Work);
        var requeued = await Inspector.ReadAsync(Work, back);
        Assert.That(requeued!.Metadata!.GetString("requeued_from"), Does.StartWith(QueueNames.Bad + "/"));
        Assert.That((await Inspector.ListAsync(QueueNames.Bad, new EntryQuery())).Total, Is.Zero);
    }

    [Test]
    public async Task A_damaged_entry_is_read_as_damaged_and_a_pass_preserves_it_and_goes_on()
    {
        string damaged = await EnqueueAsync("damaged");
        _backend.Clock.Now = _backend.Clock.Now.AddSeconds(1);
        string sound = await EnqueueAsync("sound");
        await _backend.DamageAsync(damaged);

        var read = await Inspector.ReadAsync(Work, damaged);
        Assert.That(read!.Damaged, Is.True);
        Assert.That(read.Problems, Has.Some.StartsWith("truncated"));

        using var slice = await _backend.OpenSliceAsync(0, 1);
        var taken = await DrainAsync(slice);
        Assert.That(taken, Is.EqualTo(new[] { sound + " sound" }));
        var bad = (await Inspector.ListAsync(QueueNames.Bad, new EntryQuery())).Entries.Single();
        Assert.That(bad.Reason, Does.StartWith("unreadable: truncated"));
    }

    [Test]
    public async Task Listings_page_order_and_filter_by_state()
    {
        var ready = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            ready.Add(await EnqueueAsync($"r{i}"));
            _backend.Clock.Now = _backend.Clock.Now.AddSeconds(1);
        }

        var later = await EnqueueAsync("later", _backend.Clock.Now.AddHours(1));

        var first = await Inspector.ListAsync(Work, new EntryQuery(0, 2));
        var second = await Inspector.ListAsync(Work, new EntryQuery(2, 2));
        var newest = await Inspector.ListAsync(Work, new EntryQuery(0, 1, EntryOrder.NewestFirst));
        var dueLater = await Inspector.ListAsync(Work, new EntryQuery(State: EntryState.DueLater));
        var summary = await Inspector.SummarizeAsync(Work);

        Assert.That(first.Total, Is.EqualTo(6));
        Assert.That(first.Entries.Select(e => e.Id), Is.EqualTo(ready.Take(2)));
        Assert.That(second.Entries.Select(e => e.Id), Is.EqualTo(ready.Skip(2).Take(2)));
        Assert.That(newest.Entries.Single().Id, Is.EqualTo(later));
        Assert.That(dueLater.Entries.Select(e => e.Id), Is.EqualTo(new[] { later }));
        Assert.That(summary.Slices, Has.Count.EqualTo(QueueBackendUnderTest.SliceCount));
        Assert.That(summary.Slices.Sum(s => s.Entries), Is.EqualTo(6));
        Assert.That(summary.NextDue, Is.EqualTo(_backend.Clock.Now.AddHours(1)).Within(TimeSpan.FromMilliseconds(1)));
        Assert.That(summary.OldestAge, Is.EqualTo(TimeSpan.FromSeconds(5)).Within(TimeSpan.FromMilliseconds(1)));
    }

    [Test]
    public async Task An_operator_takes_discards_and_cannot_discard_what_a_runner_holds()
    {
        string taken = await EnqueueAsync("taken");
        string dropped = await EnqueueAsync("dropped");
        var lease = await Inspector.TakeAsync(Work, taken);

        Assert.That(lease, Is.Not.Null);
        Assert.That(await Inspector.TakeAsync(Work, taken), Is.Null, "a taken entry cannot be taken twice");
        Assert.That(await Inspector.DiscardAsync(Work, taken), Is.EqualTo(DiscardOutcome.InProgress));
        Assert.That(await Inspector.DiscardAsync(Work, dropped), Is.EqualTo(DiscardOutcome.Discarded));
        Assert.That(await Inspector.DiscardAsync(Work, dropped), Is.EqualTo(DiscardOutcome.NotFound));
        Assert.That(await Inspector.ReadAsync(Work, dropped), Is.Null);
        Assert.That((await Inspector.ReadAsync(Work, taken))!.State, Is.EqualTo(EntryState.InProgress));
        await lease!.CompleteAsync();
        Assert.That((await Inspector.SummarizeAsync(Work)).Depth, Is.Zero);
    }

    [Test]
    public void Ids_that_are_paths_or_garbage_are_no_entry_ids()
    {
        foreach (string id in new[] { "../etc/passwd", "a/b", string.Empty, "README", "300000000000.0+" + new string('a', 40) })
        {
            Assert.That(Inspector.IsEntryId(Work, id, out string? problem), Is.False, id);
            Assert.That(problem, Is.Not.Empty);
        }
    }
}
