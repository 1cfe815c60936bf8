using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace RunnerHost.Hosting.Tests.Rest;

/// <summary>One answer of <c>/health/ready</c>: the status code, the body, and each check's status and description by name.</summary>
internal sealed record ReadyResponse(HttpStatusCode Code, string Body, IReadOnlyDictionary<string, (string Status, string Description)> Checks)
{
    public static async Task<ReadyResponse> GetAsync(HttpClient client, string url = "/health/ready")
    {
        var response = await client.GetAsync(url);
        string body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        var checks = document.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(
            c => c.GetProperty("name").GetString()!,
            c => (c.GetProperty("status").GetString()!, c.GetProperty("description").GetString() ?? string.Empty));
        return new ReadyResponse(response.StatusCode, body, checks);
    }

    /// <summary>Polls until the answer has the expected code, then returns it.</summary>
    public static Task<ReadyResponse> WaitForAsync(HttpClient client, HttpStatusCode expected, string url = "/health/ready") =>
        WaitForAsync(client, r => r.Code == expected, $"{expected}", url);

    /// <summary>Polls until the answer satisfies <paramref name="until"/> (the master's state settles within seconds), then returns it.</summary>
    public static async Task<ReadyResponse> WaitForAsync(HttpClient client, Func<ReadyResponse, bool> until, string what, string url = "/health/ready", double seconds = 60)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var last = await GetAsync(client, url);
            if (until(last))
            {
                return last;
            }

            if (clock.Elapsed.TotalSeconds > seconds)
            {
                Assert.Fail($"{url} was not {what} within {seconds} s; last {last.Code}: {last.Body}");
            }

            await Task.Delay(200);
        }
    }
}
