using System.Net;
using RunnerHost.Hosting.Tests.Dashboard;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Rest;

/// <summary><c>/health/ready</c> of the rest runner under <c>runner-host start</c>: every slice running and the queue back end answering, over real HTTP.</summary>
[NonParallelizable]
public sealed class ReadinessUnderMasterTests
{
    [Test]
    public async Task Ready_is_200_when_every_slice_runs_and_live_runs_no_check()
    {
        await using var host = await DashboardHost.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(host.Url("/")), Timeout = TimeSpan.FromSeconds(30) };

        var ready = await ReadyResponse.WaitForAsync(http, HttpStatusCode.OK);
        Assert.That(ready.Body, Does.Contain("\"status\":\"ready\""));
        Assert.That(ready.Checks.Keys, Is.EquivalentTo(new[] { "var_dir", "queues", "slices" }));
        Assert.That(ready.Checks.Values.Select(c => c.Status), Has.All.EqualTo("Healthy"), ready.Body);
        // The rest runner and the flaky runner: two slices the master started.
        Assert.That(ready.Checks["slices"].Description, Is.EqualTo("all 2 slices running"));

        var live = await ReadyResponse.GetAsync(http, "/health/live");
        Assert.That(live.Code, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(live.Body, Does.Contain("\"status\":\"live\""));
        Assert.That(live.Checks, Is.Empty);
    }

    [Test]
    public async Task Ready_is_503_naming_the_slices_check_while_a_slice_has_failed()
    {
        // Crashes at every start; with one restart allowed it ends failed, which the master never restarts.
        await using var host = await DashboardHost.StartAsync("""
            [runner.crasher]
            class: SupervisionPlugin.CrashingRunner
            max_restarts: 1
            restart_backoff: 0.1s
            """);
        using var http = new HttpClient { BaseAddress = new Uri(host.Url("/")), Timeout = TimeSpan.FromSeconds(30) };

        // Failed is final (the master never restarts it), so the answer no longer changes.
        var ready = await ReadyResponse.WaitForAsync(http, r => r.Checks["slices"].Description.EndsWith("crasher 0/1 failed", StringComparison.Ordinal), "crasher 0/1 failed");
        Assert.That(ready.Code, Is.EqualTo(HttpStatusCode.ServiceUnavailable), ready.Body);
        Assert.That(ready.Checks["slices"], Is.EqualTo(("Unhealthy", "slices not running: crasher 0/1 failed")), ready.Body);
        Assert.That(ready.Checks["queues"].Status, Is.EqualTo("Healthy"), "only the failing check is unhealthy");
        Assert.That(ready.Checks["var_dir"].Status, Is.EqualTo("Healthy"));
        Assert.That(ready.Body, Does.Contain("\"detail\":\"slices: slices not running: crasher 0/1 failed\""));
        await RestApiTests.AssertProblemAsync(await http.GetAsync("/health/ready"), HttpStatusCode.ServiceUnavailable, "Not ready");
        Assert.That((await http.GetAsync("/health/live")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Ready_is_503_naming_the_queues_check_while_the_queue_back_end_is_unreachable()
    {
        await using var server = await NatsServer.StartAsync();
        await using var host = await DashboardHost.StartAsync($"""
            [queues]
            backend: jetstream
            servers: {server.Url}
            prefix: r{Guid.NewGuid().ToString("N")[..12]}
            """);
        using var http = new HttpClient { BaseAddress = new Uri(host.Url("/")), Timeout = TimeSpan.FromSeconds(30) };
        await ReadyResponse.WaitForAsync(http, HttpStatusCode.OK);

        await server.StopAsync();
        var ready = await ReadyResponse.WaitForAsync(http, HttpStatusCode.ServiceUnavailable);
        Assert.That(ready.Checks["queues"].Status, Is.EqualTo("Unhealthy"), ready.Body);
        Assert.That(ready.Checks["queues"].Description, Does.StartWith("queue "), ready.Body);
        Assert.That(ready.Checks["queues"].Description, Does.Contain("unreachable").Or.Contain("lost"), ready.Body);
        Assert.That(ready.Body, Does.Contain("\"detail\":\"queues: queue "));
    }
}
