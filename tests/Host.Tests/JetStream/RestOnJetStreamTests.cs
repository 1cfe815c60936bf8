using System.Net;
using System.Text.Json;
using RunnerHost.Hosting.Tests.Rest;
using RunnerHost.Hosting.Tests.MailFlow;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.JetStream;

/// <summary>The REST API and the dashboard over queues in JetStream: inject, list, read, delete; readiness, inject and the dashboard say so while the server is away.</summary>
[NonParallelizable]
public sealed class RestOnJetStreamTests
{
    [Test]
    public async Task Entries_are_injected_listed_read_and_deleted_and_an_outage_is_503()
    {
        await using var server = await NatsServer.StartAsync();
        await using var rest = await RestHost.StartAsync(extraConfig: $"""
            [queues]
            backend: jetstream
            servers: {server.Url}
            prefix: r{Guid.NewGuid().ToString("N")[..12]}
            """);

        var injected = await rest.InjectAsync("in", "From: a@example.com\r\nSubject: over rest\r\n\r\nbody\r\n");
        Assert.That(injected.StatusCode, Is.EqualTo(HttpStatusCode.Created), await injected.Content.ReadAsStringAsync());
        string id = JsonDocument.Parse(await injected.Content.ReadAsStringAsync()).RootElement.GetProperty("filebase").GetString()!;

        var listing = await (await rest.GetAsync("/queues/in")).Content.ReadAsStringAsync();
        Assert.That(listing, Does.Contain(id));
        var read = await rest.GetAsync($"/queues/in/{id}");
        Assert.That(await read.Content.ReadAsStringAsync(), Does.Contain("over rest"));
        Assert.That((await rest.GetAsync("/health/ready")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        // The dashboard reads the same inspection surface: the queue and its depth, then the outage as a banner.
        string overview = await (await rest.GetAsync("/")).Content.ReadAsStringAsync();
        Assert.That(overview, Does.Match(@"<tr data-queue=""in""><td><a [^>]*>in</a></td><td class=""depth"">1</td>"), overview);

        await server.StopAsync();
        await ReadyIsAsync(rest, HttpStatusCode.ServiceUnavailable);
        string down = await (await rest.GetAsync("/")).Content.ReadAsStringAsync();
        Assert.That(down, Does.Contain("class=\"banner error\"").And.Contain("Queue in cannot be read: "), down);
        var ready = await (await rest.GetAsync("/health/ready")).Content.ReadAsStringAsync();
        Assert.That(ready, Does.Contain("unreachable").Or.Contain("lost"), ready);
        Assert.That(ready, Does.Contain("\"name\":\"queues\",\"status\":\"Unhealthy\""), "the failing check is named");
        var refused = await rest.InjectAsync("in", "From: a@example.com\r\nSubject: refused\r\n\r\nbody\r\n");
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "never 201 without the server's acknowledgement");
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("Cannot store now").And.Contain("queue back end"), "the reason is in the problem detail");

        await server.StartAgainAsync();
        await ReadyIsAsync(rest, HttpStatusCode.OK);
        using (var delete = RestHost.Request(HttpMethod.Delete, $"/queues/in/{id}"))
        {
            var deleted = await rest.Client.SendAsync(delete);
            Assert.That(deleted.IsSuccessStatusCode, Is.True, await deleted.Content.ReadAsStringAsync());
        }

        var after = await (await rest.GetAsync("/queues")).Content.ReadAsStringAsync();
        var inQueue = JsonDocument.Parse(after).RootElement.EnumerateArray().Single(q => q.GetProperty("name").GetString() == "in");
        Assert.That(inQueue.GetProperty("depth").GetInt32(), Is.Zero, "deleted, and the refused inject left nothing");
    }

    private static async Task ReadyIsAsync(RestHost rest, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode last;
        do
        {
            last = (await rest.GetAsync("/health/ready")).StatusCode;
            if (last == expected)
            {
                return;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"/health/ready stayed {last}, expected {expected}");
    }
}
