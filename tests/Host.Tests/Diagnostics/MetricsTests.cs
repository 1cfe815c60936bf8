using System.Diagnostics.Metrics;
using RunnerHost.Hosting.Diagnostics;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Diagnostics;

public sealed class MetricsTests
{
    [Test]
    public async Task Counters_reach_the_prometheus_text()
    {
        using var meter = new Meter("RunnerHost.Test");
        var counter = meter.CreateCounter<long>("things");
        using var export = new PrometheusExport("RunnerHost.Test");
        counter.Add(2, new KeyValuePair<string, object?>("runner", "in"));

        string text = await export.CollectAsync(CancellationToken.None);

        Assert.That(text, Does.Contain("things_total{runner=\"in\"} 2"));
    }

    [Test]
    public async Task The_metrics_command_prints_queue_gauges_and_the_counters_runners_left()
    {
        using var host = new TestHost("[runner.archive]\nclass: MaildirArchiveRunner\n");
        await HostProcess.RunAsync(host.Root, "From: a@example.com\nSubject: m\n\nb\n", "inject", "-C", host.ConfigFile, "-q", "archive", "test@example.com");
        await HostProcess.RunAsync(host.Root, "From: a@example.com\nSubject: m\n\nb\n", "inject", "-C", host.ConfigFile, "-q", "shunt", "test@example.com");
        var run = await HostProcess.RunAsync(host.Root, null, "runner", "-C", host.ConfigFile, "--runner", "archive", "--once");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());

        var result = await HostProcess.RunAsync(host.Root, null, "metrics", "-C", host.ConfigFile);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Stdout, Does.Contain("runnerhost_queue_depth{queue=\"shunt\"} 2\n"), "the injected one and the one the runner shunted (no maildir configured)");
            Assert.That(result.Stdout, Does.Contain("runnerhost_queue_depth{queue=\"archive\"} 0\n"));
            Assert.That(result.Stdout, Does.Contain("# TYPE runnerhost_messages_shunted_total counter\n"));
            Assert.That(result.Stdout, Does.Contain("runnerhost_messages_shunted_total{runner=\"archive\",slice=\"0/1\"} 1\n"));
            Assert.That(result.Stdout, Does.Contain("runnerhost_dispose_duration_seconds_count{runner=\"archive\",slice=\"0/1\"} 1\n"));
            Assert.That(result.Stdout.Split('\n').Count(l => l.StartsWith("# TYPE runnerhost_queue_depth ", StringComparison.Ordinal)), Is.EqualTo(1));
        }
    }

    [Test]
    public void Merging_keeps_one_help_and_type_per_family()
    {
        string merged = PrometheusText.Merge([
            "# HELP a_total A.\n# TYPE a_total counter\na_total{slice=\"0/2\"} 1\n",
            "# HELP a_total A.\n# TYPE a_total counter\na_total{slice=\"1/2\"} 2\n",
        ]);

        Assert.That(merged, Is.EqualTo("# HELP a_total A.\n# TYPE a_total counter\na_total{slice=\"0/2\"} 1\na_total{slice=\"1/2\"} 2\n"));
    }
}
