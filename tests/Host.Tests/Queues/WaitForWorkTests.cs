using System.Diagnostics;
using RunnerHost.Hosting.Queues;
using RunnerHost.Messages;
using static RunnerHost.Hosting.Tests.Queues.QueueTestEnvironment;

namespace RunnerHost.Hosting.Tests.Queues;

[TestFixture]
public sealed class WaitForWorkTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);

    private QueueTestEnvironment _env = null!;
    private FileSwitchboard _runner = null!;

    [SetUp]
    public void SetUp()
    {
        _env = new QueueTestEnvironment();
        _runner = _env.Create("in", fsync: false);
    }

    [TearDown]
    public void TearDown()
    {
        _runner.Dispose();
        _env.Dispose();
    }

    [Test]
    public async Task Enqueue_by_another_instance_wakes_a_waiting_switchboard()
    {
        using var enqueuer = _env.Create("in", fsync: false);
        var wait = _runner.WaitForWorkAsync(Long);
        await Task.Delay(100);
        Assert.That(wait.IsCompleted, Is.False);

        await enqueuer.EnqueueAsync(TestMessage());

        Assert.That(await Task.WhenAny(wait, Task.Delay(Prompt)), Is.SameAs(wait));
    }

    [Test]
    public async Task A_wake_before_the_wait_is_not_lost()
    {
        // No watcher yet (it starts with the first wait), so only the in-process signal can do this.
        using var enqueuer = _env.Create("in", fsync: false);
        await enqueuer.EnqueueAsync(TestMessage());

        var wait = _runner.WaitForWorkAsync(Long);
        Assert.That(await Task.WhenAny(wait, Task.Delay(Prompt)), Is.SameAs(wait));

        // The flag auto-resets: the next wait sleeps for its timeout.
        var second = _runner.WaitForWorkAsync(TimeSpan.FromMilliseconds(300));
        await Task.Delay(100);
        Assert.That(second.IsCompleted, Is.False);
        await second;
    }

    [Test]
    public async Task A_file_renamed_in_by_another_writer_wakes_the_wait()
    {
        var wait = _runner.WaitForWorkAsync(Long);
        await Task.Delay(200);
        Assert.That(wait.IsCompleted, Is.False);

        // As another process would: write elsewhere, then rename into the queue directory.
        string outside = Path.Combine(_env.Root, "elsewhere.tmp");
        await File.WriteAllBytesAsync(outside, QueueFileFormat.Encode(new MessageData(), Serialize(TestMessage())));
        File.Move(outside, Path.Combine(_runner.Directory, QueueFileName.Create([1], null, 1_700_000_000.5) + ".pck"));

        Assert.That(await Task.WhenAny(wait, Task.Delay(Prompt)), Is.SameAs(wait));
    }

    [Test]
    public async Task A_temp_file_renamed_to_pck_wakes_the_wait()
    {
        var wait = _runner.WaitForWorkAsync(Long);
        await Task.Delay(200);
        string filebase = QueueFileName.Create([2], null, 1_700_000_000.5);
        string temp = Path.Combine(_runner.Directory, filebase + ".pck.tmp");
        await File.WriteAllBytesAsync(temp, QueueFileFormat.Encode(new MessageData(), Serialize(TestMessage())));
        File.Move(temp, Path.Combine(_runner.Directory, filebase + ".pck"));

        Assert.That(await Task.WhenAny(wait, Task.Delay(Prompt)), Is.SameAs(wait));
    }

    [Test]
    public async Task Without_work_the_wait_ends_after_the_timeout()
    {
        var clock = Stopwatch.StartNew();
        var wait = _runner.WaitForWorkAsync(TimeSpan.FromMilliseconds(500));

        Assert.That(await Task.WhenAny(wait, Task.Delay(Prompt)), Is.SameAs(wait));
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(400)));
    }

    [Test]
    public async Task Cancellation_ends_the_wait_without_throwing()
    {
        using var cts = new CancellationTokenSource();
        var wait = _runner.WaitForWorkAsync(Long, cts.Token);
        await cts.CancelAsync();

        Assert.That(await Task.WhenAny(wait, Task.Delay(Prompt)), Is.SameAs(wait));
        Assert.That(wait.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public async Task A_switchboard_of_another_directory_is_not_woken()
    {
        using var other = _env.Create("out", fsync: false);
        await other.EnqueueAsync(TestMessage());

        var wait = _runner.WaitForWorkAsync(TimeSpan.FromMilliseconds(500));
        await Task.Delay(200);
        Assert.That(wait.IsCompleted, Is.False);
        await wait;
    }
}
