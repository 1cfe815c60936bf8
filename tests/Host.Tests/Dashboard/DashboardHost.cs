using RunnerHost.Hosting.Tests.MailFlow;
using RunnerHost.Hosting.Tests.Plugins;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Dashboard;

/// <summary>
/// A real <c>runner-host start</c> with the rest runner (the dashboard) on a free loopback port, the
/// out-of-tree DashboardPlugin's <c>flaky</c> runner (it fails a message once, then handles it when it
/// comes back from shunt), and whatever else a test adds, in a temporary directory.
/// </summary>
internal sealed class DashboardHost : IAsyncDisposable
{
    public const string Token = "dashboard-test-token-0123456789";

    private readonly RunningHost _master;

    private DashboardHost(string root, string config, int port, RunningHost master)
    {
        Root = root;
        Config = config;
        Port = port;
        _master = master;
    }

    public string Root { get; }

    public string Config { get; }

    public int Port { get; }

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    public string Stderr => _master.Stderr;

    public static async Task<DashboardHost> StartAsync(string extraConfig = "", int flakyInstances = 1)
    {
        string root = TestDirectories.CreateTemp("dashboard");
        string plugins = await TestPluginBuilder.CreatePluginDirectoryAsync(Path.Combine(root, "plugins-parent"), "DashboardPlugin", "SupervisionPlugin");
        // The dashboard is the rest runner as the host ships it.
        TestPluginBuilder.CopyOver(Path.Combine(AppContext.BaseDirectory, "plugins", "Rest"), Path.Combine(plugins, "Rest"));
        int port = FlowHost.FreePort();
        string config = Path.Combine(root, "runner-host.cfg");
        await File.WriteAllTextAsync(config, $"""
            [paths]
            var_dir: {Path.Combine(root, "var")}
            plugin_dir: {plugins}

            [list.test]
            posting_address: test@example.com

            [runner.rest]
            class: RestRunner
            path:
            rest_host: 127.0.0.1
            rest_port: {port}
            var_dir: $var_dir
            queue_dir: $queue_dir
            api_token: {Token}

            [runner.flaky]
            class: FirstAttemptFailsRunner
            instances: {flakyInstances}
            sleep_time: 0.1s

            {extraConfig}
            """);
        var master = HostProcess.Start(root, "start", "-C", config);
        var host = new DashboardHost(root, config, port, master);
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                if ((await http.GetAsync(host.Url("/health/live"))).IsSuccessStatusCode)
                {
                    return host;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline || master.HasExited)
            {
                await host.DisposeAsync();
                Assert.Fail($"the dashboard did not come up on port {port}:\n{master.Stderr}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Injects a message with <c>runner-host inject</c>, as an operator would.</summary>
    public async Task InjectAsync(string queue, string message, params string[] metadata)
    {
        string file = Path.Combine(Root, $"message-{Guid.NewGuid():N}.eml");
        await File.WriteAllTextAsync(file, message);
        var arguments = new List<string> { "inject", "-q", queue, "-f", file, "-C", Config };
        foreach (string pair in metadata)
        {
            arguments.AddRange(["-m", pair]);
        }

        arguments.Add("test@example.com");
        var result = await HostProcess.RunAsync(Root, null, [.. arguments]);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await HostProcess.RunAsync(Root, null, "stop", "-C", Config);
        _master.Dispose();
        TestDirectories.DeleteQuietly(Root);
    }
}
