using System.Diagnostics;
using System.Net;

namespace RunnerHost.Hosting.Tests.Rest;

/// <summary>
/// <c>/health/ready</c> of the rest runner over real HTTP against whatever <c>master.status.json</c> holds:
/// without a live master it runs standalone and only var_dir and the queues decide; with one, every slice must run.
/// </summary>
[NonParallelizable]
public sealed class ReadinessStandaloneTests
{
    private RestHost _rest = null!;

    private string StatusFile => Path.Combine(_rest.VarDir, "master.status.json");

    [SetUp]
    public async Task SetUp() => _rest = await RestHost.StartAsync();

    [TearDown]
    public async Task TearDown() => await _rest.DisposeAsync();

    [TestCase(null)]
    [TestCase("{\"masterPid\":")]
    [TestCase("[1,2,3]")]
    [TestCase("{\"masterPid\":\"12\",\"slices\":7}")]
    [TestCase("{\"masterPid\":-1,\"slices\":[]}")]
    [TestCase("{\"masterPid\":99999999999,\"slices\":[]}")]
    public async Task Without_a_live_master_ready_is_200_and_says_it_runs_standalone(string? statusFile)
    {
        if (statusFile is not null)
        {
            await File.WriteAllTextAsync(StatusFile, statusFile);
        }

        var ready = await ReadyResponse.GetAsync(_rest.Client);
        Assert.That(ready.Code, Is.EqualTo(HttpStatusCode.OK), ready.Body);
        Assert.That(ready.Checks["slices"].Status, Is.EqualTo("Healthy"));
        Assert.That(ready.Checks["slices"].Description, Does.Contain("standalone").And.Contain("only the queue back end decides"));
    }

    [Test]
    public async Task A_status_file_left_by_a_dead_master_counts_as_standalone()
    {
        using var exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await exited.WaitForExitAsync();
        await WriteStatusAsync(exited.Id, DateTimeOffset.UtcNow, ("in", "backoff"));

        var ready = await ReadyResponse.GetAsync(_rest.Client);
        Assert.That(ready.Code, Is.EqualTo(HttpStatusCode.OK), ready.Body);
        Assert.That(ready.Checks["slices"].Description, Does.Contain("standalone"));
    }

    [Test]
    public async Task With_a_live_master_ready_needs_every_slice_running()
    {
        // A status file naming a live process (this one) counts as a running master.
        await WriteStatusAsync(Environment.ProcessId, DateTimeOffset.UtcNow, ("in", "running"), ("out", "backoff"), ("rest", "starting"));
        var notReady = await ReadyResponse.GetAsync(_rest.Client);
        Assert.That(notReady.Code, Is.EqualTo(HttpStatusCode.ServiceUnavailable), notReady.Body);
        Assert.That(notReady.Checks["slices"], Is.EqualTo(("Unhealthy", "slices not running: out 0/1 backoff, rest 0/1 starting")));
        Assert.That(notReady.Checks["queues"].Status, Is.EqualTo("Healthy"));
        await RestApiTests.AssertProblemAsync(await _rest.Client.GetAsync("/health/ready"), HttpStatusCode.ServiceUnavailable, "Not ready");

        await WriteStatusAsync(Environment.ProcessId, DateTimeOffset.UtcNow, ("in", "running"), ("out", "running"), ("rest", "running"));
        var ready = await ReadyResponse.GetAsync(_rest.Client);
        Assert.That(ready.Code, Is.EqualTo(HttpStatusCode.OK), ready.Body);
        Assert.That(ready.Checks["slices"], Is.EqualTo(("Healthy", "all 3 slices running")));
    }

    [Test]
    public async Task A_live_master_whose_status_is_stale_or_lists_no_slice_is_not_ready()
    {
        await WriteStatusAsync(Environment.ProcessId, DateTimeOffset.UtcNow.AddMinutes(-10), ("in", "running"));
        var stale = await ReadyResponse.GetAsync(_rest.Client);
        Assert.That(stale.Code, Is.EqualTo(HttpStatusCode.ServiceUnavailable), stale.Body);
        Assert.That(stale.Checks["slices"].Description, Does.Contain("stale"));

        await WriteStatusAsync(Environment.ProcessId, DateTimeOffset.UtcNow);
        var empty = await ReadyResponse.GetAsync(_rest.Client);
        Assert.That(empty.Code, Is.EqualTo(HttpStatusCode.ServiceUnavailable), empty.Body);
        Assert.That(empty.Checks["slices"].Description, Does.Contain("lists no slices"));
    }

    private async Task WriteStatusAsync(int pid, DateTimeOffset updatedAt, params (string Runner, string State)[] slices)
    {
        string array = string.Join(",", slices.Select(s => $$"""{"runner":"{{s.Runner}}","slice":0,"count":1,"isolation":"process","state":"{{s.State}}"}"""));
        await File.WriteAllTextAsync(StatusFile, $$"""{"masterPid":{{pid}},"updatedAt":"{{updatedAt:O}}","stopping":false,"slices":[{{array}}]}""");
    }
}
