using RunnerHost.Inspection;
using RunnerHost.Messages;
using RunnerHost.Queues;
using static RunnerHost.Hosting.Tests.Queues.QueueTestEnvironment;

namespace RunnerHost.Hosting.Tests.Contract;

/// <summary>
/// Mailman's core/docs/switchboard.rst (reference §7.3), step by step, on every back end
/// (<see cref="QueueBackendUnderTest.All"/>): the states a file back end shows as <c>.pck</c> and
/// <c>.bak</c> are read here through the inspection surface (ready, taken), as an operator sees them.
/// The file back end's own port (SwitchboardDoctestTests) also checks its files.
/// </summary>
[TestFixtureSource(typeof(QueueBackendUnderTest), nameof(QueueBackendUnderTest.All))]
public sealed class SwitchboardDoctestOnEveryBackendTests(Func<QueueBackendUnderTest> create)
{
    private const string Work = QueueBackendUnderTest.Queue;

    private QueueBackendUnderTest _backend = null!;

    [SetUp]
    public void SetUp() => _backend = create();

    [TearDown]
    public void TearDown() => _backend.Dispose();

    private IQueue Queue => _backend.Queues[Work];

    [Test]
    public async Task Enqueue_take_complete_walks_ready_taken_empty()
    {
        var message = TestMessage();
        string id = await Queue.EnqueueAsync(message);
        Assert.That(await StatesAsync(), Is.EqualTo("ready: 1"));

        using var slice = await _backend.OpenSliceAsync(0, 1);
        var lease = (await (await slice.StartPassAsync()).TakeNextAsync())!;
        Assert.That(lease.Entry.Id, Is.EqualTo(id));
        Assert.That(lease.Entry.RawMessage.ToArray(), Is.EqualTo(Serialize(message)));
        Assert.That(lease.Entry.Message.Subject, Is.EqualTo("Test"));
        Assert.That(Dump(lease.Entry.Metadata), Is.EqualTo("_parsemsg: False\nversion: 3"));
        Assert.That(lease.Entry.Attempt, Is.EqualTo(1));
        Assert.That(await StatesAsync(), Is.EqualTo("taken: 1"));

        await lease.CompleteAsync();
        Assert.That(await StatesAsync(), Is.EqualTo("empty"));
    }

    [Test]
    public async Task Metadata_and_keywords_merge_and_the_keyword_wins()
    {
        string merged = await Queue.EnqueueAsync(TestMessage(), new MessageData { ["foo"] = 1 }, new MessageData { ["bar"] = 2 });
        _backend.Clock.Now = _backend.Clock.Now.AddSeconds(1);
        string overridden = await Queue.EnqueueAsync(TestMessage(), new MessageData { ["foo"] = 1 }, new MessageData { ["foo"] = 2 });

        var taken = await DrainAsync();
        Assert.That(taken.Select(e => e.Id), Is.EqualTo(new[] { merged, overridden }));
        Assert.That(Dump(taken[0].Metadata), Is.EqualTo("_parsemsg: False\nbar: 2\nfoo: 1\nversion: 3"));
        Assert.That(taken[1].Metadata["foo"], Is.EqualTo(2L));
        Assert.That(await StatesAsync(), Is.EqualTo("empty"));
    }

    [Test]
    public async Task Listing_then_taking_and_finishing_all()
    {
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            ids.Add(await Queue.EnqueueAsync(TestMessage()));
            _backend.Clock.Now = _backend.Clock.Now.AddSeconds(1);
        }

        var listed = await _backend.Inspector.ListAsync(Work, new EntryQuery());
        Assert.That(listed.Entries.Select(e => e.Id), Is.EqualTo(ids));
        Assert.That(await StatesAsync(), Is.EqualTo("ready: 3"));

        Assert.That((await DrainAsync()).Select(e => e.Id), Is.EqualTo(ids));
        Assert.That(await StatesAsync(), Is.EqualTo("empty"));
    }

    [Test]
    public async Task Recovery_offers_an_interrupted_entry_twice_more_then_preserves_it()
    {
        string id = await Queue.EnqueueAsync(TestMessage());
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            // Step 10-12: a runner takes the entry and dies; the next one is offered it again, one attempt later.
            var slice = await _backend.OpenSliceAsync(0, 1);
            var lease = (await (await slice.StartPassAsync()).TakeNextAsync())!;
            Assert.That((lease.Entry.Id, lease.Entry.Attempt), Is.EqualTo((id, attempt)));
            await _backend.LoseProcessAsync(slice, lease);
        }

        using (var last = await _backend.OpenSliceAsync(0, 1))
        {
            Assert.That(await (await last.StartPassAsync()).TakeNextAsync(), Is.Null, "never a fourth time");
        }

        Assert.That(await StatesAsync(), Is.EqualTo("empty"));
        var bad = (await _backend.Inspector.ListAsync(QueueNames.Bad, new EntryQuery())).Entries.Single();
        Assert.That(bad.Reason, Does.Contain("likely poison message"));
    }

    private async Task<List<QueueEntry>> DrainAsync()
    {
        using var slice = await _backend.OpenSliceAsync(0, 1);
        var pass = await slice.StartPassAsync();
        var taken = new List<QueueEntry>();
        while (await pass.TakeNextAsync() is { } lease)
        {
            taken.Add(lease.Entry);
            await lease.CompleteAsync();
        }

        return taken;
    }

    // The queue as check_qfiles shows it, by state: "ready: 2\ntaken: 1", or "empty".
    private async Task<string> StatesAsync()
    {
        var page = await _backend.Inspector.ListAsync(Work, new EntryQuery(Limit: EntryQuery.MaxLimit));
        var states = page.Entries
            .GroupBy(e => e.State switch { EntryState.InProgress => "taken", EntryState.DueLater => "later", _ => "ready" }, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key}: {g.Count()}")
            .ToList();
        return states.Count == 0 ? "empty" : string.Join("\n", states);
    }

    private static string Dump(MessageData data) => string.Join(
        "\n",
        data.OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => $"{pair.Key}: {(pair.Value is bool b ? (b ? "True" : "False") : data.GetString(pair.Key))}"));
}
