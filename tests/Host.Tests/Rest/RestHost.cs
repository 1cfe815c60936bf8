using System.Net.Http.Headers;
using RunnerHost.Hosting.Tests.MailFlow;

namespace RunnerHost.Hosting.Tests.Rest;

/// <summary>The rest runner, created from the deployed plugin and run in this process on a free loopback port, with an HttpClient aimed at it.</summary>
internal sealed class RestHost : IAsyncDisposable
{
    public const string Token = "test-token-0123456789abcdef";

    private RestHost(FlowHost flow, int port)
    {
        Flow = flow;
        Port = port;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public FlowHost Flow { get; }

    public int Port { get; }

    public HttpClient Client { get; }

    public string VarDir => Flow.Host.Services.Configuration.Paths.VarDir;

    /// <param name="token">The configured api_token; null leaves it unset (mutating calls refused).</param>
    /// <param name="extraRestSettings">More keys of [runner.rest].</param>
    /// <param name="extraConfig">More sections (e.g. [runner.master]), after [runner.rest].</param>
    public static async Task<RestHost> StartAsync(string? token = Token, string extraRestSettings = "", string extraConfig = "")
    {
        int port = FlowHost.FreePort();
        var flow = new FlowHost(FlowHost.FreePort(), extraConfig: $"""
            [runner.rest]
            class: RestRunner
            path:
            rest_port: {port}
            var_dir: $var_dir
            queue_dir: $queue_dir
            {(token is null ? string.Empty : $"api_token: {token}")}
            {extraRestSettings}

            {extraConfig}
            """);
        var host = new RestHost(flow, port);
        // The master creates var/ when it starts; this host has none yet.
        Directory.CreateDirectory(host.VarDir);
        await flow.StartAsync("rest");
        await FlowHost.Eventually(() => flow.Host.Logs.Messages().Any(m => m.Contains("REST API listening", StringComparison.Ordinal)), "REST API listening");
        return host;
    }

    public static HttpRequestMessage Request(HttpMethod method, string path, string? token = Token)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    /// <summary>A GET with the bearer token (null = none), since reading an entry needs it.</summary>
    public async Task<HttpResponseMessage> GetAsync(string path, string? token = Token)
    {
        using var request = Request(HttpMethod.Get, path, token);
        return await Client.SendAsync(request);
    }

    public async Task<HttpResponseMessage> InjectAsync(string queue, string message, string query = "?listid=two.example.com", string? token = Token, string contentType = "message/rfc822")
    {
        using var request = Request(HttpMethod.Post, $"/queues/{queue}{query}", token);
        request.Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(message));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return await Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Flow.DisposeAsync();
    }
}
