using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Queues;
using static RunnerHost.Hosting.Tests.Queues.QueueTestEnvironment;

namespace RunnerHost.Hosting.Tests.Queues;

[TestFixture]
public sealed class RecoveryTests
{
    private QueueTestEnvironment _env = null!;
    private FileSwitchboard _switchboard = null!;

    [SetUp]
    public void SetUp()
    {
        _env = new QueueTestEnvironment();
        _switchboard = _env.Create("in");
    }

    [TearDown]
    public void TearDown()
    {
        _switchboard.Dispose();
        _env.Dispose();
    }

    [Test]
    public async Task Each_recovery_counts_and_keeps_the_filebase_until_the_third()
    {
        string filebase = await _switchboard.EnqueueAsync(TestMessage());
        for (long expected = 1; expected <= 2; expected++)
        {
            await _switchboard.DequeueAsync(filebase);
            await _switchboard.RecoverAsync();
            Assert.That(_switchboard.GetFiles(), Is.EqualTo(new List<string> { filebase }), "FIFO position kept");
            var entry = await _switchboard.DequeueAsync(filebase);
            Assert.That(entry.Metadata["_bak_count"], Is.EqualTo(expected));
            await _switchboard.ReleaseAsync(filebase);
        }

        await _switchboard.DequeueAsync(filebase);
        await _switchboard.RecoverAsync();

        Assert.That(CheckQueueFiles(_switchboard.Directory), Is.EqualTo("empty"));
        Assert.That(File.Exists(Path.Combine(_env.BadDirectory, filebase + ".psv")), Is.True);
        Assert.That(_env.Logs.Lines.Where(l => l.Level == LogLevel.Information).Select(l => l.Message), Has.Some.Contains("1 restored").And.Some.Contains("1 preserved"));
    }

    [Test]
    public async Task Unreadable_bak_is_preserved_with_the_decode_error()
    {
        Directory.CreateDirectory(_switchboard.Directory);
        string filebase = QueueFileName.Create([1], null, 1_700_000_000.5);
        File.WriteAllText(Path.Combine(_switchboard.Directory, filebase + ".bak"), "garbage");

        await _switchboard.RecoverAsync();

        Assert.That(CheckQueueFiles(_switchboard.Directory), Is.EqualTo("empty"));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(_env.BadDirectory, filebase + ".psv.reason")), Does.Contain("bad magic"));
    }

    [Test]
    public async Task Old_temp_files_are_quarantined_and_fresh_ones_left_alone()
    {
        Directory.CreateDirectory(_switchboard.Directory);
        string oldName = QueueFileName.Create([1], null, 1_700_000_000.5) + ".pck.tmp";
        string freshName = QueueFileName.Create([2], null, 1_700_000_000.5) + ".pck.tmp";
        string oldPath = Path.Combine(_switchboard.Directory, oldName);
        string freshPath = Path.Combine(_switchboard.Directory, freshName);
        File.WriteAllText(oldPath, "half written");
        File.WriteAllText(freshPath, "being written");
        File.SetLastWriteTimeUtc(oldPath, DateTime.UtcNow.AddMinutes(-5));
        File.SetLastWriteTimeUtc(freshPath, DateTime.UtcNow.AddSeconds(-10));

        await _switchboard.RecoverAsync();

        Assert.That(File.Exists(freshPath), Is.True);
        Assert.That(File.Exists(oldPath), Is.False);
        Assert.That(File.Exists(Path.Combine(_env.BadDirectory, oldName + ".psv")), Is.True);
        Assert.That(await File.ReadAllTextAsync(Path.Combine(_env.BadDirectory, oldName + ".psv.reason")), Does.Contain("abandoned temporary file"));
        Assert.That(_env.Logs.Lines.Single(l => l.Level == LogLevel.Information).Message, Does.Contain("1 abandoned temporary files quarantined"));
    }

    [Test]
    public async Task Recovery_only_touches_its_own_slice()
    {
        var writer = _env.Create("in", fsync: false);
        var filebases = new List<string>();
        for (int i = 0; i < 20; i++)
        {
            string filebase = await writer.EnqueueAsync(TestMessage($"m{i}"));
            await writer.DequeueAsync(filebase);
            filebases.Add(filebase);
        }

        using var slice0 = _env.Create("in", 0, 2);
        await slice0.RecoverAsync();

        var mine = filebases.Where(f => SliceMath.SliceOf(QueueFileName.Parse(f).Digest, 2) == 0).ToList();
        Assert.That(mine, Is.Not.Empty.And.Count.LessThan(20));
        Assert.That(writer.GetFiles().Order(StringComparer.Ordinal), Is.EqualTo(mine.Order(StringComparer.Ordinal)));
        Assert.That(writer.GetFiles(".bak"), Has.Count.EqualTo(20 - mine.Count));
    }

    [Test]
    public async Task Release_returns_the_bak_to_pck_with_identical_bytes()
    {
        string filebase = await _switchboard.EnqueueAsync(TestMessage());
        string pck = Path.Combine(_switchboard.Directory, filebase + ".pck");
        byte[] before = await File.ReadAllBytesAsync(pck);
        await _switchboard.DequeueAsync(filebase);
        Assert.That(File.Exists(pck), Is.False);

        await _switchboard.ReleaseAsync(filebase);

        Assert.That(await File.ReadAllBytesAsync(pck), Is.EqualTo(before));
        Assert.That(CheckQueueFiles(_switchboard.Directory), Is.EqualTo(".pck: 1"));
    }

    [Test]
    public async Task Release_of_a_missing_entry_logs_instead_of_throwing()
    {
        await _switchboard.ReleaseAsync("1.0+" + new string('b', 40));
        Assert.That(_env.Logs.Lines.Single().Level, Is.EqualTo(LogLevel.Error));
    }
}
