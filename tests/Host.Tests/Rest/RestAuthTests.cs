using System.Net;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Rest;

/// <summary>
/// Who may read what, over real HTTP: message content and metadata need the token from every peer;
/// summaries (counts, entry names, runners, metrics) are open to loopback peers only, unless
/// <c>allow_unauthenticated_remote</c>; health is open to all.
/// </summary>
[NonParallelizable]
public sealed class RestAuthTests
{
    private const string Secret = "The secret body of a private post.";
    private const string Message = $"From: anne@example.com\r\nTo: two@example.com\r\nSubject: private\r\nMessage-ID: <auth-1@example.com>\r\n\r\n{Secret}\r\n";

    private static readonly string[] Summaries = ["/queues", "/queues/in", "/queues/shunt", "/runners", "/metrics"];

    [Test]
    public async Task Reading_an_entry_needs_the_token_while_summaries_stay_open_on_loopback()
    {
        await using var rest = await RestHost.StartAsync();
        // A shunt entry carries an error record: metadata is as private as the message.
        string filebase = await rest.Flow.EnqueueAsync("shunt", Message, new MessageData { ListId = "two.example.com", WhichQueue = "in" });

        var anonymous = await rest.GetAsync($"/queues/shunt/{filebase}", token: null);
        await RestApiTests.AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized, "Unauthorized");
        Assert.That(anonymous.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
        Assert.That(await anonymous.Content.ReadAsStringAsync(), Does.Not.Contain(Secret).And.Not.Contain("two.example.com"));
        await RestApiTests.AssertProblemAsync(await rest.GetAsync($"/queues/shunt/{filebase}", token: "wrong-token-0123456789"), HttpStatusCode.Unauthorized, "Unauthorized");

        var read = await RestApiTests.ReadJsonAsync(await rest.GetAsync($"/queues/shunt/{filebase}"), HttpStatusCode.OK);
        Assert.That(read.GetProperty("message").GetString(), Does.Contain(Secret));
        Assert.That(read.GetProperty("metadata").GetProperty("whichq").GetString(), Is.EqualTo("in"));

        foreach (var path in Summaries.Append("/health/live").Append("/health/ready"))
        {
            var response = await rest.GetAsync(path, token: null);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{path}: {await response.Content.ReadAsStringAsync()}");
        }

        string listing = await (await rest.GetAsync("/queues/shunt", token: null)).Content.ReadAsStringAsync();
        Assert.That(listing, Does.Contain(filebase).And.Not.Contain(Secret));
    }

    [Test]
    public async Task From_a_non_loopback_peer_every_call_but_health_needs_the_token()
    {
        await using var rest = await RestHost.StartAsync();
        using var remote = RemoteClient(rest);
        string filebase = await rest.Flow.EnqueueAsync("in", Message, new MessageData { ListId = "two.example.com" });

        foreach (var path in Summaries.Append($"/queues/in/{filebase}"))
        {
            using (var anonymous = RestHost.Request(HttpMethod.Get, path, token: null))
            {
                await RestApiTests.AssertProblemAsync(await remote.SendAsync(anonymous), HttpStatusCode.Unauthorized, "Unauthorized");
            }

            using var authorized = RestHost.Request(HttpMethod.Get, path);
            var response = await remote.SendAsync(authorized);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{path}: {await response.Content.ReadAsStringAsync()}");
        }

        Assert.That((await remote.GetAsync("/health/live")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await remote.GetAsync("/health/ready")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Allow_unauthenticated_remote_opens_summaries_to_remote_peers_but_never_entry_content()
    {
        await using var rest = await RestHost.StartAsync(extraRestSettings: "allow_unauthenticated_remote: yes");
        using var remote = RemoteClient(rest);
        string filebase = await rest.Flow.EnqueueAsync("in", Message, new MessageData { ListId = "two.example.com" });

        foreach (var path in Summaries)
        {
            var response = await remote.GetAsync(path);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{path}: {await response.Content.ReadAsStringAsync()}");
        }

        var content = await remote.GetAsync($"/queues/in/{filebase}");
        await RestApiTests.AssertProblemAsync(content, HttpStatusCode.Unauthorized, "Unauthorized");
        Assert.That(await content.Content.ReadAsStringAsync(), Does.Not.Contain(Secret));
        using var authorized = RestHost.Request(HttpMethod.Get, $"/queues/in/{filebase}");
        Assert.That((await remote.SendAsync(authorized)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    private static HttpClient RemoteClient(RestHost rest)
    {
        var source = RemotePeer.FindSourceAddress(rest.Port);
        if (source is null)
        {
            Assert.Ignore("this machine has no non-loopback IPv4 address that can reach 127.0.0.1");
        }

        return RemotePeer.Client(source!, rest.Port);
    }
}
