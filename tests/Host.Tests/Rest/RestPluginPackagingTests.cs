using System.Net;
using RunnerHost.Hosting.Tests.MailFlow;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Rest;

/// <summary>ASP.NET Core comes from the host's shared framework: the plugin folder ships none of it, and the plugin runs in a real <c>runner-host runner</c> process.</summary>
[NonParallelizable]
public sealed class RestPluginPackagingTests
{
    private static string PluginDir => Path.Combine(AppContext.BaseDirectory, "plugins", "Rest");

    [Test]
    public void The_plugin_folder_ships_no_ASP_NET_Core_assemblies()
    {
        Assert.That(File.Exists(Path.Combine(PluginDir, "Rest.dll")));
        var files = Directory.GetFiles(PluginDir).Select(Path.GetFileName).ToList();
        Assert.That(files, Has.None.StartsWith("Microsoft.AspNetCore").And.None.StartsWith("Microsoft.Extensions").And.None.StartsWith("RunnerHost.Abstractions"), string.Join(", ", files));
        Assert.That(File.ReadAllText(Path.Combine(PluginDir, "Rest.deps.json")), Does.Not.Contain("Microsoft.AspNetCore."));
    }

    [Test]
    public void The_host_runs_with_the_ASP_NET_Core_shared_framework()
    {
        string runtimeConfig = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "runner-host.runtimeconfig.json"));
        Assert.That(runtimeConfig, Does.Contain("\"Microsoft.AspNetCore.App\""));
    }

    [Test]
    public async Task The_plugin_loads_and_serves_in_a_runner_process()
    {
        string root = Path.Combine(Path.GetTempPath(), "runnerhost-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        int port = FlowHost.FreePort();
        string config = Path.Combine(root, "runner-host.cfg");
        await File.WriteAllTextAsync(config, $"""
            [paths]
            var_dir: {Path.Combine(root, "var")}

            [runner.rest]
            class: RestRunner
            path:
            rest_port: {port}
            var_dir: $var_dir
            """);
        using var process = HostProcess.Start(root, "runner", "--runner", "rest", "-C", config);
        try
        {
            await process.WaitForStderrAsync("REST API listening on http://127.0.0.1:" + port, TimeSpan.FromSeconds(60));
            using var client = new HttpClient();
            var live = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/health/live"));
            Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(process.Stderr, Does.Contain("Plugin Rest 1.0.0: 1 runner types"));
        }
        finally
        {
            process.Signal(15);
            await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }
}
