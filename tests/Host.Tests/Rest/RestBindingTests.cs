using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Hosting.Tests.MailFlow;
using RunnerHost.Hosting.Tests.Plugins;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Rest;

/// <summary>
/// A REST API bound beyond loopback without <c>api_token</c> refuses to start with one line naming
/// the keys, under <c>runner-host start</c> and as a lone runner; <c>allow_unauthenticated_remote</c>
/// lets it start with a warning. No test binds a server beyond loopback: the refusals happen before
/// the bind, and the opt-in case uses a documentation address (RFC 5737) that is not on this machine.
/// </summary>
[NonParallelizable]
public sealed class RestBindingTests
{
    private string _root = null!;

    [SetUp]
    public void SetUp()
    {
        _root = TestDirectories.CreateTemp("rest-binding");
    }

    [TearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(_root);

    [Test]
    public async Task Under_the_master_a_rest_host_of_0_0_0_0_without_api_token_refuses_to_start_with_one_line()
    {
        int port = FlowHost.FreePort();
        string config = await WriteConfigAsync("0.0.0.0", port);
        using var master = HostProcess.Start(_root, "start", "-C", config);
        try
        {
            await master.WaitForStderrAsync("is not a loopback address", TimeSpan.FromSeconds(90));
            var slice = await WaitForRestSliceAsync(config, s => s.GetProperty("state").GetString() == "failed");
            Assert.That(slice.GetProperty("failureReason").GetString(), Does.Contain("cannot start"), slice.ToString());

            string line = master.Stderr.Split('\n').First(l => l.Contains("is not a loopback address", StringComparison.Ordinal));
            Assert.That(line, Does.Contain($"{config}:"), "names the file and line");
            Assert.That(line, Does.Contain("[runner.rest] rest_host: '0.0.0.0' is not a loopback address and api_token is not set"));
            Assert.That(line, Does.Contain("allow_unauthenticated_remote: yes"), "names the opt-in");
            Assert.That(Listening(IPAddress.Loopback, port), Is.False, "nothing listens on the port");
            Assert.That(master.Stderr, Does.Not.Contain("REST API listening"));
        }
        finally
        {
            var stop = await HostProcess.RunAsync(_root, null, "stop", "-C", config);
            Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
        }
    }

    [TestCase("::")]
    [TestCase("192.0.2.10")]
    public async Task A_lone_runner_on_a_non_loopback_address_without_api_token_exits_3_with_one_line(string host)
    {
        int port = FlowHost.FreePort();
        string config = await WriteConfigAsync(host, port);

        var result = await HostProcess.RunAsync(_root, null, "runner", "--runner", "rest", "-C", config);

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        var lines = result.Stderr.Split('\n').Where(l => l.StartsWith("Configuration error:", StringComparison.Ordinal)).ToList();
        Assert.That(lines, Has.Count.EqualTo(1), result.ToString());
        Assert.That(lines[0], Does.Contain($"[runner.rest] rest_host: '{host}' is not a loopback address and api_token is not set"));
    }

    [Test]
    public async Task Loopback_addresses_need_no_token()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Ignore("no IPv6 on this machine");
        }

        int port = FlowHost.FreePort();
        string config = await WriteConfigAsync("::1", port);
        using var runner = HostProcess.Start(_root, "runner", "--runner", "rest", "-C", config);
        try
        {
            await runner.WaitForStderrAsync("REST API listening on http://[::1]:" + port, TimeSpan.FromSeconds(60));
            Assert.That(runner.Stderr, Does.Not.Contain("allow_unauthenticated_remote"));
        }
        finally
        {
            runner.Signal(15);
            await runner.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Test]
    public async Task Allow_unauthenticated_remote_lets_it_start_with_a_warning()
    {
        // 192.0.2.10 (TEST-NET-1) is not on this machine: the bind fails after the check, so nothing listens beyond loopback.
        Assert.That(Dns.GetHostAddresses(Dns.GetHostName()), Has.None.EqualTo(IPAddress.Parse("192.0.2.10")), "the documentation address must not be local");
        await using var flow = new FlowHost(FlowHost.FreePort(), extraConfig: $"""
            [runner.rest]
            class: RestRunner
            path:
            rest_host: 192.0.2.10
            rest_port: {FlowHost.FreePort()}
            var_dir: $var_dir
            allow_unauthenticated_remote: yes
            """);
        Directory.CreateDirectory(flow.Host.Services.Configuration.Paths.VarDir);

        Exception? error = null;
        try
        {
            await flow.RunOnceAsync("rest");
        }
        catch (Exception ex)
        {
            error = ex;
        }

        Assert.That(error, Is.Not.InstanceOf<ConfigurationValueException>(), "the check passed; only the bind failed");
        var warning = flow.Host.Logs.Lines.Where(l => l.Level == LogLevel.Warning && l.Message.Contains("allow_unauthenticated_remote", StringComparison.Ordinal)).ToList();
        Assert.That(warning, Has.Count.EqualTo(1), string.Join("\n", flow.Host.Logs.Messages()));
        Assert.That(warning[0].Message, Does.Contain("192.0.2.10").And.Contain("without api_token"));
    }

    private async Task<string> WriteConfigAsync(string host, int port)
    {
        string config = Path.Combine(_root, "runner-host.cfg");
        await File.WriteAllTextAsync(config, $"""
            [paths]
            var_dir: {Path.Combine(_root, "var")}

            [runner.rest]
            class: RestRunner
            path:
            rest_host: {host}
            rest_port: {port}
            var_dir: $var_dir
            """);
        return config;
    }

    private async Task<JsonElement> WaitForRestSliceAsync(string config, Func<JsonElement, bool> condition)
    {
        var clock = Stopwatch.StartNew();
        string last = string.Empty;
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var result = await HostProcess.RunAsync(_root, null, "status", "--json", "-C", config);
            last = result.ToString();
            if (result.Stdout.TrimStart().StartsWith('{'))
            {
                using var document = JsonDocument.Parse(result.Stdout);
                if (document.RootElement.TryGetProperty("slices", out var slices)
                    && slices.EnumerateArray().FirstOrDefault(s => s.GetProperty("runner").GetString() == "rest") is { ValueKind: JsonValueKind.Object } slice
                    && condition(slice))
                {
                    return slice.Clone();
                }
            }

            await Task.Delay(250);
        }

        Assert.Fail($"the rest slice never reached the expected state; last status: {last}");
        throw new InvalidOperationException("unreachable");
    }

    private static bool Listening(IPAddress address, int port)
    {
        try
        {
            using var probe = new TcpClient();
            probe.Connect(address, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
