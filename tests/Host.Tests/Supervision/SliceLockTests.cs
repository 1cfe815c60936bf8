using System.Text;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Plugins;

namespace RunnerHost.Hosting.Tests.Supervision;

/// <summary>The slice lock on its own: who excludes whom, within one process as across processes, and what a waiter learns.</summary>
public sealed class SliceLockTests
{
    private string _locks = null!;

    [SetUp]
    public void SetUp() => _locks = Path.Combine(TestDirectories.CreateTemp("slicelock"), "locks");

    [TearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(Path.GetDirectoryName(_locks)!);

    [Test]
    public void A_held_slice_cannot_be_taken_again_in_the_same_process_and_names_its_holder()
    {
        using var held = Take("in", 1, 2);

        var second = SliceLock.TryAcquire(_locks, new SliceId("in", 1, 2), out var conflict);

        Assert.That(second, Is.Null, "two opens of the lock file in one process exclude each other");
        Assert.That(conflict, Is.EqualTo(new SliceLockConflict(held.File, Environment.ProcessId)));
        Assert.That(held.File, Is.EqualTo(Path.Combine(_locks, "runner.in.1-of-2.lock")));
    }

    [Test]
    public void Overlapping_slices_of_other_counts_exclude_each_other_and_disjoint_ones_do_not()
    {
        using var held = Take("in", 0, 2);

        Assert.That(TryTake("in", 0, 1), Is.False, "the whole queue contains slice 0 of 2");
        Assert.That(TryTake("in", 0, 4), Is.False, "slice 0 of 4 lies in slice 0 of 2");
        Assert.That(TryTake("in", 1, 4), Is.False, "slice 1 of 4 lies in slice 0 of 2");
        Assert.That(TryTake("in", 1, 2), Is.True);
        Assert.That(TryTake("in", 2, 4), Is.True, "slice 2 of 4 lies in slice 1 of 2");
        Assert.That(TryTake("out", 0, 2), Is.True, "another runner");
    }

    [Test]
    public void Finer_slices_held_keep_a_coarser_one_out_and_siblings_share_their_ancestors()
    {
        using var first = Take("in", 0, 4);
        using var sibling = Take("in", 1, 4);

        Assert.That(TryTake("in", 0, 2), Is.False);
        Assert.That(TryTake("in", 0, 1), Is.False);
        Assert.That(TryTake("in", 1, 2), Is.True);
    }

    [Test]
    public void Release_frees_the_slice_and_a_failed_attempt_holds_nothing()
    {
        var held = Take("in", 0, 2);
        Assert.That(TryTake("in", 0, 1), Is.False);
        Assert.That(TryTake("in", 1, 2), Is.True, "the failed whole-queue attempt released the root it had taken shared");

        held.Dispose();

        Assert.That(TryTake("in", 0, 1), Is.True);
    }

    [Test]
    public async Task A_waiter_is_told_about_the_holder_and_gets_the_lock_once_it_is_released()
    {
        var held = Take("in", 0, 1);
        var reported = new List<SliceLockConflict>();
        var waiting = SliceLock.AcquireAsync(_locks, new SliceId("in", 0, 1), reported.Add, CancellationToken.None);
        await MasterHarness.WaitUntilAsync(() => reported.Count > 0, "the wait reported");
        Assert.That(waiting.IsCompleted, Is.False);

        held.Dispose();
        using var taken = await waiting.WaitAsync(MasterHarness.Patience);

        Assert.That(reported, Has.Count.EqualTo(1));
        Assert.That(reported[0].HolderPid, Is.EqualTo(Environment.ProcessId));
        Assert.That(SliceLock.TryAcquire(_locks, new SliceId("in", 0, 1), out var conflict), Is.Null);
        Assert.That(conflict!.HolderPid, Is.EqualTo(Environment.ProcessId), "the new holder recorded its pid");
    }

    [Test]
    public void A_wait_ends_when_cancelled()
    {
        using var held = Take("in", 0, 1);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        Assert.That(async () => await SliceLock.AcquireAsync(_locks, new SliceId("in", 0, 1), _ => { }, cancel.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [TestCase("in/../../etc", "runner.in%2F%2E%2E%2F%2E%2E%2Fetc.0-of-1.lock")]
    [TestCase("a.b", "runner.a%2Eb.0-of-1.lock")]
    [TestCase("Digest_2-x", "runner.digest_2-x.0-of-1.lock")]
    public void Runner_names_cannot_leave_the_lock_directory(string runner, string expected)
    {
        Assert.That(SliceLock.FileOf(_locks, runner, 0, 1), Is.EqualTo(Path.Combine(_locks, expected)));
    }

    [Test]
    public void A_line_reader_bounds_a_hostile_line_and_returns_an_unterminated_last_line()
    {
        string huge = new('x', BoundedLineReader.MaxLineLength * 3);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes($"{{\"type\":\"ready\"}}\r\n{huge}\nlast"));
        var reader = new BoundedLineReader(stream);

        var lines = new List<string>();
        while (reader.ReadLineAsync(CancellationToken.None).GetAwaiter().GetResult() is { } line)
        {
            lines.Add(line);
        }

        Assert.That(lines, Has.Count.EqualTo(3));
        Assert.That(lines[0], Is.EqualTo("{\"type\":\"ready\"}"));
        Assert.That(lines[1], Has.Length.EqualTo(BoundedLineReader.MaxLineLength));
        Assert.That(lines[2], Is.EqualTo("last"));
    }

    [Test]
    public void A_cause_is_cut_to_one_line_of_bounded_length()
    {
        string cause = FailureText.OneLine("first line\r\n  second\tline\n" + new string('y', 2000));

        Assert.That(cause, Does.StartWith("first line second line yyy"));
        Assert.That(cause, Has.Length.EqualTo(HeartbeatLine.MaxReasonLength + 1));
        Assert.That(cause, Does.Not.Contain("\n").And.Not.Contain("\t"));
    }

    private SliceLock Take(string runner, int slice, int count) =>
        SliceLock.TryAcquire(_locks, new SliceId(runner, slice, count), out _) ?? throw new InvalidOperationException($"{runner}:{slice}/{count} is held");

    private bool TryTake(string runner, int slice, int count)
    {
        using var taken = SliceLock.TryAcquire(_locks, new SliceId(runner, slice, count), out _);
        return taken is not null;
    }
}
