using RunnerHost.Testing;

namespace MyRunner.Tests;

public sealed class MyRunnerServiceTests
{
    private const string Section = """
        [runner.myrunner]
        class: MyRunner.MyRunnerService
        path:
        watch_queue: in
        sleep_time: 0.1s
        [runner.in]
        class: none
        """;

    [Test]
    public async Task The_service_reports_the_depth_of_its_queue()
    {
        await using var host = new RunnerTestHost(Section);
        await host.EnqueueAsync("in", "From: anne@example.com\nTo: test@example.com\nSubject: Hello\n\nHi.\n");

        await using (var service = await host.StartAsync<MyRunnerService>("myrunner"))
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (!host.Logs.Any(l => l.Message.Contains("queue in holds 1 entries.")) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }

        Assert.That(host.Logs.Select(l => l.Message), Has.Some.EndsWith("queue in holds 1 entries."));
        Assert.That(host.Logs.Select(l => l.Message), Has.Some.EndsWith("stopped watching."));
    }
}
