using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Plugins;

/// <summary>
/// A plugin the host's build knows nothing about, built during the test run, dropped into a plugin
/// folder next to broken plugins, named in a [runner.X] section and driven through the executable.
/// </summary>
public sealed class ThirdPartyPluginTests
{
    private string _root = null!;
    private string _config = null!;
    private string _output = null!;
    private string _plugins = null!;

    [SetUp]
    public async Task SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "runnerhost-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        _plugins = await TestPluginBuilder.CreatePluginDirectoryAsync(_root, "EchoPlugin", "ThrowingCtorPlugin", "MissingDependencyPlugin", "NotARunnerPlugin");
        File.Delete(Directory.GetFiles(Path.Combine(_plugins, "MissingDependencyPlugin"), "Newtonsoft.Json.dll").Single());
        Directory.CreateDirectory(Path.Combine(_plugins, "NoDll"));
        _output = Path.Combine(_root, "echo.out");
        _config = Path.Combine(_root, "runner-host.cfg");
        await File.WriteAllTextAsync(_config, $"""
            [paths]
            var_dir: {Path.Combine(_root, "var")}
            plugin_dir: {_plugins}

            [list.test]
            posting_address: test@example.com

            [runner.echo]
            class: EchoRunner
            output: {_output}
            sleep_time: 0.2s
            """);
    }

    [TearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(_root);

    [Test]
    public async Task Dropped_in_plugin_processes_injected_messages_and_empties_its_queue()
    {
        await InjectAsync("first");
        await InjectAsync("second");

        var result = await HostProcess.RunAsync(_root, null, "runner", "-C", _config, "--runner", "echo", "--once");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(await File.ReadAllTextAsync(_output), Is.EqualTo("[first]\n[second]\n"));
        Assert.That(Directory.GetFiles(Path.Combine(_root, "var", "queue", "echo")), Is.Empty);

        // The broken plugins next to it did not stop it. Only a folder that may define its class is loaded:
        // one without its dll is (and reported in one line), one whose types are all others is not.
        var pluginErrors = result.Stderr.Split('\n').Where(l => l.Contains("plugin '", StringComparison.Ordinal)).ToList();
        Assert.That(pluginErrors, Has.None.Contains("plugin 'MissingDependencyPlugin'"));
        Assert.That(pluginErrors, Has.Some.Contains("plugin 'NoDll'").And.Contains("NoDll.dll"));
    }

    [Test]
    public async Task Plugins_command_lists_versions_runner_types_and_load_errors()
    {
        var result = await HostProcess.RunAsync(_root, null, "plugins", "-C", _config);

        Assert.That(result.ExitCode, Is.EqualTo(4), "a plugin failed to load");
        var lines = result.Stdout.Split('\n');
        Assert.That(lines[0], Is.EqualTo($"Plugins in {_plugins}:"));
        Assert.That(lines, Does.Contain("    EchoPlugin 1.2.3"));
        Assert.That(lines, Does.Contain("        runner EchoPlugin.EchoRunner"));
        Assert.That(lines, Has.Some.StartsWith("    MissingDependencyPlugin  FAILED: ").And.Contains("Newtonsoft.Json"));
        Assert.That(lines, Has.Some.StartsWith("    NoDll  FAILED: "));
        Assert.That(lines, Has.Some.StartsWith("    NotARunnerPlugin ").Or.StartsWith("    NotARunnerPlugin  FAILED"));
    }

    [Test]
    public async Task A_class_in_a_broken_plugin_is_one_line_and_exit_4()
    {
        await File.AppendAllTextAsync(_config, "\n[runner.throwing]\nclass: ThrowingRunner\n");

        var result = await HostProcess.RunAsync(_root, null, "runner", "-C", _config, "--runner", "throwing", "--once");

        Assert.That(result.ExitCode, Is.EqualTo(4), result.ToString());
        var errors = result.Stderr.Split('\n').Where(l => l.StartsWith("Runner error:", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Has.Count.EqualTo(1), result.Stderr);
    }

    [Test]
    public async Task Replacing_the_plugin_drains_the_runner_and_restarts_it_on_the_new_version()
    {
        using var runner = HostProcess.Start(_root, "runner", "-C", _config, "--runner", "echo");
        await runner.WaitForStderrAsync("runner started.", TimeSpan.FromSeconds(60));
        await InjectAsync("before");
        await WaitForOutputAsync("[before]\n");

        TestPluginBuilder.CopyOver(await TestPluginBuilder.VariantDirectoryAsync(TestPluginBuilder.EchoPluginVersion2), Path.Combine(_plugins, "EchoPlugin"));
        await runner.WaitForStderrAsync("reloading plugin EchoPlugin", TimeSpan.FromSeconds(60));
        await WaitForStderrCountAsync(runner, "runner started.", 2);
        await InjectAsync("after");
        await WaitForOutputAsync("[before]\n<after>\n");

        runner.Signal(15);
        Assert.That(await runner.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.Zero, runner.Stderr);
        Assert.That(Directory.GetFiles(Path.Combine(_root, "var", "queue", "echo")), Is.Empty, "nothing left behind");
    }

    [Test]
    public async Task Plugins_reload_makes_a_running_runner_drain_and_reload()
    {
        using var runner = HostProcess.Start(_root, "runner", "-C", _config, "--runner", "echo");
        await runner.WaitForStderrAsync("runner started.", TimeSpan.FromSeconds(60));

        var result = await HostProcess.RunAsync(_root, null, "plugins", "-C", _config, "reload", "EchoPlugin");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        await runner.WaitForStderrAsync("reloading plugin EchoPlugin", TimeSpan.FromSeconds(60));
        await WaitForStderrCountAsync(runner, "runner started.", 2);
        await InjectAsync("still working");
        await WaitForOutputAsync("[still working]\n");
    }

    private static async Task WaitForStderrCountAsync(RunningHost host, string text, int count)
    {
        for (int i = 0; i < 600 && CountOf(host.Stderr, text) < count; i++)
        {
            await Task.Delay(100);
        }

        Assert.That(CountOf(host.Stderr, text), Is.GreaterThanOrEqualTo(count), host.Stderr);
    }

    private static int CountOf(string text, string part) =>
        (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;

    private async Task InjectAsync(string subject)
    {
        var result = await HostProcess.RunAsync(_root, $"From: anne@example.com\nTo: test@example.com\nSubject: {subject}\n\nBody.\n", "inject", "-C", _config, "-q", "echo", "test@example.com");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
    }

    private async Task WaitForOutputAsync(string expected)
    {
        for (int i = 0; i < 600; i++)
        {
            if (File.Exists(_output) && await File.ReadAllTextAsync(_output) == expected)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.That(File.Exists(_output) ? await File.ReadAllTextAsync(_output) : "(no output)", Is.EqualTo(expected));
    }
}
