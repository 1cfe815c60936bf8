using System.Diagnostics;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.JetStream;

/// <summary>
/// Every server feature the JetStream queue back end (src/Host/Queues/JetStream) relies on, checked
/// through the NATS.Net client against the nats-server the tests run (2.9.10): a server that behaves
/// otherwise breaks one of these before it breaks a queue. Each test has its own streams and buckets on
/// the shared server and removes them afterwards.
/// </summary>
[TestFixture]
public sealed class ServerFeatureTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);
    private static readonly AckOpts Confirmed = new() { DoubleAck = true };

    private readonly List<string> _streams = [];
    private readonly List<string> _buckets = [];
    private NatsConnection _connection = null!;
    private NatsJSContext _js = null!;
    private NatsKVContext _kv = null!;
    private CancellationTokenSource _guard = null!;

    private CancellationToken Token => _guard.Token;

    [OneTimeSetUp]
    public async Task ConnectAsync()
    {
        var server = SharedNatsServer.Get();
        _connection = new NatsConnection(NatsOpts.Default with { Url = server.Url, Name = "server-feature-tests" });
        await _connection.ConnectAsync();
        _js = new NatsJSContext(_connection);
        _kv = new NatsKVContext(_js);
    }

    [OneTimeTearDown]
    public async Task DisconnectAsync() => await _connection.DisposeAsync();

    // A hung server call fails its test instead of the run.
    [SetUp]
    public void StartGuard() => _guard = new CancellationTokenSource(Guard);

    [TearDown]
    public async Task RemoveAsync()
    {
        _guard.Dispose();
        foreach (string stream in _streams)
        {
            await _js.DeleteStreamAsync(stream);
        }

        foreach (string bucket in _buckets)
        {
            await _kv.DeleteStoreAsync(bucket);
        }

        _streams.Clear();
        _buckets.Clear();
    }

    [Test]
    public void Server_is_a_2_9_release_with_JetStream()
    {
        var info = _connection.ServerInfo;
        Assert.That(info, Is.Not.Null, "the server sent its INFO");
        TestContext.Out.WriteLine($"nats-server {info!.Version} (go {info.GoVersion}, protocol {info.ProtocolVersion})");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(info.Version, Does.StartWith("2.9."), "these checks describe nats-server 2.9");
            Assert.That(info.JetStreamAvailable, Is.True);
        }
    }

    [Test]
    public async Task Work_queue_stream_keeps_what_no_consumer_filters_and_drops_an_acked_message()
    {
        string n = await NewStreamAsync();
        await PublishAsync($"{n}.a.1", "a1");
        await PublishAsync($"{n}.b.1", "b1");
        await PublishAsync($"{n}.b.2", "b2");
        Assert.That((await StateAsync(n)).Messages, Is.EqualTo(3), "nothing consumes without a consumer");

        var consumer = await CreateConsumerAsync(n, "only_a", $"{n}.a.>", TimeSpan.FromSeconds(30));
        var delivery = await FetchOneAsync(consumer);
        Assert.That(delivery?.Subject, Is.EqualTo($"{n}.a.1"));
        Assert.That((await StateAsync(n)).Messages, Is.EqualTo(3), "a delivered but unacknowledged message stays");

        await delivery!.AckAsync(Confirmed, Token);

        var state = await StateAsync(n, $"{n}.>");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(state.Messages, Is.EqualTo(2), "the acknowledged message left the stream");
            Assert.That(state.Subjects?.Keys, Is.EquivalentTo(new[] { $"{n}.b.1", $"{n}.b.2" }), "messages no consumer filters stay");
        }
    }

    [Test]
    public async Task Wildcard_filter_consumer_gets_only_its_subjects_in_stream_order()
    {
        string n = await NewStreamAsync();
        await PublishAsync($"{n}.r.0.x1", "x1");
        await PublishAsync($"{n}.r.1.y1", "y1");
        await PublishAsync($"{n}.r.0.x2", "x2");
        await PublishAsync($"{n}.l.0.z1", "z1");
        await PublishAsync($"{n}.r.0.x3", "x3");
        await PublishAsync($"{n}.r.1.y2", "y2");
        var consumer = await CreateConsumerAsync(n, "slice0", $"{n}.r.0.>", TimeSpan.FromSeconds(30));

        var seen = new List<(string Subject, ulong Sequence)>();
        while (await FetchOneAsync(consumer) is { } delivery)
        {
            seen.Add((delivery.Subject, delivery.Metadata!.Value.Sequence.Stream));
            await delivery.AckAsync(Confirmed, Token);
            Assert.That(seen, Has.Count.LessThanOrEqualTo(3), "more deliveries than matching messages");
        }

        await consumer.RefreshAsync(Token);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(seen.Select(s => s.Subject), Is.EqualTo(new[] { $"{n}.r.0.x1", $"{n}.r.0.x2", $"{n}.r.0.x3" }));
            Assert.That(seen.Select(s => s.Sequence), Is.EqualTo(new ulong[] { 1, 3, 5 }));
            Assert.That(consumer.Info.Config.FilterSubject, Is.EqualTo($"{n}.r.0.>"));
            Assert.That(consumer.Info.Config.DurableName, Is.EqualTo("slice0"));
            Assert.That((await StateAsync(n)).Messages, Is.EqualTo(3), "the other subjects' messages stay");
        }
    }

    [Test]
    public async Task Max_ack_pending_one_holds_the_next_message_until_the_ack()
    {
        string n = await NewStreamAsync();
        await PublishAsync($"{n}.r.m1", "m1");
        await PublishAsync($"{n}.r.m2", "m2");
        var consumer = await CreateConsumerAsync(n, "one", $"{n}.r.>", TimeSpan.FromSeconds(30));

        var first = await FetchOneAsync(consumer);
        Assert.That(first?.Subject, Is.EqualTo($"{n}.r.m1"));

        var clock = Stopwatch.StartNew();
        var blocked = await FetchOneAsync(consumer);
        TestContext.Out.WriteLine($"no-wait fetch with one unacknowledged: {clock.ElapsedMilliseconds} ms");
        Assert.That(blocked?.Subject, Is.Null, "a second delivery while one is unacknowledged");
        await consumer.RefreshAsync(Token);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(consumer.Info.NumAckPending, Is.EqualTo(1));
            Assert.That(consumer.Info.NumPending, Is.EqualTo(1));
        }

        await first!.AckAsync(Confirmed, Token);
        var next = await FetchOneAsync(consumer);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(next?.Subject, Is.EqualTo($"{n}.r.m2"));
            Assert.That(next?.Metadata?.Sequence.Stream, Is.EqualTo(2));
            Assert.That(next?.Metadata?.NumDelivered, Is.EqualTo(1));
        }

        await next!.AckAsync(Confirmed, Token);
        clock.Restart();
        var none = await FetchOneAsync(consumer);
        TestContext.Out.WriteLine($"no-wait fetch on an empty consumer: {clock.ElapsedMilliseconds} ms");
        Assert.That(none?.Subject, Is.Null);
    }

    [Test]
    public async Task Same_message_id_within_the_window_is_a_duplicate_that_stores_nothing()
    {
        string n = await NewStreamAsync();
        string subject = $"{n}.r.e1";
        var first = await PublishAsync(subject, "first", "entry-1");
        var again = await PublishAsync(subject, "second", "entry-1");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Duplicate, Is.False);
            Assert.That(again.Duplicate, Is.True);
            Assert.That(again.Seq, Is.EqualTo(first.Seq), "a duplicate names the first's sequence");
            Assert.That((await StateAsync(n)).Messages, Is.EqualTo(1));
            Assert.That(Text(await DirectGetAsync(n, new StreamMsgGetRequest { LastBySubj = subject })), Is.EqualTo("first"));
        }

        var other = await PublishAsync(subject, "other", "entry-2");
        Assert.That(other.Duplicate, Is.False, "another id is stored");
        Assert.That(other.Seq, Is.EqualTo(first.Seq + 1));

        // The window remembers the id, not the message: a retry after the first copy was consumed stores nothing.
        await _js.DeleteMessageAsync(n, new StreamMsgDeleteRequest { Seq = first.Seq, NoErase = true }, Token);
        var late = await PublishAsync(subject, "late", "entry-1");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(late.Duplicate, Is.True);
            Assert.That((await StateAsync(n)).Messages, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Nak_offers_the_message_again_at_once_and_first()
    {
        string n = await NewStreamAsync();
        await PublishAsync($"{n}.r.m1", "m1");
        await PublishAsync($"{n}.r.m2", "m2");
        // An ack wait far beyond the fetch: only the nak can bring the message back in time.
        var consumer = await CreateConsumerAsync(n, "nak", $"{n}.r.>", TimeSpan.FromSeconds(60));

        var first = await FetchOneAsync(consumer);
        Assert.That(first?.Metadata?.NumDelivered, Is.EqualTo(1));
        await first!.NakAsync(Confirmed, Token);

        var again = await FetchOneAsync(consumer);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(again?.Subject, Is.EqualTo($"{n}.r.m1"), "the nakked message comes before the next one");
            Assert.That(again?.Metadata?.Sequence.Stream, Is.EqualTo(1));
            Assert.That(again?.Metadata?.NumDelivered, Is.EqualTo(2));
        }
    }

    [Test]
    public async Task Expired_ack_wait_offers_the_message_again_first()
    {
        string n = await NewStreamAsync();
        await PublishAsync($"{n}.r.m1", "m1");
        await PublishAsync($"{n}.r.m2", "m2");
        var consumer = await CreateConsumerAsync(n, "expire", $"{n}.r.>", TimeSpan.FromSeconds(1));

        var first = await FetchOneAsync(consumer);
        Assert.That(first?.Metadata?.NumDelivered, Is.EqualTo(1));
        await Task.Delay(TimeSpan.FromMilliseconds(1500), Token);

        var again = await FetchOneAsync(consumer);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(again?.Subject, Is.EqualTo($"{n}.r.m1"));
            Assert.That(again?.Metadata?.NumDelivered, Is.EqualTo(2));
        }
    }

    [Test]
    public async Task Progress_reports_keep_a_short_ack_wait_from_offering_the_message_again()
    {
        string n = await NewStreamAsync();
        await PublishAsync($"{n}.r.m1", "m1");
        await PublishAsync($"{n}.r.m2", "m2");
        var consumer = await CreateConsumerAsync(n, "progress", $"{n}.r.>", TimeSpan.FromSeconds(1));
        var first = await FetchOneAsync(consumer);
        Assert.That(first?.Subject, Is.EqualTo($"{n}.r.m1"));

        // A pull waits meanwhile: a redelivery after an expired ack wait would land in it.
        var waiting = Task.Run(async () =>
        {
            var got = new List<string>();
            await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1, Expires = TimeSpan.FromMilliseconds(2500) }, cancellationToken: Token))
            {
                got.Add($"{msg.Subject} #{msg.Metadata?.NumDelivered}");
            }

            return got;
        });
        var clock = Stopwatch.StartNew();
        while (!waiting.IsCompleted || clock.Elapsed < TimeSpan.FromMilliseconds(2500))
        {
            await first!.AckProgressAsync(cancellationToken: Token);
            await Task.Delay(TimeSpan.FromMilliseconds(300), Token);
        }

        await consumer.RefreshAsync(Token);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await waiting, Is.Empty, "nothing offered while progress was reported");
            Assert.That(consumer.Info.NumRedelivered, Is.Zero);
            Assert.That(consumer.Info.NumAckPending, Is.EqualTo(1));
        }

        await first!.AckAsync(Confirmed, Token);
        var next = await FetchOneAsync(consumer);
        Assert.That(next?.Subject, Is.EqualTo($"{n}.r.m2"));
        Assert.That(next?.Metadata?.NumDelivered, Is.EqualTo(1));
    }

    [Test]
    public async Task Direct_get_by_last_subject_next_matching_and_sequence()
    {
        string n = await NewStreamAsync();
        await PublishAsync($"{n}.r.0.a", "a1");
        await PublishAsync($"{n}.r.1.b", "b");
        await PublishAsync($"{n}.r.0.c", "c");
        await PublishAsync($"{n}.r.0.a", "a2");

        var last = await DirectGetAsync(n, new StreamMsgGetRequest { LastBySubj = $"{n}.r.0.a" });
        var next = await DirectGetAsync(n, new StreamMsgGetRequest { NextBySubj = $"{n}.r.0.>", Seq = 2 });
        var from1 = await DirectGetAsync(n, new StreamMsgGetRequest { NextBySubj = $"{n}.r.0.>", Seq = 1 });
        var bySeq = await DirectGetAsync(n, new StreamMsgGetRequest { Seq = 2 });
        using (Assert.EnterMultipleScope())
        {
            Assert.That((Header(last, "Nats-Sequence"), Header(last, "Nats-Subject"), Text(last)), Is.EqualTo(("4", $"{n}.r.0.a", "a2")));
            Assert.That((Header(next, "Nats-Sequence"), Header(next, "Nats-Subject"), Text(next)), Is.EqualTo(("3", $"{n}.r.0.c", "c")));
            Assert.That((Header(from1, "Nats-Sequence"), Header(from1, "Nats-Subject")), Is.EqualTo(("1", $"{n}.r.0.a")));
            Assert.That((Header(bySeq, "Nats-Sequence"), Header(bySeq, "Nats-Subject")), Is.EqualTo(("2", $"{n}.r.1.b")));
            Assert.That(last.Headers?.Code, Is.Not.EqualTo(404));
        }
    }

    [Test]
    public async Task Direct_get_of_nothing_answers_404_in_the_headers()
    {
        string n = await NewStreamAsync();
        await PublishAsync($"{n}.r.0.a", "a");

        var missingSubject = await DirectGetAsync(n, new StreamMsgGetRequest { LastBySubj = $"{n}.r.0.none" });
        var pastTheEnd = await DirectGetAsync(n, new StreamMsgGetRequest { NextBySubj = $"{n}.r.0.>", Seq = 2 });
        var noSequence = await DirectGetAsync(n, new StreamMsgGetRequest { Seq = 99 });
        foreach (var (what, msg) in new[] { ("last by subject", missingSubject), ("next by subject", pastTheEnd), ("by sequence", noSequence) })
        {
            TestContext.Out.WriteLine($"{what}: status {msg.Headers?.Code} '{msg.Headers?.MessageText}', {msg.Data?.Length ?? 0} bytes, headers [{string.Join(", ", msg.Headers?.Keys ?? [])}]");
            using (Assert.EnterMultipleScope())
            {
                Assert.That(msg.Headers?.Code, Is.EqualTo(404), what);
                Assert.That(msg.Headers?.MessageText, Is.EqualTo("Message Not Found"), what);
                Assert.That(Header(msg, "Nats-Sequence"), Is.Null, what);
                Assert.That(msg.Data ?? [], Is.Empty, what);
            }
        }
    }

    [Test]
    public async Task Direct_get_without_allow_direct_gets_no_reply_until_an_update_turns_it_on()
    {
        // Not "no responders": the JetStream API takes the request and never answers it, so the caller
        // waits its whole request timeout (publish_timeout in the back end; 1 s here).
        await using var impatient = new NatsConnection(NatsOpts.Default with { Url = SharedNatsServer.Get().Url, RequestTimeout = TimeSpan.FromSeconds(1) });
        var js = new NatsJSContext(impatient);
        string n = NewName();
        var config = new StreamConfig(n, [n + ".>"]) { Retention = StreamConfigRetention.Workqueue, Storage = StreamConfigStorage.File, AllowDirect = false };
        await js.CreateStreamAsync(config, Token);
        _streams.Add(n);
        await PublishAsync($"{n}.r.a", "a");
        var stream = await js.GetStreamAsync(n, cancellationToken: Token);

        var clock = Stopwatch.StartNew();
        var silence = await Assert.ThrowsAsync<NatsNoReplyException>(async () => await stream.GetDirectAsync<byte[]>(new StreamMsgGetRequest { LastBySubj = $"{n}.r.a" }, cancellationToken: Token));
        TestContext.Out.WriteLine($"without AllowDirect: {silence!.GetType().Name} after {clock.ElapsedMilliseconds} ms");
        Assert.That(silence, Is.InstanceOf<NatsException>().And.Not.InstanceOf<NatsNoRespondersException>());

        // What JetStreamStore.CreateStreamAsync does on every start: an existing stream gets AllowDirect.
        var updated = await js.CreateOrUpdateStreamAsync(config with { AllowDirect = true }, Token);
        var found = await updated.GetDirectAsync<byte[]>(new StreamMsgGetRequest { LastBySubj = $"{n}.r.a" }, cancellationToken: Token);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(updated.Info.Config.AllowDirect, Is.True);
            Assert.That(Header(found, "Nats-Subject"), Is.EqualTo($"{n}.r.a"));
        }
    }

    [Test]
    public async Task Delete_by_sequence_removes_once_and_a_second_delete_fails()
    {
        string n = await NewStreamAsync();
        await PublishAsync($"{n}.r.a", "a");
        await PublishAsync($"{n}.r.b", "b");

        var deleted = await _js.DeleteMessageAsync(n, new StreamMsgDeleteRequest { Seq = 1, NoErase = true }, Token);
        var state = await StateAsync(n);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(deleted.Success, Is.True);
            Assert.That(state.Messages, Is.EqualTo(1));
            Assert.That(state.FirstSeq, Is.EqualTo(2));
            Assert.That((await DirectGetAsync(n, new StreamMsgGetRequest { Seq = 1 })).Headers?.Code, Is.EqualTo(404));
        }

        // JetStreamStore.DeleteAsync reads these as "already gone"; 10057 is the server's "delete failed" for any store error.
        var twice = await Assert.ThrowsAsync<NatsJSApiException>(async () => await _js.DeleteMessageAsync(n, new StreamMsgDeleteRequest { Seq = 1, NoErase = true }, Token));
        var beyond = await Assert.ThrowsAsync<NatsJSApiException>(async () => await _js.DeleteMessageAsync(n, new StreamMsgDeleteRequest { Seq = 99, NoErase = true }, Token));
        TestContext.Out.WriteLine($"second delete: {twice!.Error.Code} {twice.Error.ErrCode} '{twice.Error.Description}'; beyond the end: {beyond!.Error.Code} {beyond.Error.ErrCode} '{beyond.Error.Description}'");
        using (Assert.EnterMultipleScope())
        {
            Assert.That((twice.Error.Code, twice.Error.ErrCode, twice.Error.Description), Is.EqualTo((500, 10057, "no message found")));
            Assert.That((beyond.Error.Code, beyond.Error.ErrCode), Is.EqualTo((500, 10057)));
            Assert.That((await StateAsync(n)).Messages, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Stream_info_lists_subject_counts_by_filter_and_pages_by_offset()
    {
        string n = await NewStreamAsync();
        string[] later = [.. Enumerable.Range(0, 250).Select(i => $"{n}.l.0.s{i:D3}")];
        await Task.WhenAll(later.Select(s => PublishAsync(s, "x")));
        await PublishAsync($"{n}.r.0.x", "x");
        await PublishAsync($"{n}.r.0.x", "x");
        await PublishAsync($"{n}.r.1.y", "y");

        var all = await StreamInfoAsync(n, new StreamInfoRequest { SubjectsFilter = $"{n}.l.>" });
        var paged = await StreamInfoAsync(n, new StreamInfoRequest { SubjectsFilter = $"{n}.l.>", Offset = 200 });
        var end = await StreamInfoAsync(n, new StreamInfoRequest { SubjectsFilter = $"{n}.l.>", Offset = 250 });
        var ready = await StreamInfoAsync(n, new StreamInfoRequest { SubjectsFilter = $"{n}.r.>" });
        var none = await StreamInfoAsync(n, new StreamInfoRequest { SubjectsFilter = $"{n}.h.>" });
        TestContext.Out.WriteLine($"filter l.>: {all.State.Subjects?.Count} subjects, num_subjects {all.State.NumSubjects}, total {all.Total}, limit {all.Limit}; offset 200: {paged.State.Subjects?.Count}, offset {paged.Offset}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(all.State.Subjects?.Keys, Is.EquivalentTo(later));
            Assert.That(all.State.Subjects?.Values, Is.All.EqualTo(1));
            Assert.That(all.Total, Is.EqualTo(250), "total: the subjects matching the filter");
            // JetStreamStore.ListSubjectsAsync pages up to num_subjects: one request more than total needs.
            Assert.That(all.State.NumSubjects, Is.EqualTo(252), "num_subjects: every subject of the stream, whatever the filter");
            Assert.That(paged.State.Subjects?.Keys, Is.EquivalentTo(later[200..]), "a page from the offset, in subject order");
            Assert.That(paged.Offset, Is.EqualTo(200));
            Assert.That(end.State.Subjects ?? new Dictionary<string, long>(), Is.Empty, "past the last page");
            Assert.That(ready.State.Subjects, Is.EquivalentTo(new Dictionary<string, long> { [$"{n}.r.0.x"] = 2, [$"{n}.r.1.y"] = 1 }));
            Assert.That(none.State.Subjects ?? new Dictionary<string, long>(), Is.Empty);
        }
    }

    [Test]
    public async Task Overlapping_filters_on_a_work_queue_are_refused_with_10100_both_ways()
    {
        // Instance count 2 then 1: the narrower filters exist, the wider one is refused.
        string n = await NewStreamAsync();
        var slice0 = ConsumerConfigFor("q_0of2", $"{n}.r.0.>", TimeSpan.FromSeconds(30));
        await _js.CreateOrUpdateConsumerAsync(n, slice0, Token);
        await _js.CreateOrUpdateConsumerAsync(n, ConsumerConfigFor("q_1of2", $"{n}.r.1.>", TimeSpan.FromSeconds(30)), Token);
        // The same consumer again (every slice open does it) is an update, not an overlap.
        await _js.CreateOrUpdateConsumerAsync(n, slice0, Token);
        var wider = await Assert.ThrowsAsync<NatsJSApiException>(async () =>
            await _js.CreateOrUpdateConsumerAsync(n, ConsumerConfigFor("q_0of1", $"{n}.r.>", TimeSpan.FromSeconds(30)), Token));

        // Instance count 1 then 4: the wider filter exists, a narrower one is refused.
        string m = await NewStreamAsync();
        await _js.CreateOrUpdateConsumerAsync(m, ConsumerConfigFor("q_0of1", $"{m}.r.>", TimeSpan.FromSeconds(30)), Token);
        var narrower = await Assert.ThrowsAsync<NatsJSApiException>(async () =>
            await _js.CreateOrUpdateConsumerAsync(m, ConsumerConfigFor("q_3of4", $"{m}.r.1.1.>", TimeSpan.FromSeconds(30)), Token));

        TestContext.Out.WriteLine($"wider: {wider!.Error.Code} {wider.Error.ErrCode} '{wider.Error.Description}'; narrower: {narrower!.Error.Code} {narrower.Error.ErrCode} '{narrower.Error.Description}'");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(wider.Error.ErrCode, Is.EqualTo(10100));
            Assert.That(narrower.Error.ErrCode, Is.EqualTo(10100));
            Assert.That(await ConsumerNamesAsync(n), Is.EquivalentTo(new[] { "q_0of2", "q_1of2" }), "the refused consumer was not created");
            Assert.That(await ConsumerNamesAsync(m), Is.EquivalentTo(new[] { "q_0of1" }));
        }
    }

    [Test]
    public async Task Ack_floor_and_next_by_subject_find_the_delivery_in_hand()
    {
        // How the inspector tells which entry a runner holds: the first filtered message after the ack floor.
        string n = await NewStreamAsync();
        await PublishAsync($"{n}.r.0.a", "a");
        await PublishAsync($"{n}.r.1.b", "b");
        await PublishAsync($"{n}.r.1.c", "c");
        await PublishAsync($"{n}.r.0.d", "d");
        var consumer = await CreateConsumerAsync(n, "slice0", $"{n}.r.0.>", TimeSpan.FromSeconds(30));
        var a = await FetchOneAsync(consumer);
        await a!.AckAsync(Confirmed, Token);
        var d = await FetchOneAsync(consumer);
        Assert.That(d?.Subject, Is.EqualTo($"{n}.r.0.d"));

        await consumer.RefreshAsync(Token);
        var held = await DirectGetAsync(n, new StreamMsgGetRequest { NextBySubj = $"{n}.r.0.>", Seq = consumer.Info.AckFloor.StreamSeq + 1 });
        TestContext.Out.WriteLine($"ack floor {consumer.Info.AckFloor.StreamSeq}, pending {consumer.Info.NumAckPending}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(consumer.Info.NumAckPending, Is.EqualTo(1));
            Assert.That(Header(held, "Nats-Subject"), Is.EqualTo($"{n}.r.0.d"));
        }

        // After a nak the delivery is offered again; the floor still points before it.
        await d!.NakAsync(Confirmed, Token);
        var again = await FetchOneAsync(consumer);
        await consumer.RefreshAsync(Token);
        var heldAgain = await DirectGetAsync(n, new StreamMsgGetRequest { NextBySubj = $"{n}.r.0.>", Seq = consumer.Info.AckFloor.StreamSeq + 1 });
        using (Assert.EnterMultipleScope())
        {
            Assert.That(again?.Metadata?.NumDelivered, Is.EqualTo(2));
            Assert.That(Header(heldAgain, "Nats-Subject"), Is.EqualTo($"{n}.r.0.d"));
        }
    }

    [Test]
    public async Task Kv_claim_creates_once_updates_by_revision_and_lapses_after_max_age()
    {
        string bucket = NewName();
        var lease = TimeSpan.FromSeconds(2);
        var store = await _kv.CreateOrUpdateStoreAsync(new NatsKVConfig(bucket) { History = 1, MaxAge = lease, Storage = NatsKVStorageType.File }, Token);
        _buckets.Add(bucket);
        const string key = "work.4.1";

        var created = await store.TryCreateAsync(key, "host a"u8.ToArray(), cancellationToken: Token);
        var taken = await store.TryCreateAsync(key, "host b"u8.ToArray(), cancellationToken: Token);
        Assert.That(created.Success, Is.True, () => $"first create: {created.Error}");
        Assert.That(taken.Success, Is.False, "a second create of a held key");
        Assert.That(taken.Error, Is.InstanceOf<NatsKVCreateException>());

        var renewed = await store.TryUpdateAsync(key, "host a"u8.ToArray(), created.Value, cancellationToken: Token);
        var stale = await store.TryUpdateAsync(key, "host b"u8.ToArray(), created.Value, cancellationToken: Token);
        Assert.That(renewed.Success, Is.True, () => $"update with the current revision: {renewed.Error}");
        Assert.That(stale.Success, Is.False, "an update with a stale revision");
        Assert.That(stale.Error, Is.InstanceOf<NatsKVWrongLastRevisionException>());

        // Renewed within the lease it stays, past the first write's age.
        var revision = renewed.Value;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMilliseconds(2500))
        {
            await Task.Delay(lease / 3, Token);
            var again = await store.TryUpdateAsync(key, "host a"u8.ToArray(), revision, cancellationToken: Token);
            Assert.That(again.Success, Is.True, () => $"renewal at {clock.ElapsedMilliseconds} ms: {again.Error}");
            revision = again.Value;
        }

        // Left alone it lapses after MaxAge, and another host may create it.
        clock.Restart();
        NatsResult<NatsKVEntry<byte[]>> entry;
        do
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), Token);
            entry = await store.TryGetEntryAsync<byte[]>(key, cancellationToken: Token);
        }
        while (entry.Success && clock.Elapsed < lease * 3);
        TestContext.Out.WriteLine($"gone {clock.ElapsedMilliseconds} ms after the last renewal: {entry.Error?.GetType().Name}");
        Assert.That(entry.Success, Is.False, "the key outlived three times its MaxAge");
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(lease - TimeSpan.FromMilliseconds(300)), "the key went before its MaxAge");
        var takeover = await store.TryCreateAsync(key, "host b"u8.ToArray(), cancellationToken: Token);
        Assert.That(takeover.Success, Is.True, () => $"create after the lapse: {takeover.Error}");
    }

    private static string NewName() => "sf" + Guid.NewGuid().ToString("N")[..12];

    private static string? Header(NatsMsg<byte[]> msg, string name) =>
        msg.Headers is { } headers && headers.TryGetLastValue(name, out string? value) ? value : null;

    private static string Text(NatsMsg<byte[]> msg) => Encoding.UTF8.GetString(msg.Data ?? []);

    // The back end's consumer of a slice (JetStreamSlice.EnsureConsumerAsync).
    private static ConsumerConfig ConsumerConfigFor(string name, string filter, TimeSpan ackWait) => new(name)
    {
        DurableName = name,
        FilterSubject = filter,
        AckPolicy = ConsumerConfigAckPolicy.Explicit,
        DeliverPolicy = ConsumerConfigDeliverPolicy.All,
        MaxAckPending = 1,
        AckWait = ackWait,
        MaxDeliver = -1,
    };

    // The back end's stream of a queue (JetStreamStore.CreateStreamAsync); subjects "<name>.>".
    private async Task<string> NewStreamAsync()
    {
        string name = NewName();
        await _js.CreateStreamAsync(
            new StreamConfig(name, [name + ".>"])
            {
                Retention = StreamConfigRetention.Workqueue,
                Storage = StreamConfigStorage.File,
                NumReplicas = 1,
                DuplicateWindow = TimeSpan.FromMinutes(2),
                AllowDirect = true,
                Discard = StreamConfigDiscard.New,
            },
            Token);
        _streams.Add(name);
        return name;
    }

    private async Task<INatsJSConsumer> CreateConsumerAsync(string stream, string name, string filter, TimeSpan ackWait) =>
        await _js.CreateOrUpdateConsumerAsync(stream, ConsumerConfigFor(name, filter, ackWait), Token);

    private async Task<PubAckResponse> PublishAsync(string subject, string text, string? messageId = null)
    {
        // Not EnsureSuccess: it throws on a duplicate, which the back end takes as success (JetStreamStore.PublishAsync).
        var ack = await _js.PublishAsync(subject, Encoding.UTF8.GetBytes(text), opts: new NatsJSPubOpts { MsgId = messageId }, cancellationToken: Token);
        Assert.That(ack.Error, Is.Null, () => $"publish to {subject}: {ack.Error?.Description} ({ack.Error?.ErrCode})");
        Assert.That(ack.Stream, Is.EqualTo(subject[..subject.IndexOf('.', StringComparison.Ordinal)]));
        return ack;
    }

    // What a pass does (JetStreamSlice.NextDeliveryAsync): one message, no long wait.
    private async Task<INatsJSMsg<byte[]>?> FetchOneAsync(INatsJSConsumer consumer)
    {
        await foreach (var delivery in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1, Expires = TimeSpan.FromSeconds(1) }, cancellationToken: Token))
        {
            return delivery;
        }

        return null;
    }

    private async Task<NatsMsg<byte[]>> DirectGetAsync(string stream, StreamMsgGetRequest request)
    {
        var handle = await _js.GetStreamAsync(stream, cancellationToken: Token);
        return await handle.GetDirectAsync<byte[]>(request, cancellationToken: Token);
    }

    private async Task<StreamState> StateAsync(string stream, string? subjectsFilter = null) =>
        (await StreamInfoAsync(stream, subjectsFilter is null ? null : new StreamInfoRequest { SubjectsFilter = subjectsFilter })).State;

    // GetStreamAsync keeps the whole response, paging fields included.
    private async Task<StreamInfoResponse> StreamInfoAsync(string stream, StreamInfoRequest? request) =>
        (StreamInfoResponse)(await _js.GetStreamAsync(stream, request, Token)).Info;

    private async Task<List<string>> ConsumerNamesAsync(string stream)
    {
        var names = new List<string>();
        await foreach (string name in _js.ListConsumerNamesAsync(stream, Token))
        {
            names.Add(name);
        }

        return names;
    }
}
