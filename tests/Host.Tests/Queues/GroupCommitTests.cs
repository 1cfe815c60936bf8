using RunnerHost.Host.Queues;
using RunnerHost.Messages;
using static RunnerHost.Host.Tests.Queues.QueueTestEnvironment;

namespace RunnerHost.Host.Tests.Queues;

[TestFixture]
public sealed class GroupCommitTests
{
    private QueueTestEnvironment _env = null!;

    [SetUp]
    public void SetUp() => _env = new QueueTestEnvironment();

    [TearDown]
    public void TearDown() => _env.Dispose();

    [Test]
    public async Task Concurrent_enqueues_all_return_and_every_entry_exists_and_decodes()
    {
        using var switchboard = _env.Create("in", fsync: true);
        const int Producers = 8, PerProducer = 10;
        using var start = new Barrier(Producers);
        var tasks = Enumerable.Range(0, Producers).Select(p => Task.Factory.StartNew(
            async () =>
            {
                start.SignalAndWait();
                var names = new List<string>();
                for (int i = 0; i < PerProducer; i++)
                {
                    var metadata = new MessageData { ["listid"] = "t.example.com", ["n"] = (long)((p * PerProducer) + i) };
                    names.Add(await switchboard.EnqueueAsync(TestMessage(), metadata));
                }

                return names;
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap()).ToList();

        var filebases = (await Task.WhenAll(tasks)).SelectMany(n => n).ToList();

        Assert.That(filebases, Has.Count.EqualTo(Producers * PerProducer).And.Unique);
        var numbers = new List<long>();
        foreach (string filebase in filebases)
        {
            var decoded = QueueFileFormat.Decode(await File.ReadAllBytesAsync(Path.Combine(switchboard.Directory, filebase + ".pck")));
            Assert.That(decoded.Metadata.TryGetInt64("n", out long n), Is.True);
            numbers.Add(n);
        }

        Assert.That(numbers.Order(), Is.EqualTo(Enumerable.Range(0, Producers * PerProducer).Select(i => (long)i)));
        Assert.That(Directory.GetFiles(switchboard.Directory, "*.tmp"), Is.Empty);
        Assert.That(switchboard.DirectorySyncCount, Is.InRange(1, Producers * PerProducer));
    }

    [Test]
    public async Task A_single_enqueue_fsyncs_the_directory_before_it_returns()
    {
        using var switchboard = _env.Create("in", fsync: true);

        await switchboard.EnqueueAsync(TestMessage(), new MessageData { ["listid"] = "t.example.com" });

        Assert.That(switchboard.DirectorySyncCount, Is.EqualTo(1));
    }

    [Test]
    public async Task Without_fsync_no_directory_fsync_is_made()
    {
        using var switchboard = _env.Create("in", fsync: false);

        await switchboard.EnqueueAsync(TestMessage(), new MessageData { ["listid"] = "t.example.com" });

        Assert.That(switchboard.DirectorySyncCount, Is.Zero);
    }

    [Test]
    public async Task Commits_that_join_during_an_fsync_share_the_next_one()
    {
        using var inFsync = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        int calls = 0;
        var group = new DirectorySyncGroup(_env.Root, _ =>
        {
            Interlocked.Increment(ref calls);
            inFsync.Release();
            release.Wait();
        });

        // The first commit leads and is held inside its fsync.
        var first = Task.Run(group.CommitAsync);
        Assert.That(await inFsync.WaitAsync(TimeSpan.FromSeconds(10)), Is.True);

        // Joined after that fsync started: not covered by it, so none may return with it.
        var later = Enumerable.Range(0, 10).Select(_ => Task.Run(group.CommitAsync)).ToList();
        await Task.Delay(50);
        Assert.That(later.Any(t => t.IsCompleted), Is.False);
        Assert.That(first.IsCompleted, Is.False, "no commit returns before its directory fsync completed");

        release.Release();
        await first;
        // Exactly one more fsync serves all ten (once every one of them has joined).
        Assert.That(await inFsync.WaitAsync(TimeSpan.FromSeconds(10)), Is.True);
        release.Release(100);
        await Task.WhenAll(later);

        Assert.That(calls, Is.LessThan(11));
        Assert.That(group.SyncCount, Is.EqualTo(calls));
    }

    [Test]
    public async Task A_failed_directory_fsync_fails_every_commit_it_covered()
    {
        var group = new DirectorySyncGroup(_env.Root, _ => throw new IOException("fsync failed, errno 5"));

        var error = await Assert.ThrowsAsync<IOException>(group.CommitAsync);

        Assert.That(error!.Message, Does.Contain("errno 5"));
        Assert.That(group.SyncCount, Is.Zero);
    }
}
