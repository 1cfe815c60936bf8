using System.Collections.Concurrent;
using RunnerHost.Hosting.Queues;
using RunnerHost.Messages;
using static RunnerHost.Hosting.Tests.Queues.QueueTestEnvironment;

using RunnerHost.Hosting.IO;

namespace RunnerHost.Hosting.Tests.Queues;

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
        using var switchboard = _env.Create("in", fsync: true, commit: QueueCommit.Fsync);
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
        using var switchboard = _env.Create("in", fsync: true, commit: QueueCommit.Fsync);

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
    public async Task Commits_that_join_during_a_round_share_the_next_one_and_keep_the_order_flush_rename_directory_fsync()
    {
        var operations = new RecordingOperations { HoldFlushOf = "t0" };
        var group = new EnqueueGroupCommit(_env.Root, operations);

        // The first commit leads and is held inside its file fsync.
        var first = Task.Run(() => group.CommitAsync(Pending(0)));
        Assert.That(await operations.Held.WaitAsync(TimeSpan.FromSeconds(10)), Is.True);

        // These join synchronously while the first round is fsynced: none may return before its own round.
        var later = Enumerable.Range(1, 10).Select(i => group.CommitAsync(Pending(i))).ToList();
        await Task.Delay(50);
        Assert.That(later.Any(t => t.IsCompleted), Is.False);
        Assert.That(first.IsCompleted, Is.False, "no commit returns before its directory fsync completed");

        operations.Release.Release();
        await first;
        await Task.WhenAll(later);

        Assert.That(group.DirectorySyncCount, Is.EqualTo(2), "one round for the first, one for the ten that joined during it");
        Assert.That(group.RoundCount, Is.EqualTo(2));
        var events = operations.Events.ToList();
        Assert.That(events.Take(3), Is.EqualTo(new[] { "flush t0", "rename t0", "fsync-dir" }));
        var second = events.Skip(3).ToList();
        Assert.That(second, Has.Count.EqualTo(21));
        Assert.That(second.Take(10), Is.EquivalentTo(Enumerable.Range(1, 10).Select(i => $"flush t{i}")), "every file of the round is durable before any rename");
        Assert.That(second.Skip(10).Take(10), Is.EquivalentTo(Enumerable.Range(1, 10).Select(i => $"rename t{i}")));
        Assert.That(second[^1], Is.EqualTo("fsync-dir"));
    }

    [Test]
    public async Task A_failed_file_fsync_fails_only_its_own_commit_and_removes_its_temporary_file()
    {
        var operations = new RecordingOperations { HoldFlushOf = "t0", FailFlushOf = "t2" };
        var group = new EnqueueGroupCommit(_env.Root, operations);
        var first = Task.Run(() => group.CommitAsync(Pending(0)));
        Assert.That(await operations.Held.WaitAsync(TimeSpan.FromSeconds(10)), Is.True);
        var round = Enumerable.Range(1, 3).Select(i => group.CommitAsync(Pending(i))).ToList();
        operations.Release.Release();
        await first;

        await round[0];
        var error = await Assert.ThrowsAsync<IOException>(() => round[1]);
        await round[2];

        Assert.That(error!.Message, Does.Contain("f2").And.Contain("errno 5"));
        Assert.That(operations.Events, Does.Contain("delete t2").And.Not.Contain("rename t2"));
        Assert.That(operations.Events, Does.Contain("rename t1").And.Contain("rename t3"));
    }

    [Test]
    public async Task A_failed_rename_fails_only_its_own_commit()
    {
        var operations = new RecordingOperations { FailRenameOf = "t0" };
        var group = new EnqueueGroupCommit(_env.Root, operations);

        var error = await Assert.ThrowsAsync<IOException>(() => group.CommitAsync(Pending(0)));
        await group.CommitAsync(Pending(1));

        Assert.That(error!.Message, Does.Contain("f0").And.Contain("exists"));
        Assert.That(operations.Events, Does.Contain("delete t0"));
        Assert.That(group.DirectorySyncCount, Is.EqualTo(1), "nothing of the failed round was renamed, so no directory fsync was needed for it");
    }

    [Test]
    public async Task A_failed_directory_fsync_fails_every_commit_of_its_round()
    {
        var operations = new RecordingOperations { HoldFlushOf = "t0", FailDirectoryFsync = true };
        var group = new EnqueueGroupCommit(_env.Root, operations);
        var first = Task.Run(() => group.CommitAsync(Pending(0)));
        Assert.That(await operations.Held.WaitAsync(TimeSpan.FromSeconds(10)), Is.True);
        var round = Enumerable.Range(1, 3).Select(i => group.CommitAsync(Pending(i))).ToList();
        operations.Release.Release();

        await Assert.ThrowsAsync<IOException>(() => first);
        foreach (var (commit, i) in round.Select((c, i) => (c, i + 1)))
        {
            var error = await Assert.ThrowsAsync<IOException>(() => commit);
            Assert.That(error!.Message, Does.Contain($"f{i}").And.Contain("errno 5"));
        }

        Assert.That(group.DirectorySyncCount, Is.Zero);
    }

    [Test]
    public async Task Real_files_are_published_with_their_content_and_no_temporary_file_is_left()
    {
        string final = Path.Combine(_env.Root, "entry.pck");
        var group = new EnqueueGroupCommit(_env.Root);

        await group.CommitAsync(DurableFiles.WritePending(final + ".tmp", final, "content"u8));

        Assert.That(await File.ReadAllTextAsync(final), Is.EqualTo("content"));
        Assert.That(File.Exists(final + ".tmp"), Is.False);
        Assert.That(group.DirectorySyncCount, Is.EqualTo(1));
    }

    [Test]
    public async Task An_unexpected_failure_fails_its_round_and_the_next_enqueue_still_commits()
    {
        var operations = new RecordingOperations { UnexpectedFailureOf = "t0" };
        var group = new EnqueueGroupCommit(_env.Root, operations);

        var error = await Assert.ThrowsAsync<IOException>(() => group.CommitAsync(Pending(0)));
        var next = group.CommitAsync(Pending(1));

        Assert.That(await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(10))), Is.SameAs(next), "the group is not left with a leader that never hands over");
        await next;
        Assert.That(error!.InnerException, Is.InstanceOf<InvalidOperationException>());
        Assert.That(operations.Events, Does.Contain("rename t1").And.Not.Contain("rename t0"));
    }

    private static PendingFile Pending(int i) => new(null, $"t{i}", $"f{i}");

    // Records each step; can hold one file's fsync until released, and fail chosen steps.
    private sealed class RecordingOperations : IPublishOperations
    {
        public ConcurrentQueue<string> Events { get; } = new();

        public SemaphoreSlim Held { get; } = new(0);

        public SemaphoreSlim Release { get; } = new(0);

        public string? HoldFlushOf { get; init; }

        public string? FailFlushOf { get; init; }

        public string? FailRenameOf { get; init; }

        public bool FailDirectoryFsync { get; init; }

        public string? UnexpectedFailureOf { get; init; }

        public void FlushFile(PendingFile file)
        {
            if (file.TemporaryPath == HoldFlushOf)
            {
                Held.Release();
                Release.Wait();
            }

            if (file.TemporaryPath == UnexpectedFailureOf)
            {
                throw new InvalidOperationException("a bug in a file system step");
            }

            if (file.TemporaryPath == FailFlushOf)
            {
                throw new IOException("fsync failed, errno 5");
            }

            Events.Enqueue($"flush {file.TemporaryPath}");
        }

        public void Rename(string temporaryPath, string finalPath)
        {
            if (temporaryPath == FailRenameOf)
            {
                throw new IOException($"'{finalPath}' already exists");
            }

            Events.Enqueue($"rename {temporaryPath}");
        }

        public void FsyncDirectory(string directory)
        {
            if (FailDirectoryFsync)
            {
                throw new IOException("fsync failed, errno 5");
            }

            Events.Enqueue("fsync-dir");
        }

        public void DeleteTemporary(string temporaryPath) => Events.Enqueue($"delete {temporaryPath}");
    }
}
