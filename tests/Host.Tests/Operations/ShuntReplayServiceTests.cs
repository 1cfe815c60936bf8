using RunnerHost.Hosting.Diagnostics;
using RunnerHost.Hosting.Operations;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Operations;

namespace RunnerHost.Hosting.Tests.Operations;

/// <summary>The host operations plugins get as services: <see cref="IShuntReplay"/> and <see cref="IMetricsExporter"/>.</summary>
public sealed class ShuntReplayServiceTests
{
    private TestHost _host = null!;

    [SetUp]
    public void SetUp() => _host = new TestHost("[runner.in]\nclass: Unused\n[runner.archive]\nclass: Unused\n");

    [TearDown]
    public void TearDown() => _host.Dispose();

    [Test]
    public async Task Replay_one_reports_the_new_queue_and_filebase_then_not_found()
    {
        await ShuntedEntries.AddAsync(_host, "one", whichq: "archive");
        string shunted = _host.Queue("shunt").GetFiles()[0];

        var outcome = await _host.Services.ShuntReplay.ReplayAsync(shunted);

        Assert.That(outcome.Status, Is.EqualTo(ShuntReplayStatus.Replayed), outcome.Problem);
        Assert.That(outcome.Queue, Is.EqualTo("archive"));
        Assert.That(_host.Queue("archive").GetFiles(), Is.EqualTo(new[] { outcome.NewFilebase }));
        Assert.That(File.ReadAllText(Path.Combine(_host.Services.Configuration.Paths.VarDir, "replayed.journal")), Does.StartWith($"{shunted} archive {outcome.NewFilebase} "));
        var again = await _host.Services.ShuntReplay.ReplayAsync(shunted);
        Assert.That((again.Status, again.Problem), Is.EqualTo((ShuntReplayStatus.NotFound, "no such entry in shunt")));
    }

    [Test]
    public async Task Replay_all_reports_each_entry_and_leaves_the_refused_ones_in_shunt()
    {
        await ShuntedEntries.AddAsync(_host, "ok");
        await ShuntedEntries.AddAsync(_host, "lost", whichq: "nowhere");
        await ShuntedEntries.AddAsync(_host, "twice");
        string twice = _host.Queue("shunt").GetFiles()[2];
        ReplayJournal.Open(_host.Services.Configuration.Paths.VarDir).Append(twice, "in", "1.0+" + new string('a', 40), DateTimeOffset.UnixEpoch);

        var outcomes = await _host.Services.ShuntReplay.ReplayAllAsync();

        Assert.That(outcomes.Select(o => o.Status), Is.EqualTo(new[] { ShuntReplayStatus.Replayed, ShuntReplayStatus.NoSuchQueue, ShuntReplayStatus.AlreadyReplayed }));
        Assert.That(outcomes[1].Problem, Does.StartWith("no such queue: nowhere"));
        Assert.That(outcomes[2].Problem, Does.StartWith("already replayed to in as 1.0+aaaa"));
        Assert.That(_host.Queue("shunt").GetFiles(), Has.Count.EqualTo(2));
        Assert.That(_host.Queue("in").GetFiles(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Metrics_are_the_queue_gauges_merged_with_the_prom_files()
    {
        await ShuntedEntries.AddAsync(_host, "one");
        string directory = MetricsFileWriter.DirectoryOf(_host.Services.Configuration.Paths.VarDir);
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "in-0.prom"), "# HELP runnerhost_messages_processed_total Processed.\n# TYPE runnerhost_messages_processed_total counter\nrunnerhost_messages_processed_total{runner=\"in\",slice=\"0\"} 7\n");

        string text = await _host.Services.Metrics.CollectAsync();

        Assert.That(text, Does.Contain("# TYPE runnerhost_queue_depth gauge\n"));
        Assert.That(text, Does.Contain("runnerhost_queue_depth{queue=\"shunt\"} 1\n"));
        Assert.That(text, Does.Contain("runnerhost_messages_processed_total{runner=\"in\",slice=\"0\"} 7\n"));
    }
}
