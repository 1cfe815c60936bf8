using System.Net;
using RunnerHost.Hosting.Tests.MailFlow;

namespace RunnerHost.Hosting.Tests.Rest;

/// <summary>Without <c>api_token</c> the API serves summaries only: every mutating call and every entry read is 403 with a problem detail that says how to enable it.</summary>
[NonParallelizable]
public sealed class RestWithoutTokenTests
{
    [Test]
    public async Task Mutating_calls_are_403_and_reads_work()
    {
        await using var rest = await RestHost.StartAsync(token: null);
        var inject = await rest.InjectAsync("in", "From: a@example.com\r\n\r\nx\r\n");
        await RestApiTests.AssertProblemAsync(inject, HttpStatusCode.Forbidden, "Mutating calls are disabled");
        Assert.That(await inject.Content.ReadAsStringAsync(), Does.Contain("api_token"));
        using (var delete = RestHost.Request(HttpMethod.Delete, $"/queues/in/1700000000.0+{new string('a', 40)}"))
        {
            await RestApiTests.AssertProblemAsync(await rest.Client.SendAsync(delete), HttpStatusCode.Forbidden, "Mutating calls are disabled");
        }

        using (var unshunt = RestHost.Request(HttpMethod.Post, "/shunt/unshunt"))
        {
            await RestApiTests.AssertProblemAsync(await rest.Client.SendAsync(unshunt), HttpStatusCode.Forbidden, "Mutating calls are disabled");
        }

        Assert.That((await rest.Client.GetAsync("/queues")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(rest.Flow.Count("in"), Is.Zero);
    }

    [Test]
    public async Task Entry_content_is_403_saying_api_token_is_not_set_and_summaries_still_work()
    {
        await using var rest = await RestHost.StartAsync(token: null);
        const string secret = "Nobody may read this without a token.";
        string filebase = await rest.Flow.EnqueueAsync("in", $"From: a@example.com\r\nSubject: private\r\n\r\n{secret}\r\n", new RunnerHost.Messages.MessageData { ListId = "two.example.com" });

        foreach (var token in new[] { null, RestHost.Token })
        {
            var read = await rest.GetAsync($"/queues/in/{filebase}", token);
            await RestApiTests.AssertProblemAsync(read, HttpStatusCode.Forbidden, "Reading entries is disabled");
            string body = await read.Content.ReadAsStringAsync();
            Assert.That(body, Does.Contain("api_token is not set").And.Not.Contain(secret));
        }

        var listing = await rest.GetAsync("/queues/in", token: null);
        Assert.That(listing.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await listing.Content.ReadAsStringAsync(), Does.Contain(filebase));
    }

    [Test]
    public async Task A_short_token_is_a_configuration_error_naming_the_key()
    {
        await using var flow = new FlowHost(FlowHost.FreePort(), extraConfig: $"""
            [runner.rest]
            class: RestRunner
            path:
            rest_port: {FlowHost.FreePort()}
            var_dir: $var_dir
            api_token: short
            """);
        var error = await Assert.ThrowsAsync<RunnerHost.Configuration.ConfigurationValueException>(() => flow.RunOnceAsync("rest"));
        Assert.That(error!.Message, Does.Contain("[runner.rest] api_token: must be at least 16 characters"));
    }
}
