using RunnerHost.Hosting.Queues;
using static RunnerHost.Hosting.Tests.Queues.QueueTestEnvironment;

namespace RunnerHost.Hosting.Tests.Queues;

[TestFixture]
public sealed class FifoTests
{
    private ManualClock _clock = null!;
    private QueueTestEnvironment _env = null!;
    private FileSwitchboard _switchboard = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_500));
        _env = new QueueTestEnvironment(_clock);
        _switchboard = _env.Create("in", fsync: false);
    }

    [TearDown]
    public void TearDown()
    {
        _switchboard.Dispose();
        _env.Dispose();
    }

    [Test]
    public async Task Files_are_sorted_by_time_then_digest()
    {
        var sameTime = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            sameTime.Add(await _switchboard.EnqueueAsync(TestMessage($"at 1000.5 #{i}")));
        }

        _clock.Now = DateTimeOffset.FromUnixTimeMilliseconds(1_699_999_999_500);
        string earlier = await _switchboard.EnqueueAsync(TestMessage("at 999.5"));
        _clock.Now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_501);
        string later = await _switchboard.EnqueueAsync(TestMessage("at 1000.501"));

        var expected = new List<string> { earlier };
        expected.AddRange(sameTime.OrderBy(name => name.Split('+')[1], StringComparer.Ordinal));
        expected.Add(later);
        Assert.That(_switchboard.GetFiles(), Is.EqualTo(expected));
        Assert.That(_switchboard.GetSnapshot(_clock.Now).Ready, Is.EqualTo(expected));
        Assert.That(_switchboard.GetSnapshot(_clock.Now).NextDue, Is.Null);
    }

    [Test]
    public async Task Time_sorts_numerically_not_as_text()
    {
        // 2001-09-09: the one time in the accepted range where the number of digits changes.
        _clock.Now = DateTimeOffset.FromUnixTimeSeconds(1_000_000_000);
        string ten = await _switchboard.EnqueueAsync(TestMessage());
        _clock.Now = DateTimeOffset.FromUnixTimeSeconds(999_999_999);
        string nine = await _switchboard.EnqueueAsync(TestMessage());

        Assert.That(_switchboard.GetFiles(), Is.EqualTo(new List<string> { nine, ten }));
    }

    [Test]
    public async Task Not_before_entries_wait_until_due_and_NextDue_is_reported()
    {
        string now = await _switchboard.EnqueueAsync(TestMessage("now"));
        var dueAt = _clock.Now.AddMinutes(10).AddTicks(1234567);
        string delayed = await _switchboard.EnqueueAsync(TestMessage("later"), notBefore: dueAt);
        string soonest = await _switchboard.EnqueueAsync(TestMessage("sooner"), notBefore: _clock.Now.AddMinutes(5));
        await _switchboard.EnqueueAsync(TestMessage("past not-before"), notBefore: _clock.Now.AddMinutes(-5));

        var snapshot = _switchboard.GetSnapshot(_clock.Now);
        Assert.That(snapshot.Ready, Has.Count.EqualTo(2));
        Assert.That(snapshot.Ready, Does.Contain(now).And.Not.Contain(delayed).And.Not.Contain(soonest));
        Assert.That(snapshot.NextDue!.Value, Is.EqualTo(_clock.Now.AddMinutes(5)).Within(TimeSpan.FromMilliseconds(1)));

        // At NextDue the entry must be due: a runner sleeping until then must not spin.
        var atNextDue = _switchboard.GetSnapshot(snapshot.NextDue.Value);
        Assert.That(atNextDue.Ready, Does.Contain(soonest).And.Not.Contain(delayed));
        Assert.That(atNextDue.NextDue!.Value, Is.EqualTo(dueAt).Within(TimeSpan.FromMilliseconds(1)));

        var afterAll = _switchboard.GetSnapshot(atNextDue.NextDue.Value);
        Assert.That(afterAll.Ready, Has.Count.EqualTo(4));
        Assert.That(afterAll.Ready[^1], Is.EqualTo(delayed));
        Assert.That(afterAll.NextDue, Is.Null);
        Assert.That(_switchboard.GetFiles(), Has.Count.EqualTo(4), "GetFiles lists due and not-yet-due entries");
    }

    [Test]
    public void Empty_or_missing_directory_gives_an_empty_snapshot()
    {
        var snapshot = _switchboard.GetSnapshot(_clock.Now);
        Assert.That(snapshot.Ready, Is.Empty);
        Assert.That(snapshot.NextDue, Is.Null);
    }
}
