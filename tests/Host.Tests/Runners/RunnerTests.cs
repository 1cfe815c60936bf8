using Microsoft.Extensions.Logging;
using RunnerHost.Events;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Runners;

public sealed class RunnerTests
{
    private const string Ant = "From: aperson@example.com\nTo: test@example.com\nMessage-ID: <ant>\n\nAnt.\n";

    private TestHost _host = null!;

    [SetUp]
    public void SetUp()
    {
        _host = new TestHost();
        _host.Push("runners", """
            [runner.in]
            class: unused
            [runner.nonqueue]
            class: unused
            path:
            """);
    }

    [TearDown]
    public void TearDown() => _host.Dispose();

    [Test]
    public async Task A_crashing_dispose_raises_the_crash_event_and_shunts_with_the_error_recorded()
    {
        var crashes = new List<RunnerCrash>();
        using var subscription = _host.Services.Events.SubscribeToCrashes(crashes.Add);
        var runner = new CrashingRunner(_host.ContextFor("in"));
        await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant), new MessageData { ["listid"] = "test.example.com" });

        await _host.RunAsync(runner);

        Assert.That(crashes, Has.Count.EqualTo(1));
        var crash = crashes[0];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(crash.MailingList.ListId, Is.EqualTo("test.example.com"));
            Assert.That(crash.Message.MessageId, Is.EqualTo("ant"));
            Assert.That(crash.Metadata.ListId, Is.EqualTo("test.example.com"));
            Assert.That(crash.Error, Is.TypeOf<InvalidOperationException>().With.Message.EqualTo("borked"));
            Assert.That(crash.Runner, Is.SameAs(runner));
            Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo("empty"));
        }

        var shunt = _host.Queue("shunt");
        var files = shunt.GetFiles();
        Assert.That(files, Has.Count.EqualTo(1));
        var entry = await shunt.DequeueAsync(files[0]);
        var error = entry.Metadata.GetNested(MessageDataKeys.Error)!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(entry.Message.MessageId, Is.EqualTo("ant"));
            Assert.That(entry.Metadata.WhichQueue, Is.EqualTo("in"));
            Assert.That(entry.Metadata.GetString("touched"), Is.EqualTo("before the crash"), "metadata as dispose left it");
            Assert.That(error.GetString(ErrorRecordKeys.Type), Is.EqualTo("System.InvalidOperationException"));
            Assert.That(error.GetString(ErrorRecordKeys.Message), Is.EqualTo("borked"));
            Assert.That(error.GetString(ErrorRecordKeys.Stack), Does.Contain(nameof(CrashingRunner)));
            Assert.That(error.GetString(ErrorRecordKeys.Runner), Is.EqualTo("in"));
            Assert.That(error.GetString(ErrorRecordKeys.Slice), Is.EqualTo("0/1"));
            Assert.That(error.TryGetInt64(ErrorRecordKeys.Attempt, out var attempt) ? attempt : -1, Is.EqualTo(1));
            Assert.That(DateTimeOffset.TryParse(error.GetString(ErrorRecordKeys.Time), out _), Is.True);
        }

        Assert.That(_host.Logs.Messages(LogLevel.Error), Has.Some.Contains("SHUNTING: " + files[0]));
    }

    [Test]
    public async Task A_failed_shunt_preserves_the_original_in_bad()
    {
        Directory.CreateDirectory(_host.QueueDir);
        await File.WriteAllTextAsync(Path.Combine(_host.QueueDir, "shunt"), "a file where the shunt directory should be");
        var runner = new CrashingRunner(_host.ContextFor("in"));
        string filebase = await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant), new MessageData { ["listid"] = "test.example.com" });

        await _host.RunAsync(runner);

        Assert.That(File.Exists(Path.Combine(_host.QueueDir, "bad", filebase + ".psv")), Is.True);
        Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo("empty"));
        Assert.That(_host.Logs.Messages(LogLevel.Error), Has.Some.Contains("SHUNTING FAILED, preserving original entry: " + filebase));
    }

    [Test]
    public async Task A_missing_list_shunts_without_whichq_and_without_calling_dispose()
    {
        var runner = new TestableRunnerBase(_host.ContextFor("in"));
        await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant), new MessageData { ["listid"] = "nosuch.example.com" });

        await _host.RunAsync(runner);

        Assert.That(runner.Seen, Is.Empty);
        var shunt = _host.Queue("shunt");
        var entry = await shunt.DequeueAsync(shunt.GetFiles().Single());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(entry.Metadata.ContainsKey(MessageDataKeys.WhichQueue), Is.False);
            Assert.That(entry.Metadata.GetNested(MessageDataKeys.Error)?.GetString(ErrorRecordKeys.Message), Is.EqualTo("No such list: nosuch.example.com"));
            Assert.That(_host.Logs.Messages(LogLevel.Error), Has.Some.EqualTo("ant runner \"in\" shunting message for missing list: nosuch.example.com"));
        }
    }

    [Test]
    public async Task The_legacy_listname_key_finds_the_list()
    {
        var runner = new TestableRunnerBase(_host.ContextFor("in"));
        await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant), new MessageData { ["listname"] = "test@example.com" });

        await _host.RunAsync(runner);

        Assert.That(runner.Seen, Has.Count.EqualTo(1));
        Assert.That(_host.CheckQueueFiles("shunt"), Is.EqualTo("empty"));
    }

    [Test]
    public async Task Lang_comes_from_the_member_when_the_sender_has_a_preferred_language()
    {
        _host.Push("french", """
            [list.french]
            posting_address: french@example.com
            preferred_language: de
            members: aperson@example.com lang=fr
            """);
        var runner = new TestableRunnerBase(_host.ContextFor("in"));
        await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant), new MessageData { ["listid"] = "french.example.com" });
        await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant.Replace("aperson", "stranger", StringComparison.Ordinal)), new MessageData { ["listid"] = "french.example.com" });

        await _host.RunAsync(runner);

        Assert.That(runner.Seen.Select(s => s.Metadata.Language), Is.EquivalentTo(new[] { "fr", "de" }));
    }

    [Test]
    public async Task A_non_queue_runner_runs_its_loop_and_returns()
    {
        var runner = new NonQueueRunner(_host.ContextFor("nonqueue"));

        await _host.RunAsync(runner).WaitAsync(TimeSpan.FromSeconds(30));

        // A service runner: started once, its periodic hook ran (and stopped it), stopped once; it never had a queue.
        Assert.That((runner.Starts, runner.Periodic, runner.Stops), Is.EqualTo((1, 1, 1)));
    }

    [Test]
    public async Task Run_once_processes_the_whole_pass_not_just_one_file()
    {
        var runner = new KeepNothingRunner(_host.ContextFor("in"));
        for (int i = 0; i < 3; i++)
        {
            await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant), new MessageData { ["listid"] = "test.example.com", ["n"] = i });
        }

        await _host.RunOnceAsync(runner).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(runner.Count, Is.EqualTo(3));
        Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo("empty"));
    }

    [Test]
    public async Task Entries_are_processed_in_fifo_order()
    {
        var runner = new TestableRunnerBase(_host.ContextFor("in"));
        for (int i = 0; i < 5; i++)
        {
            await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant), new MessageData { ["listid"] = "test.example.com", ["n"] = i });
        }

        await _host.RunAsync(runner);

        Assert.That(runner.Seen.Select(s => s.Metadata.GetString("n")), Is.EqualTo(new[] { "0", "1", "2", "3", "4" }));
    }

    [Test]
    public async Task Keep_queued_requeues_with_a_backoff_instead_of_busy_looping()
    {
        _host.Push("slow-keep", """
            [runner.in]
            requeue_backoff: 1m
            sleep_time: 0.05s
            """);
        var runner = new KeepingRunner(_host.ContextFor("in"));
        string original = await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant), new MessageData { ["listid"] = "test.example.com" });
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));

        await _host.RunAsync(runner, stop.Token);

        // Mailman rewrote such an entry hundreds of times a second; here it waits for its backoff.
        Assert.That(runner.Calls, Is.EqualTo(1));
        var pending = _host.Queue("in").GetFiles();
        Assert.That(pending, Has.Count.EqualTo(1));
        Assert.That(pending[0], Is.Not.EqualTo(original));
        var snapshot = _host.Queue("in").GetSnapshot(DateTimeOffset.UtcNow);
        Assert.That(snapshot.Ready, Is.Empty);
        Assert.That(snapshot.NextDue, Is.GreaterThan(DateTimeOffset.UtcNow.AddSeconds(50)));
        var entry = await _host.Queue("in").DequeueAsync(pending[0]);
        Assert.That(entry.Metadata.TryGetInt64(MessageDataKeys.RequeueCount, out var keeps) ? keeps : 0, Is.EqualTo(1));
    }

    [Test]
    public void Keep_queued_backoff_doubles_up_to_its_maximum()
    {
        _host.Push("keep", """
            [runner.in]
            requeue_backoff: 2s
            requeue_backoff_max: 10s
            """);
        var runner = new KeepingRunner(_host.ContextFor("in"));

        var delays = Enumerable.Range(0, 5).Select(n => Math.Round(runner.BackoffFor(n).TotalSeconds)).ToList();

        Assert.That(delays, Is.EqualTo(new double[] { 2, 4, 8, 10, 10 }));
    }

    [Test]
    public async Task A_runner_stopped_before_it_runs_processes_nothing()
    {
        var runner = new TestableRunnerBase(_host.ContextFor("in"));
        await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant), new MessageData { ["listid"] = "test.example.com" });
        runner.Stop();

        await _host.RunAsync(runner).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(runner.Seen, Is.Empty);
        Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo(".pck: 1"));
    }

    [Test]
    public async Task A_stop_while_sleeping_ends_the_loop_without_another_pass()
    {
        _host.Push("sleepy", "[runner.in]\nsleep_time: 1m\n");
        var runner = new SleepyRunner(_host.ContextFor("in"));
        var running = _host.RunAsync(runner);
        await runner.Sleeping.WaitAsync(TimeSpan.FromSeconds(30));
        await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant), new MessageData { ["listid"] = "test.example.com" });

        runner.Stop();
        await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(runner.Count, Is.Zero, "nothing fetched after the stop");
        Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo(".pck: 1"));
    }

    [Test]
    public async Task Stop_lets_the_message_in_hand_finish_and_fetches_no_more()
    {
        var runner = new SlowRunner(_host.ContextFor("in"));
        for (int i = 0; i < 2; i++)
        {
            await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant), new MessageData { ["listid"] = "test.example.com" });
        }

        var running = _host.RunAsync(runner);
        await runner.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        runner.Stop();
        runner.Release();
        await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(runner.Completed, Is.EqualTo(1));
        Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo(".pck: 1"));
        Assert.That(_host.CheckQueueFiles("shunt"), Is.EqualTo("empty"));
    }

    [Test]
    public async Task Cancelling_during_dispose_returns_the_entry_unchanged_and_never_shunts()
    {
        var runner = new SlowRunner(_host.ContextFor("in"));
        string filebase = await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant), new MessageData { ["listid"] = "test.example.com" });
        byte[] before = await File.ReadAllBytesAsync(Path.Combine(_host.QueueDir, "in", filebase + ".pck"));
        using var cancel = new CancellationTokenSource();

        var running = _host.RunAsync(runner, cancel.Token);
        await runner.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        await cancel.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(_host.CheckQueueFiles("shunt"), Is.EqualTo("empty"));
        Assert.That(_host.Queue("in").GetFiles(), Is.EqualTo(new[] { filebase }));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(_host.QueueDir, "in", filebase + ".pck")), Is.EqualTo(before));
    }

    [Test]
    public async Task A_failing_periodic_hook_is_logged_and_the_loop_goes_on()
    {
        var runner = new PeriodicFailureRunner(_host.ContextFor("in"));
        await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant), new MessageData { ["listid"] = "test.example.com" });

        await _host.RunAsync(runner).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(runner.Seen, Has.Count.EqualTo(1));
        Assert.That(runner.PeriodicCalls, Is.GreaterThan(1));
        Assert.That(_host.Logs.Lines.Where(l => l.Level == LogLevel.Error).Select(l => l.Exception?.Message), Has.Some.EqualTo("periodic boom"));
    }

    [Test]
    public async Task Unreadable_and_misnamed_files_go_to_bad_and_the_runner_goes_on()
    {
        string inDir = Path.Combine(_host.QueueDir, "in");
        string good = await _host.Queue("in").EnqueueAsync(TestMessages.FromText(Ant), new MessageData { ["listid"] = "test.example.com" });
        string garbage = "1700000000.5+" + new string('a', 40);
        string empty = "2.5+" + new string('b', 40);
        await File.WriteAllTextAsync(Path.Combine(inDir, garbage + ".pck"), "this is not a queue entry");
        await File.WriteAllBytesAsync(Path.Combine(inDir, empty + ".pck"), []);
        await File.WriteAllTextAsync(Path.Combine(inDir, "README.pck"), "Not an entry.");
        var runner = new TestableRunnerBase(_host.ContextFor("in"));

        await _host.RunAsync(runner).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(runner.Seen, Has.Count.EqualTo(1));
        string bad = Path.Combine(_host.QueueDir, "bad");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(File.Exists(Path.Combine(bad, garbage + ".psv")), Is.True);
            Assert.That(File.Exists(Path.Combine(bad, empty + ".psv")), Is.True);
            Assert.That(Directory.EnumerateFiles(bad, "README*.psv").Count(), Is.EqualTo(1));
            Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo("empty"));
            Assert.That(_host.Logs.Messages(LogLevel.Warning), Has.Some.Contains("README.pck"));
            Assert.That(_host.Logs.Messages(LogLevel.Error), Has.Some.Contains("skipping and preserving unparseable message: " + garbage));
        }

        Assert.That(good, Is.Not.Empty);
    }

    /// <summary>Signals when it first goes to sleep; its snooze ignores new work, so only a stop wakes it.</summary>
    private sealed class SleepyRunner(RunnerContext context) : Runner(context)
    {
        private readonly TaskCompletionSource _sleeping = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Sleeping => _sleeping.Task;

        public int Count { get; private set; }

        protected override Task<bool> ProcessMessageAsync(RunnerHost.Lists.IMailingList mailingList, MimeKit.MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
        {
            Count++;
            return Task.FromResult(false);
        }

        protected override async Task SnoozeAsync(int fileCount, CancellationToken cancellationToken)
        {
            _sleeping.TrySetResult();
            while (!IsStopping && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(10, CancellationToken.None);
            }
        }
    }

    private sealed class KeepNothingRunner(RunnerContext context) : Runner(context)
    {
        public int Count { get; private set; }

        protected override Task<bool> ProcessMessageAsync(RunnerHost.Lists.IMailingList mailingList, MimeKit.MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
        {
            Count++;
            return Task.FromResult(false);
        }
    }
}
