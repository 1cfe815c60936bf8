using System.Text;
using RunnerHost.Hosting.Operations;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Queues;

/// <summary>
/// Hostile time parts in entry names, through every reader of entry names: the runner's listing,
/// <c>queues</c>, <c>status</c>, <c>qfile</c>, <c>bad</c> and <c>unshunt</c> (the REST API's readers are
/// in RestApiTests). None may throw, hang or loop; the entry goes to bad with a reason, or is reported.
/// </summary>
[TestFixture]
public sealed class EntryNameReaderTests
{
    private static readonly string Digest = "7" + new string('a', 39);

    // The far-future times once overflowed the tick conversion (and 1e12 looped forever).
    public static readonly string[] HostileTimes =
    [
        "300000000000.0",
        "1000000000000.0",
        "-5.0",
        "NaN",
        "nan",
        "inf",
        "-Infinity",
        // As long as a file name may be (255 bytes with the digest and extension); the parser test adds 400 digits.
        new string('9', 200),
        string.Empty,
        "1E+16",
        "1.7e9",
        " 1700000000.0",
        "1700000000.",
        ".5",
        "12.5.6",
        "946684799.0",
    ];

    private TestHost _host = null!;

    [SetUp]
    public void SetUp() => _host = new TestHost("[runner.in]\nclass: Unused\ninstances: 2\n");

    [TearDown]
    public void TearDown() => _host.Dispose();

    private static byte[] Entry(string subject) =>
        QueueFileFormat.Encode(new MessageData { ["listid"] = "test.example.com" }, Encoding.ASCII.GetBytes($"From: a@example.com\r\nSubject: {subject}\r\n\r\nbody\r\n"));

    private string Plant(string queue, string time, string extension = ".pck")
    {
        string directory = Path.Combine(_host.QueueDir, queue);
        Directory.CreateDirectory(directory);
        string name = time + "+" + Digest + extension;
        File.WriteAllBytes(Path.Combine(directory, name), Entry("hostile"));
        return name;
    }

    public static readonly string[] ParserOnlyTimes = [.. HostileTimes, new string('9', 400), new string('1', 100_000)];

    [TestCaseSource(nameof(ParserOnlyTimes))]
    public void The_parser_refuses_the_time_with_a_reason(string time)
    {
        Assert.That(QueueFileName.TryParse(time + "+" + Digest, DateTimeOffset.UtcNow, out _, out string? error), Is.False);
        Assert.That(error, Does.StartWith("time").And.Length.LessThan(200), "one short reason");
    }

    [Test]
    public void Times_between_2000_and_a_century_ahead_are_accepted()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (double seconds in new[] { QueueFileName.MinimumTime, 1_700_000_000.25, QueueFileName.ToUnixSeconds(now.AddYears(99)) })
        {
            string name = QueueFileName.FormatTime(seconds) + "+" + Digest;
            Assert.That(QueueFileName.TryParse(name, now, out var parts, out string? error), Is.True, error);
            Assert.That(parts.Due, Is.EqualTo(DateTimeOffset.UnixEpoch.AddSeconds(seconds)).Within(TimeSpan.FromMilliseconds(1)));
        }

        Assert.That(QueueFileName.TryParse(QueueFileName.FormatTime(QueueFileName.ToUnixSeconds(now.AddYears(101))) + "+" + Digest, now, out _, out _), Is.False);
    }

    [Test]
    public void FromUnixSeconds_refuses_what_no_DateTimeOffset_holds_and_never_loops()
    {
        foreach (double seconds in new[] { 3e11, 1e12, double.NaN, double.PositiveInfinity, -1e12 })
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => QueueFileName.FromUnixSeconds(seconds), seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        // The largest time a DateTimeOffset holds converts (within a bounded number of steps).
        Assert.That(QueueFileName.FromUnixSeconds(253_402_300_000.0).Year, Is.EqualTo(9999));
    }

    [TestCaseSource(nameof(HostileTimes))]
    public async Task The_runner_listing_quarantines_the_entry_with_a_reason_and_lists_the_good_one(string time)
    {
        string good = await _host.Queue("in").EnqueueAsync(TestMessages.FromText("From: a@example.com\nSubject: good\n\nbody\n"));
        string hostile = Plant("in", time);

        var snapshot = _host.Queue("in").GetSnapshot(DateTimeOffset.UtcNow.AddSeconds(1));

        Assert.That(snapshot.Ready, Is.EqualTo(new[] { good }));
        string preserved = Path.Combine(_host.Services.Files.BadDirectory, hostile[..^4] + ".psv");
        Assert.That(File.Exists(preserved), Is.True, "quarantined to bad");
        Assert.That(await File.ReadAllTextAsync(preserved + ".reason"), Does.Contain("file name is not <time>+<digest>: time"));
    }

    [TestCaseSource(nameof(HostileTimes))]
    public async Task Queues_and_status_measure_the_queue_and_flag_the_name(string time)
    {
        Plant("in", time);
        Plant("in", QueueFileName.FormatTime(1_700_000_000.5));

        // queues, status and the metrics all read the inspection surface's summary.
        var shape = await _host.Services.Inspector.SummarizeAsync("in");

        Assert.That(shape.Depth, Is.EqualTo(1));
        Assert.That(shape.Strays.Select(s => s.Name), Is.EqualTo(new[] { time + "+" + Digest + ".pck" }));
        Assert.That(shape.Slices.Sum(s => s.Waiting), Is.EqualTo(1));
        Assert.That(shape.StrayCount, Is.EqualTo(1));
    }

    [TestCaseSource(nameof(HostileTimes))]
    public void Qfile_reports_the_name_problem_and_shows_the_entry(string time)
    {
        string name = Plant("in", time);

        string path = Path.Combine(_host.QueueDir, "in", name);
        var report = FileQueueInspector.Inspect(path, queue: null, DateTimeOffset.UtcNow);

        Assert.That(report.Due, Is.Null);
        Assert.That(report.NameProblem, Does.Contain("file name is not <time>+<digest>"));
        Assert.That(report.Damaged, Is.False, "the content is sound");
        Assert.That(EntryReportWriter.ToText(report, path, DateTimeOffset.UtcNow), Does.Contain("Name: file name is not <time>+<digest>").And.Contain("Subject: hostile"));
    }

    [TestCaseSource(nameof(HostileTimes))]
    public async Task Bad_lists_and_shows_a_preserved_entry_of_that_name(string time)
    {
        string bad = _host.Services.Files.BadDirectory;
        Directory.CreateDirectory(bad);
        string name = time + "+" + Digest;
        await File.WriteAllBytesAsync(Path.Combine(bad, name + ".psv"), Entry("preserved"));
        var entries = new PreservedEntries(_host.Services.Inspector);

        var listed = await entries.ListAsync(CancellationToken.None);
        var report = await entries.ReadAsync(name, CancellationToken.None);

        Assert.That(listed.Select(e => e.Id), Is.EqualTo(new[] { name }));
        Assert.That(report.Metadata!.ListId, Is.EqualTo("test.example.com"));
    }

    [TestCaseSource(nameof(HostileTimes))]
    public async Task Unshunt_skips_the_name_and_replays_the_others(string time)
    {
        string shunt = Path.Combine(_host.QueueDir, "shunt");
        string good = await _host.Queue("shunt").EnqueueAsync(TestMessages.FromText("From: a@example.com\nSubject: shunted\n\nbody\n"));
        string hostile = Plant("shunt", time);

        // As operators run it: the unshunt command first recovers the shunt queue, which quarantines the name.
        var result = await HostProcess.RunAsync(_host.Root, null, "unshunt", "-C", _host.ConfigFile);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.StartWith(good + " -> in "));
        Assert.That(File.Exists(Path.Combine(shunt, hostile)), Is.False, "quarantined, not left to block the shunt queue");
        Assert.That(File.Exists(Path.Combine(_host.Services.Files.BadDirectory, hostile[..^4] + ".psv")), Is.True);
    }
}
