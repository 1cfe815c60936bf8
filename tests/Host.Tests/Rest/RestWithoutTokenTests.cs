using System.Net;
using RunnerHost.Host.Tests.MailFlow;

namespace RunnerHost.Host.Tests.Rest;

/// <summary>Without <c>api_token</c> the API is read-only: every mutating call is 403 with a problem detail that says how to enable it.</summary>
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
