using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RunnerHost.Hosting.Tests.MailFlow;

namespace RunnerHost.Hosting.Tests.Rest;

/// <summary>
/// One message size limit, <c>max_message_size</c> (set once in <c>[runner.master]</c>), for LMTP and
/// the REST inject alike: over it LMTP answers 552 and REST 413 with a problem body naming the limit,
/// whether the body has a Content-Length or is chunked, and however far over it is.
/// </summary>
[NonParallelizable]
public sealed class MessageSizeLimitTests
{
    [Test]
    public async Task A_50_MB_inject_is_413_with_a_problem_naming_the_built_in_limit()
    {
        await using var rest = await RestHost.StartAsync();
        byte[] big = Message(50 * 1024 * 1024);
        // 'Expect: 100-continue', as curl sends for large bodies: the 413 comes before the body is sent.
        var response = await PostAsync(rest, big, chunked: false, expectContinue: true);

        await RestApiTests.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "Message too large");
        string detail = Detail(await response.Content.ReadAsStringAsync());
        Assert.That(detail, Does.Contain("max_message_size").And.Contain("10485760"));

        // curl without Expect sends the whole body; it gets the 413 all the same.
        string file = Path.Combine(rest.Flow.Host.Root, "big.eml");
        await File.WriteAllBytesAsync(file, big);
        var (exit, output) = await Peers.CurlAsync(
            "-sS", "-w", "\nstatus %{http_code}\n", "-X", "POST", "-H", "Expect:", "-H", $"Authorization: Bearer {RestHost.Token}",
            "-H", "Content-Type: message/rfc822", "--data-binary", "@" + file, $"http://127.0.0.1:{rest.Port}/queues/in?listid=two.example.com");
        Assert.That(exit, Is.Zero, output);
        Assert.That(output, Does.Contain("status 413").And.Contain("\"title\":\"Message too large\"").And.Contain("max_message_size is 10485760 octets"));
        Assert.That(rest.Flow.Count("in"), Is.Zero);

        // The connection is still usable afterwards, and a normal inject works.
        var small = await PostAsync(rest, Message(2000), chunked: false);
        Assert.That(small.StatusCode, Is.EqualTo(HttpStatusCode.Created), await small.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task One_limit_in_runner_master_applies_to_LMTP_and_to_REST_inject_alike()
    {
        const int limit = 20000;
        await using var rest = await RestHost.StartAsync(extraConfig: $"[runner.master]\nmax_message_size: {limit}");
        await rest.Flow.StartLmtpAsync();

        // REST: exactly the limit is accepted; one octet more is refused, with or without Content-Length.
        var atLimit = await PostAsync(rest, Message(limit), chunked: false);
        Assert.That(atLimit.StatusCode, Is.EqualTo(HttpStatusCode.Created), await atLimit.Content.ReadAsStringAsync());
        foreach (bool chunked in new[] { false, true })
        {
            var over = await PostAsync(rest, Message(limit + 1), chunked);
            await RestApiTests.AssertProblemAsync(over, HttpStatusCode.RequestEntityTooLarge, "Message too large");
            Assert.That(Detail(await over.Content.ReadAsStringAsync()), Does.Contain($"max_message_size is {limit} octets"), $"chunked: {chunked}");
        }

        Assert.That(rest.Flow.Count("in"), Is.EqualTo(1), "only the message at the limit was queued");

        // LMTP, from the same configuration: advertised, refused by SIZE=, refused after DATA, accepted at the limit.
        await using var lmtp = await RawLmtp.ConnectAsync(rest.Flow.LmtpPort);
        Assert.That(await lmtp.ReadReplyAsync(), Does.StartWith("220"));
        Assert.That(await lmtp.CommandAsync("LHLO client.test"), Does.EndWith($"250 SIZE {limit}"));
        Assert.That(await lmtp.CommandAsync($"MAIL FROM:<anne@example.com> SIZE={limit + 1}"), Does.StartWith("552 5.3.4"));
        Assert.That(await SendDataAsync(lmtp, Message(limit + 1)), Does.StartWith("552 5.3.4"));
        Assert.That(await SendDataAsync(lmtp, Message(limit)), Does.StartWith("250 2.0.0"));
        Assert.That(rest.Flow.Count("in"), Is.EqualTo(2));
    }

    private static async Task<string?> SendDataAsync(RawLmtp lmtp, byte[] message)
    {
        Assert.That(await lmtp.CommandAsync("MAIL FROM:<anne@example.com>"), Does.StartWith("250"));
        Assert.That(await lmtp.CommandAsync("RCPT TO:<two@example.com>"), Does.StartWith("250"));
        Assert.That(await lmtp.CommandAsync("DATA"), Does.StartWith("354"));
        await lmtp.SendAsync(message);
        await lmtp.SendAsync(".\r\n");
        return await lmtp.ReadReplyAsync();
    }

    private static async Task<HttpResponseMessage> PostAsync(RestHost rest, byte[] message, bool chunked, bool expectContinue = false)
    {
        using var request = RestHost.Request(HttpMethod.Post, "/queues/in?listid=two.example.com");
        request.Content = new ByteArrayContent(message);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
        }

        request.Headers.ExpectContinue = expectContinue;

        var response = await rest.Client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    /// <summary>A message of exactly <paramref name="size"/> octets, CRLF line ends, no line starting with a dot.</summary>
    internal static byte[] Message(int size)
    {
        var text = new StringBuilder("From: anne@example.com\r\nTo: two@example.com\r\nSubject: sized\r\n\r\n");
        const int line = 78;
        while (size - text.Length > line + 2)
        {
            text.Append('x', line).Append("\r\n");
        }

        int rest = size - text.Length - 2;
        text.Append('y', Math.Max(rest, 1)).Append("\r\n");
        byte[] bytes = Encoding.ASCII.GetBytes(text.ToString());
        Assert.That(bytes, Has.Length.EqualTo(size));
        return bytes;
    }

    private static string Detail(string problem)
    {
        using var document = JsonDocument.Parse(problem);
        return document.RootElement.GetProperty("detail").GetString()!;
    }
}
