using RunnerHost.Hosting.Tests.Queues;
using RunnerHost.Scheduling;

namespace RunnerHost.Hosting.Tests.Runners;

public sealed class IntervalScheduleTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);
    private string _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("interval-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    private string Stamp => Path.Combine(_directory, "state", "digest.stamp");

    [Test]
    public async Task Work_runs_at_once_then_once_per_interval_from_the_start_of_the_last_run()
    {
        var clock = new ManualClock(Start);
        var schedule = new IntervalSchedule(TimeSpan.FromHours(1), clock, Stamp);
        int runs = 0;
        Task Work(CancellationToken _)
        {
            runs++;
            clock.Now += TimeSpan.FromMinutes(5); // the work itself takes time
            return Task.CompletedTask;
        }

        Assert.That(await schedule.RunIfDueAsync(Work, default), Is.True);
        clock.Now = Start + TimeSpan.FromMinutes(59);
        Assert.That(await schedule.RunIfDueAsync(Work, default), Is.False);
        clock.Now = Start + TimeSpan.FromHours(1);
        Assert.That(await schedule.RunIfDueAsync(Work, default), Is.True);
        Assert.That((runs, schedule.LastRun, schedule.NextDue), Is.EqualTo((2, Start + TimeSpan.FromHours(1), Start + TimeSpan.FromHours(2))));
    }

    [Test]
    public async Task The_last_run_survives_a_restart_through_the_stamp_file()
    {
        var clock = new ManualClock(Start);
        await new IntervalSchedule(TimeSpan.FromHours(1), clock, Stamp).RunIfDueAsync(_ => Task.CompletedTask, default);

        clock.Now = Start + TimeSpan.FromMinutes(30);
        var afterRestart = new IntervalSchedule(TimeSpan.FromHours(1), clock, Stamp);

        Assert.That((afterRestart.LastRun, afterRestart.IsDue), Is.EqualTo(((DateTimeOffset?)Start, false)));
        Assert.That(File.ReadAllText(Stamp), Is.EqualTo("2026-12-02T09:00:00.0000000+00:00\n"));
    }

    [Test]
    public async Task A_failed_run_is_not_recorded_and_is_tried_again_after_a_minute_not_at_every_call()
    {
        var clock = new ManualClock(Start);
        var schedule = new IntervalSchedule(TimeSpan.FromHours(1), clock, Stamp);

        await Assert.ThrowsAsync<InvalidOperationException>(() => schedule.RunIfDueAsync(_ => throw new InvalidOperationException("smtp down"), default));
        clock.Now = Start + TimeSpan.FromSeconds(59);
        bool early = await schedule.RunIfDueAsync(_ => Task.CompletedTask, default);
        clock.Now = Start + TimeSpan.FromMinutes(1);
        bool retried = await schedule.RunIfDueAsync(_ => Task.CompletedTask, default);

        Assert.That((early, retried, schedule.LastRun), Is.EqualTo((false, true, (DateTimeOffset?)(Start + TimeSpan.FromMinutes(1)))));
    }

    [TestCase("not a time")]
    [TestCase("9999-12-31T23:59:59.0000000+00:00")]
    [TestCase("")]
    [TestCase("\0\0\0\0")]
    public void An_unreadable_or_future_stamp_counts_as_never_run_and_is_logged(string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Stamp)!);
        File.WriteAllText(Stamp, content);
        using var logs = new Support.ListLoggerProvider();
        var logger = logs.CreateLogger("test");

        var schedule = new IntervalSchedule(TimeSpan.FromHours(1), new ManualClock(Start), Stamp, logger);

        Assert.That((schedule.LastRun, schedule.IsDue), Is.EqualTo(((DateTimeOffset?)null, true)));
        Assert.That(logs.Messages().Single(), Does.StartWith($"Stamp file {Stamp} ignored (").And.EndWith("); the periodic work is due now."));
    }

    [Test]
    public void A_stamp_file_too_long_to_be_a_stamp_is_not_read_whole()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Stamp)!);
        File.WriteAllText(Stamp, new string('9', 10_000_000));
        using var logs = new Support.ListLoggerProvider();

        var schedule = new IntervalSchedule(TimeSpan.FromHours(1), new ManualClock(Start), Stamp, logs.CreateLogger("test"));

        Assert.That(schedule.IsDue, Is.True);
        Assert.That(logs.Messages().Single(), Does.Contain("longer than 64 characters"));
    }

    [Test]
    public void An_interval_of_zero_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new IntervalSchedule(TimeSpan.Zero, TimeProvider.System));
    }
}
