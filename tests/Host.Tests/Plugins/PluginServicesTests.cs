using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Hosting.Tests.Supervision;

namespace RunnerHost.Hosting.Tests.Plugins;

/// <summary>
/// A plugin that registers its services through IServiceCollection (contract 2.4's IPluginServices), no Autofac
/// module, built out of tree and run by a master (<c>runner-host start</c>): its runner is created with them.
/// </summary>
public sealed class PluginServicesTests
{
    private string _root = null!;

    [SetUp]
    public void SetUp() => _root = TestDirectories.CreateTemp("plugin-services");

    [TearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(_root);

    [Test]
    public async Task Services_a_plugin_registers_through_IServiceCollection_serve_its_runner_under_the_master()
    {
        string plugins = await TestPluginBuilder.CreatePluginDirectoryAsync(_root, "ServicesPlugin");
        string output = Path.Combine(_root, "greetings.out");
        string config = Path.Combine(_root, "runner-host.cfg");
        await File.WriteAllTextAsync(config, $"""
            [paths]
            var_dir: {Path.Combine(_root, "var")}
            plugin_dir: {plugins}

            [list.test]
            posting_address: test@example.com

            [runner.greet]
            class: ServicesPlugin:GreetingRunner
            output: {output}
            sleep_time: 0.1s
            """);
        using var master = HostProcess.Start(_root, "start", "-C", config);
        foreach (string subject in new[] { "one", "two" })
        {
            var inject = await HostProcess.RunAsync(_root, $"From: a@example.com\nTo: test@example.com\nSubject: {subject}\n\nb\n", "inject", "-C", config, "-q", "greet", "test@example.com");
            Assert.That(inject.ExitCode, Is.Zero, inject.ToString());
        }

        await MasterHarness.WaitUntilAsync(() => File.Exists(output) && File.ReadAllLines(output).Length == 2, "both messages greeted");
        var lines = File.ReadAllLines(output).Select(l => l.Split('|')).ToList();
        Assert.That(lines.Select(l => l[0]), Is.EqualTo(new[] { "Hello, one", "Hello, two" }), "the greeter and the options it takes came from the plugin's IServiceCollection");
        Assert.That(lines[1][1], Is.EqualTo(lines[0][1]), "a singleton is one instance for the runner slice");

        master.Signal(15);
        Assert.That(await master.WaitForExitAsync(MasterHarness.Patience), Is.Zero, master.Stderr);
        Assert.That(master.Stderr, Does.Contain("greeting one"), "the plugin's ILogger<T> came from the host");
    }

    [Test]
    public async Task A_plugin_whose_service_registration_fails_is_one_line_and_exit_4()
    {
        string plugins = await TestPluginBuilder.CreatePluginDirectoryAsync(_root, "ServicesPlugin");
        string config = Path.Combine(_root, "runner-host.cfg");
        await File.WriteAllTextAsync(config, $"""
            [paths]
            var_dir: {Path.Combine(_root, "var")}
            plugin_dir: {plugins}

            [runner.greet]
            class: ServicesPlugin:UnservedRunner
            """);

        var result = await HostProcess.RunAsync(_root, null, "runner", "-C", config, "--runner", "greet", "--once");

        Assert.That(result.ExitCode, Is.EqualTo(4), result.ToString());
        var errors = result.Stderr.Split('\n').Where(l => l.StartsWith("Runner error:", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Has.Count.EqualTo(1), result.Stderr);
        Assert.That(errors[0], Does.Contain("UnservedRunner").And.Contain("ServicesPlugin").And.Contain("IUnregistered"));
    }
}
